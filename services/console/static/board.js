// The board follows the read model: each change the server announces (server-sent events) reloads the counts, the
// list and the map's cases in place, keeping the filters; without JavaScript the page is the same, reloaded by hand.
(function () {
  "use strict";
  var COLOURS = { running: "#1f77b4", warned: "#e0a800", breached: "#c00000" };
  var map = null, casesLayer = null;

  function drawMap() {
    var el = document.getElementById("map");
    if (!el || !window.L) return;
    fetch("/board/map", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var areas = { type: "FeatureCollection", features: data.features.filter(function (f) { return f.geometry.type !== "Point"; }) };
        var points = { type: "FeatureCollection", features: data.features.filter(function (f) { return f.geometry.type === "Point"; }) };
        if (!map) {
          // No tile server: the grids themselves are the map.
          map = L.map(el, { attributionControl: false, zoomSnap: 0.25, zoomControl: false });
          L.control.zoom({ zoomInTitle: el.dataset.zoomIn, zoomOutTitle: el.dataset.zoomOut }).addTo(map);
          var grids = L.geoJSON(areas, {
            style: function (f) { return f.properties.level === "street"
              ? { color: "#0b3d6e", weight: 3, fill: false } : { color: "#557", weight: 1, fillColor: "#eef3f8", fillOpacity: 0.7 }; },
            onEachFeature: function (f, layer) { if (f.properties.level === "grid") layer.bindTooltip(f.properties.name); }
          }).addTo(map);
          if (grids.getBounds().isValid()) map.fitBounds(grids.getBounds());
        }
        if (casesLayer) casesLayer.remove();
        casesLayer = L.geoJSON(points, {
          pointToLayer: function (f, latlng) {
            return L.circleMarker(latlng, { radius: 6, color: "#fff", weight: 1, fillOpacity: 0.9,
                                            fillColor: COLOURS[f.properties.clock] || COLOURS.running });
          },
          onEachFeature: function (f, layer) {
            var p = f.properties, a = document.createElement("a");
            a.href = "/cases/" + encodeURIComponent(p.code);
            a.textContent = p.code + " " + p.category + " · " + p.status + " · " + (el.dataset[p.clock] || "");
            layer.bindPopup(a);
          }
        }).addTo(map);
        el.setAttribute("data-cases", String(points.features.length));
      });
  }

  var pending = false;
  function refresh() {
    if (pending) return;
    pending = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        pending = false;
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["live", "list"].forEach(function (id) {
          var now = document.getElementById(id), next = fresh.getElementById(id);
          if (now && next) now.innerHTML = next.innerHTML;
        });
        document.getElementById("main").setAttribute("data-refreshed", Date.now());
        drawMap();
      })
      .catch(function () { pending = false; });
  }
  drawMap();
  if (window.EventSource) new EventSource("/board/stream").addEventListener("board", refresh);
})();
