// pickclosest: great-circle distance (haversine) between the client's GeoIP
// location and each candidate's. Deliberate differences from PowerDNS, which
// ranks by squared degree differences and puts unknown locations at 0°N 0°E:
//  - true great-circle distance; the antimeridian needs no special case
//    (haversine works on the sphere), so Fiji is near Samoa, not far away;
//  - a candidate with no known location ranks after every located one;
//  - a client with no known location gets the hashed choice (pickHashed on
//    bestwho): stable per client, spread across clients, never "0°N 0°E";
//  - ties go to the first candidate in list order (PowerDNS: random).
const R_KM = 6371.0088;

export interface LatLon { lat: number; lon: number }

export function haversineKm(a: LatLon, b: LatLon): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Index of the closest located candidate, or -1 when none has a location. */
export function closestIndex(client: LatLon, candidates: Array<LatLon | undefined>): number {
  let best = -1;
  let bestD = Infinity;
  candidates.forEach((c, i) => {
    if (!c) return;
    const d = haversineKm(client, c);
    if (d < bestD) { bestD = d; best = i; }
  });
  return best;
}
