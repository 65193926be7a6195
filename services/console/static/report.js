// A report form, enhanced (the residents' and the hotline's call form): the map of the grids to tap, the sub-item suggested as the resident types, addresses
// suggested from the gazetteer, the open cases of the same kind nearby, and photos resized before they are sent.
// Without JavaScript the form works as it is (the server shows the nearby cases in a second step).
(function () {
  "use strict";
  var form = document.querySelector("form[data-report]");  // the residents' form, or the hotline's call form
  if (!form) return;
  var $ = function (id) { return document.getElementById(id); };
  var lat = $("lat"), lon = $("lon"), category = $("category"), description = $("description");
  var address = $("address"), suggestions = $("address-list"), nearby = $("nearby"), confirmed = $("confirmed");
  var pointText = $("point-text"), photos = $("photos"), previews = $("photo-previews");
  var MAX_SIDE = 1600, QUALITY = 0.85, places = [], picked = false, marker = null, map = null;

  function later(fn, ms) { var t; return function () { clearTimeout(t); t = setTimeout(fn, ms); }; }

  function loadNearby() {
    if (!lat.value || !lon.value) return;
    var q = "lat=" + encodeURIComponent(lat.value) + "&lon=" + encodeURIComponent(lon.value) +
            (category.value ? "&category=" + encodeURIComponent(category.value) : "");
    fetch("/report/nearby?" + q, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return;
        nearby.innerHTML = html;
        nearby.removeAttribute("data-empty");
        confirmed.value = "1";  // the resident has seen what is open nearby: the server need not ask again
      });
  }

  function place(latlng, words) {
    lat.value = latlng.lat.toFixed(6); lon.value = latlng.lng.toFixed(6);
    if (map) {
      if (marker) marker.setLatLng(latlng); else marker = L.circleMarker(latlng, { radius: 9, color: "#a40000", weight: 3 }).addTo(map);
    }
    pointText.textContent = words || form.dataset.point;
    loadNearby();
  }

  // The map: the grids themselves (there is no tile server); a tap inside a grid places the report.
  if (window.L && $("report-map")) {
    var el = $("report-map");
    fetch("/report/map", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (!data) return;
      map = L.map(el, { attributionControl: false, zoomSnap: 0.25, zoomControl: false });
      L.control.zoom({ zoomInTitle: el.dataset.zoomIn, zoomOutTitle: el.dataset.zoomOut }).addTo(map);
      var grids = L.geoJSON(data, {
        style: function (f) { return f.properties.level === "street" ? { color: "#0b3d6e", weight: 3, fill: false, interactive: false }
                                                                      : { color: "#557", weight: 1, fillColor: "#eef3f8", fillOpacity: 0.6 }; },
        onEachFeature: function (f, layer) {
          if (f.properties.level !== "grid") return;
          layer.bindTooltip(f.properties.name);
          layer.on("click", function (e) { L.DomEvent.stopPropagation(e); place(e.latlng, form.dataset.point + "（" + f.properties.name + "）"); });
        }
      }).addTo(map);
      map.on("click", function () { pointText.textContent = form.dataset.outside; });
      if (grids.getBounds().isValid()) map.fitBounds(grids.getBounds());
      if (lat.value && lon.value) place(L.latLng(+lat.value, +lon.value)); else pointText.textContent = form.dataset.tap;
      el.setAttribute("data-ready", "1");
    });
  }

  // The sub-item the text suggests, chosen for the resident until they choose one themselves.
  category.addEventListener("change", function () { picked = category.value !== ""; loadNearby(); });
  description.addEventListener("input", later(function () {
    var text = description.value.trim();
    if (text.length < 4) return;
    fetch("/report/classify", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
                                body: JSON.stringify({ text: text }) })
      .then(function (r) { return r.ok ? r.json() : null; }).then(function (s) {
        if (!s || !s.category) return;
        $("suggestion").textContent = form.dataset.suggested + s.name;
        if (!picked && category.value !== s.category) { category.value = s.category; loadNearby(); }
      });
  }, 500));

  // Addresses as the gazetteer knows them; choosing one places the report there.
  address.addEventListener("input", later(function () {
    var q = address.value.trim();
    var chosen = places.filter(function (p) { return p.name_zh === q; })[0];
    if (chosen) { place({ lat: chosen.lat, lng: chosen.lon }, form.dataset.point + "（" + chosen.name_zh + "）"); return; }
    if (!q) return;
    fetch("/report/addresses?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; }).then(function (found) {
        places = found;
        suggestions.innerHTML = "";
        found.forEach(function (p) { var o = document.createElement("option"); o.value = p.name_zh; suggestions.appendChild(o); });
        var exact = found.filter(function (p) { return p.name_zh === q; })[0];
        if (exact) place({ lat: exact.lat, lng: exact.lon }, form.dataset.point + "（" + exact.name_zh + "）");
      });
  }, 300));

  if (!photos) return;  // the hotline's call form has none
  // Photos: at most the limit, previewed, and made smaller on the phone before they are sent.
  function kept() { return form.querySelectorAll("input[name=photo_ids]").length; }
  photos.addEventListener("change", function () {
    previews.innerHTML = "";
    if (photos.files.length + kept() > +form.dataset.maxPhotos) {
      photos.setCustomValidity(form.dataset.tooMany); photos.reportValidity(); return;
    }
    photos.setCustomValidity("");
    Array.prototype.forEach.call(photos.files, function (file) {
      var li = document.createElement("li"), img = document.createElement("img");
      img.src = URL.createObjectURL(file); img.alt = file.name; li.appendChild(img); previews.appendChild(li);
    });
  });

  function resized(file) {
    if (!window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (done) {
        canvas.toBlob(function (blob) { done(blob && blob.size < file.size ? blob : file); }, "image/jpeg", QUALITY);
      });
    }, function () { return file; });  // not an image the browser can read: the server says so
  }

  form.addEventListener("submit", function (event) {
    if (!photos.files.length || !window.fetch || !window.FormData) return;  // nothing to resize: a plain post
    event.preventDefault();
    var data = new FormData(form, event.submitter || undefined);
    data.delete("photos");
    form.setAttribute("aria-busy", "true");
    Promise.all(Array.prototype.map.call(photos.files, resized)).then(function (blobs) {
      blobs.forEach(function (blob, i) { data.append("photos", blob, (photos.files[i].name || "photo").replace(/\.\w+$/, "") + ".jpg"); });
      return fetch(form.action, { method: "POST", body: data, credentials: "same-origin" });
    }).then(function (r) {
      if (r.redirected) { window.location.assign(r.url); return null; }
      return r.text();
    }).then(function (html) {
      if (html === null) return;
      document.open(); document.write(html); document.close();
    }).catch(function () { form.removeAttribute("aria-busy"); form.submit(); });
  });
})();
