// The case page: each unit's clock counts down (in the reader's words, every 30 s), and the case's point is shown
// on the grids. Without JavaScript the deadlines are still there, as times.
(function () {
  "use strict";
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown").forEach(function (el) {
      var left = Date.parse(el.dataset.due) - now, late = left < 0, m = Math.floor(Math.abs(left) / 60000);
      var d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), parts = [];
      if (d) parts.push(d + el.dataset.d);
      if (d || h) parts.push(h + el.dataset.h);
      parts.push((m % 60) + el.dataset.m);
      el.textContent = (late ? el.dataset.late : el.dataset.left) + parts.join(" ");
      el.classList.toggle("late", late);
    });
  }
  tick();
  setInterval(tick, 30000);

  // The page follows the case: on each change of the read model its parts are fetched again, except the action
  // forms while the reader is filling one in (their typing is never thrown away).
  var typing = !!document.querySelector("#actions [aria-invalid]"), pending = false;  // a refusal stays shown
  document.addEventListener("input", function (e) { if (e.target.closest("#actions")) typing = true; });
  function refresh() {
    if (pending) return;
    pending = true;
    fetch(document.getElementById("facts").dataset.url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        pending = false;
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (part) {
          if (part.dataset.live === "unless-typing" && typing) return;
          var next = fresh.getElementById(part.id);
          if (next) part.innerHTML = next.innerHTML;
        });
        tick();
      })
      .catch(function () { pending = false; });
  }
  if (window.EventSource) new EventSource("/board/stream").addEventListener("board", refresh);
  var el = document.getElementById("case-map");
  if (!el || !window.L) return;
  var here = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
  var map = L.map(el, { attributionControl: false, zoomControl: false }).setView(here, 15);
  L.control.zoom({ zoomInTitle: el.dataset.zoomIn, zoomOutTitle: el.dataset.zoomOut }).addTo(map);
  fetch("/board/map?cases=false", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      if (!data) return;
      L.geoJSON({ type: "FeatureCollection", features: data.features.filter(function (f) { return f.geometry.type !== "Point"; }) }, {
        style: function (f) { return f.properties.level === "street" ? { color: "#0b3d6e", weight: 3, fill: false }
          : { color: "#557", weight: 1, fillColor: "#eef3f8", fillOpacity: 0.7 }; }
      }).addTo(map);
      L.circleMarker(here, { radius: 9, color: "#fff", weight: 2, fillColor: "#c00000", fillOpacity: 1 }).addTo(map);
    });
})();
