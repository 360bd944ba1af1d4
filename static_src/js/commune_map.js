// Progressive enhancement: the producer list is always there; the map appears only when
// Leaflet loaded. Tiles that fail to load leave the markers and the list usable.
(function () {
  var script = document.currentScript;
  window.addEventListener("load", function () {
    var el = document.getElementById("map");
    var data = document.getElementById("map-points");
    if (!el || !data || typeof L === "undefined") return;
    var points = JSON.parse(data.textContent);
    if (!points.length) return;
    el.hidden = false;
    var map = L.map(el);
    L.tileLayer(script.dataset.tiles, { attribution: script.dataset.attribution, maxZoom: 18 }).addTo(map);
    var bounds = [];
    points.forEach(function (p) {
      var link = document.createElement("a");
      link.href = p.url; link.textContent = p.name;
      L.marker([p.lat, p.lon]).addTo(map).bindPopup(link);
      bounds.push([p.lat, p.lon]);
    });
    map.fitBounds(bounds, { maxZoom: 14, padding: [20, 20] });
  });
})();
