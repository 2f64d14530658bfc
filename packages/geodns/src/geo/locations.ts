// Location cells of a GeoIP database for the web page's map (issue 20): every
// distinct place (latitude/longitude) the database gives, thinned to at most
// `max` by merging places into grid cells of growing size, each with one IPv4
// network whose clients the database puts there (the "client" geoctl asks
// geodns about with ECS). Computed from the database itself, so the map shows
// exactly the places geodns can tell apart.
import type { GeoFields } from './types.js';

export interface GeoLocation {
  lat: number;
  lon: number;
  country?: string;
  city?: string;
  /** A network the database places here: its address, and its prefix length. */
  client: string;
  prefix: number;
}

/** Records decoded per location wanted: more than one, as many records share a place. */
export const RECORDS_PER_LOCATION = 3;

const GRID = [0, 0.25, 0.5, 1, 2, 4, 8];

export function toLocations(records: Array<{ net: number; prefix: number; fields: GeoFields }>, max: number): GeoLocation[] {
  const placed = records.filter((r) => r.fields.lat !== undefined && r.fields.lon !== undefined);
  let finer: GeoLocation[] | undefined;
  let cells: GeoLocation[] = [];
  for (const size of GRID) {
    cells = thin(placed, size);
    if (cells.length <= max) {
      // The coarsest grid that fits may leave room: take `max` cells of the finer one instead, evenly.
      return finer ? spread(finer, max) : cells;
    }
    finer = cells;
  }
  return spread(cells, max); // still too many at 8°
}

function spread<T>(items: T[], n: number): T[] {
  const step = items.length / n;
  return Array.from({ length: n }, (_, i) => items[Math.floor(i * step)]!);
}

/** One location per grid cell of `size` degrees (0: per exact place), the first record's place and network. */
function thin(records: Array<{ net: number; prefix: number; fields: GeoFields }>, size: number): GeoLocation[] {
  const seen = new Set<string>();
  const out: GeoLocation[] = [];
  for (const { net, prefix, fields: f } of records) {
    const key = size === 0 ? `${f.lat},${f.lon}` : `${Math.floor(f.lat! / size)},${Math.floor(f.lon! / size)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      lat: f.lat!, lon: f.lon!, ...(f.country ? { country: f.country } : {}), ...(f.city ? { city: f.city } : {}),
      client: [net >>> 24, (net >>> 16) & 255, (net >>> 8) & 255, net & 255].join('.'), prefix,
    });
  }
  return out;
}
