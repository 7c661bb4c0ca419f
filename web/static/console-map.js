// The dashboard's map of open reports: Leaflet (vendored) with OpenStreetMap tiles; each point links to its report.
document.addEventListener("DOMContentLoaded", () => {
  const element = document.getElementById("report-map");
  if (!element || !window.L) return;
  const points = JSON.parse(element.dataset.points);
  const map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 18, attribution: "© OpenStreetMap contributors",
  }).addTo(map);
  const markers = points.map((point) => {
    const marker = L.circleMarker([point.lat, point.lng], {
      radius: 8, weight: 2, color: point.urgent ? "#dc2626" : "#1f5fa8", fillOpacity: 0.7,
    });
    const link = document.createElement("a");
    link.href = `${element.dataset.link}/${point.id}`;
    link.textContent = point.ref + (point.urgent ? " (ด่วน)" : "");
    return marker.bindPopup(link).addTo(map);
  });
  map.fitBounds(L.featureGroup(markers).getBounds().pad(0.3), { maxZoom: 14 });
  element.dataset.ready = String(markers.length);
});
