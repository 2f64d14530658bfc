// The one maxmind import of the suite. Opens an .mmdb file into an immutable,
// probed database object that answers in our own GeoFields vocabulary.
// Opening reads the whole file into memory, so a later rename/replace of the
// file on disk never affects a database already opened.
import { readFile } from 'node:fs/promises';
import { Reader, type Response } from 'maxmind';
import type { GeoFields } from './types.js';
import { verifyMmdb } from './mmdb-verify.js';
import { readSelected } from './mmdb-fields.js';
import { walkIpv4 } from './mmdb-walk.js';

export interface MmdbDatabase {
  readonly path: string;
  /** metadata.databaseType, e.g. "GeoLite2-City". */
  readonly type: string;
  readonly buildEpoch: Date;
  readonly ipVersion: 4 | 6;
  /** Throws only if the file is corrupt in a spot the probe missed; callers catch. */
  lookup(ip: string): { fields: GeoFields | undefined; prefix: number };
  /**
   * Up to `max` distinct data records of the IPv4 networks, spread evenly over
   * the address space, each with the first network that carries it. Walks the
   * whole tree (about a second for GeoLite2 City): off the query path only.
   */
  sampleRecords(max: number): Promise<Array<{ net: number; prefix: number; fields: GeoFields }>>;
}

export type OpenResult = { kind: 'ok'; db: MmdbDatabase } | { kind: 'error'; message: string };

export async function openMmdb(path: string): Promise<OpenResult> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    return { kind: 'error', message: `cannot read ${path}: ${(err as Error).message}` };
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    return { kind: 'error', message: `${path} is gzip-compressed, expected a plain .mmdb file` };
  }
  let reader: Reader<Response>;
  try {
    // no mmdb-lib cache: we cache our small converted records by data pointer instead
    reader = new Reader<Response>(buf, { cache: { get: () => undefined, set: () => undefined } });
  } catch (err) {
    return { kind: 'error', message: `${path} is not a valid MaxMind DB: ${(err as Error).message}` };
  }
  const md = reader.metadata;
  const ipVersion = md.ipVersion === 4 ? 4 : 6;
  const db: MmdbDatabase = {
    path, type: String(md.databaseType), buildEpoch: md.buildEpoch, ipVersion,
    lookup: pointerCachedLookup(reader, buf),
    sampleRecords: (max) => sampleRecords(reader, buf, max),
  };
  let problem: string | undefined;
  try {
    problem = verifyMmdb(buf, reader.metadata);
  } catch (err) {
    problem = (err as Error).message;
  }
  if (problem) return { kind: 'error', message: `${path} is corrupt: ${problem}` };
  return { kind: 'ok', db };
}

interface MmdbRecord {
  country?: { iso_code?: unknown };
  registered_country?: { iso_code?: unknown };
  continent?: { code?: unknown };
  subdivisions?: Array<{ iso_code?: unknown }>;
  city?: { names?: { en?: unknown } };
  location?: { latitude?: unknown; longitude?: unknown };
  autonomous_system_number?: unknown;
  autonomous_system_organization?: unknown;
  traits?: { autonomous_system_number?: unknown; autonomous_system_organization?: unknown };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** City, Country, ASN and ISP layouts all map onto GeoFields; absent fields stay absent. */
export function toFields(raw: unknown): GeoFields | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as MmdbRecord;
  const f: GeoFields = {};
  const country = str(r.country?.iso_code) ?? str(r.registered_country?.iso_code);
  if (country) f.country = country;
  const continent = str(r.continent?.code);
  if (continent) f.continent = continent;
  const region = str(r.subdivisions?.[0]?.iso_code);
  if (region) f.region = region;
  const city = str(r.city?.names?.en);
  if (city) f.city = city;
  const lat = num(r.location?.latitude);
  const lon = num(r.location?.longitude);
  if (lat !== undefined && lon !== undefined) { f.lat = lat; f.lon = lon; }
  const asn = num(r.autonomous_system_number) ?? num(r.traits?.autonomous_system_number);
  if (asn !== undefined) f.asn = asn;
  const asOrg = str(r.autonomous_system_organization) ?? str(r.traits?.autonomous_system_organization);
  if (asOrg) f.asOrg = asOrg;
  return Object.keys(f).length > 0 ? f : undefined;
}

interface ReaderInternals {
  findAddressInTree?(ip: string): [number | null, number];
  resolveDataPointer?(pointer: number): unknown;
}

/**
 * Decoding a full City record (names in eight languages) costs tens of µs; our
 * GeoFields are a few bytes. So: walk the tree (mmdb-lib's findAddressInTree),
 * then read each distinct data record once, only the parts GeoFields come from
 * (mmdb-fields.ts; mmdb-lib's full decode if that fails), and keep it by its
 * pointer. A database has a bounded number of records (~150k for GeoLite2 City).
 * Falls back to the public API if mmdb-lib's internals ever change.
 */
function pointerCachedLookup(reader: Reader<Response>, buf: Buffer): MmdbDatabase['lookup'] {
  const r = reader as unknown as ReaderInternals;
  if (typeof r.findAddressInTree !== 'function' || typeof r.resolveDataPointer !== 'function') {
    return (ip) => {
      const [rec, prefix] = reader.getWithPrefixLength(ip);
      return { fields: rec ? toFields(rec) : undefined, prefix };
    };
  }
  const find = r.findAddressInTree.bind(reader);
  const resolve = r.resolveDataPointer.bind(reader);
  const cache = new Map<number, GeoFields | null>();
  const { nodeCount, searchTreeSize } = reader.metadata;
  const base = searchTreeSize + 16;
  const read = (pointer: number): unknown => {
    try {
      return readSelected(buf, base, pointer - nodeCount + searchTreeSize);
    } catch {
      return resolve(pointer);
    }
  };
  return (ip) => {
    const [pointer, prefix] = find(ip);
    if (!pointer) return { fields: undefined, prefix };
    let f = cache.get(pointer);
    if (f === undefined) {
      f = toFields(read(pointer)) ?? null;
      if (cache.size >= 500_000) cache.clear();
      cache.set(pointer, f);
    }
    return { fields: f ?? undefined, prefix };
  };
}

/**
 * See MmdbDatabase.sampleRecords. Memory stays small for a City file (~3M
 * networks, ~500k records): a bit per data-section byte marks the records seen,
 * and only their first networks are kept. Decoding is the costly part (~20 µs
 * a City record), so only the chosen records are decoded, a slice at a time.
 */
async function sampleRecords(reader: Reader<Response>, buf: Buffer, max: number): Promise<Array<{ net: number; prefix: number; fields: GeoFields }>> {
  const md = reader.metadata;
  const base = md.searchTreeSize + 16;
  const seen = new Uint8Array(((buf.length - base) >> 3) + 1);
  const pointers: number[] = [];
  const nets: number[] = [];
  const prefixes: number[] = [];
  await walkIpv4(buf, { ...md, ipVersion: md.ipVersion }, (net, prefix, pointer) => {
    const off = pointer - md.nodeCount - 16;
    const bit = 1 << (off & 7);
    if (off < 0 || (seen[off >> 3]! & bit) !== 0) return;
    seen[off >> 3]! |= bit;
    pointers.push(pointer);
    nets.push(net);
    prefixes.push(prefix);
  });
  const step = Math.max(1, pointers.length / Math.max(1, max));
  const out: Array<{ net: number; prefix: number; fields: GeoFields }> = [];
  for (let i = 0, n = 0; i < pointers.length && out.length < max; i += step, n++) {
    if (n > 0 && n % 1000 === 0) await new Promise((r) => setImmediate(r));
    const at = Math.floor(i);
    let raw: unknown;
    try {
      raw = readSelected(buf, base, pointers[at]! - md.nodeCount + md.searchTreeSize);
    } catch {
      continue; // a corrupt record: left out of the sample
    }
    const fields = toFields(raw);
    if (fields) out.push({ net: nets[at]!, prefix: prefixes[at]!, fields });
  }
  return out;
}
