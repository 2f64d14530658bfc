// The one maxmind import of the suite. Opens an .mmdb file into an immutable,
// probed database object that answers in our own GeoFields vocabulary.
// Opening reads the whole file into memory, so a later rename/replace of the
// file on disk never affects a database already opened.
import { readFile } from 'node:fs/promises';
import { Reader, type Response } from 'maxmind';
import type { GeoFields } from './types.js';
import { verifyMmdb } from './mmdb-verify.js';
import { readSelected, selectedReader, SELECT_PLACE, type Select } from './mmdb-fields.js';
import { parseAddress } from './ip.js';
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
   * The tree walk alone, for address octets (4 or 16): sets `out.pointer` to
   * the data record's pointer (0: no data) and `out.prefix` to the network's
   * prefix length; equal pointers mean equal `fields`. No allocation, no
   * decoding: what a cache keyed by data record needs (stages/dynamic-cache.ts).
   */
  locate(addr: Uint8Array, out: Located): void;
  /** The data record at a pointer `locate` gave (cached per pointer); undefined for 0 or no fields. */
  fields(pointer: number): GeoFields | undefined;
  /** `fields(pointer)`'s country and continent alone, the rest of the record unread (cached per pointer). */
  place(pointer: number): GeoFields | undefined;
  /**
   * Up to `max` distinct data records of the IPv4 networks, spread evenly over
   * the address space, each with the first network that carries it. Walks the
   * whole tree (about a second for GeoLite2 City): off the query path only.
   */
  sampleRecords(max: number): Promise<Array<{ net: number; prefix: number; fields: GeoFields }>>;
}

export interface Located { pointer: number; prefix: number }

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
    ...pointerCachedLookup(reader, buf),
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
  resolveDataPointer?(pointer: number): unknown;
}

/**
 * Decoding a full City record (names in eight languages) costs tens of µs; our
 * GeoFields are a few bytes. So: walk the tree (walkTree), then read each
 * distinct data record once, only the parts GeoFields come from
 * (mmdb-fields.ts; mmdb-lib's full decode if that fails), and keep it by its
 * pointer. A database has a bounded number of records (~150k for GeoLite2 City).
 */
function pointerCachedLookup(reader: Reader<Response>, buf: Buffer): Pick<MmdbDatabase, 'lookup' | 'locate' | 'fields' | 'place'> {
  const r = reader as unknown as ReaderInternals;
  const resolve = typeof r.resolveDataPointer === 'function' ? r.resolveDataPointer.bind(reader) : undefined;
  const cache = new Map<number, GeoFields | null>();
  const places = new Map<number, GeoFields | null>();
  const { nodeCount, searchTreeSize } = reader.metadata;
  const base = searchTreeSize + 16;
  const walk = walkTree(buf, reader.metadata);
  const selected = selectedReader(buf, base);
  const read = (pointer: number, select?: Select): unknown => {
    try {
      return selected(pointer - nodeCount + searchTreeSize, select);
    } catch (err) {
      // mmdb-lib's full decode reports (throws) what is wrong, if anything
      if (resolve) return resolve(pointer);
      throw err;
    }
  };
  const fields = (pointer: number): GeoFields | undefined => {
    if (pointer === 0) return undefined;
    let f = cache.get(pointer);
    if (f === undefined) {
      f = toFields(read(pointer)) ?? null;
      if (cache.size >= 500_000) cache.clear();
      cache.set(pointer, f);
    }
    return f ?? undefined;
  };
  const place = (pointer: number): GeoFields | undefined => {
    if (pointer === 0) return undefined;
    let f = places.get(pointer);
    if (f === undefined) {
      // toFields of the selection alone: the same country (or registered_country) and continent as fields()
      f = toFields(read(pointer, SELECT_PLACE)) ?? null;
      if (places.size >= 500_000) places.clear();
      places.set(pointer, f);
    }
    return f ?? undefined;
  };
  const at: Located = { pointer: 0, prefix: 0 };
  return {
    locate: walk,
    fields,
    place,
    lookup(ip) {
      const addr = parseAddress(ip);
      if (!addr) throw new Error(`not an IP address: ${ip}`);
      walk(addr, at);
      return { fields: fields(at.pointer), prefix: at.prefix };
    },
  };
}

/**
 * The search tree walk of "MaxMind DB File Format Specification" v2.0,
 * "Search Tree Section": each node is two records (left: bit 0, right: bit 1)
 * of record_size bits; a record < node_count is the next node, = node_count
 * means no data, > node_count points into the data section. IPv4 addresses in
 * an IPv6 tree live under ::/96 (the node reached by 96 left turns). Done here
 * on octets, as mmdb-lib's findAddressInTree does on text (which it parses on
 * every call, a third of a cold lookup).
 */
function walkTree(buf: Buffer, md: { nodeCount: number; recordSize: number; ipVersion: number }): (addr: Uint8Array, out: Located) => void {
  const { nodeCount, recordSize } = md;
  const nodeBytes = recordSize / 4;
  const record: (node: number, bit: number) => number =
    recordSize === 24 ? (n, bit) => { const o = n * 6 + bit * 3; return (buf[o]! << 16) | (buf[o + 1]! << 8) | buf[o + 2]!; }
    : recordSize === 28 ? (n, bit) => {
      const o = n * 7;
      return bit === 0
        ? ((buf[o + 3]! & 0xf0) << 20 | buf[o]! << 16 | buf[o + 1]! << 8 | buf[o + 2]!) >>> 0
        : ((buf[o + 3]! & 0x0f) << 24 | buf[o + 4]! << 16 | buf[o + 5]! << 8 | buf[o + 6]!) >>> 0;
    }
    : (n, bit) => buf.readUInt32BE(n * nodeBytes + bit * 4);
  if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32) throw new Error(`record size ${recordSize} is not 24, 28 or 32`);
  let v4Start = 0;
  if (md.ipVersion === 6) for (let i = 0; i < 96 && v4Start < nodeCount; i++) v4Start = record(v4Start, 0);
  // Where the walk of every IPv4 /16 stands after its first 16 bits (or where it
  // ended, if sooner): an IPv4 walk starts there. Half the random /24s end
  // above 16 bits (GeoLite2 City), and below, each step is a cache miss.
  const v4Node = new Uint32Array(1 << 16);
  const v4Depth = new Uint8Array(1 << 16);
  const fill = (node: number, depth: number, bits: number): void => {
    if (depth === 16 || node >= nodeCount) {
      const from = bits << (16 - depth);
      v4Node.fill(node, from, from + (1 << (16 - depth)));
      v4Depth.fill(depth, from, from + (1 << (16 - depth)));
      return;
    }
    fill(record(node, 0), depth + 1, bits << 1);
    fill(record(node, 1), depth + 1, (bits << 1) | 1);
  };
  fill(v4Start, 0, 0);
  return (addr, out) => {
    let node: number, depth: number;
    if (addr.length === 4) {
      const i = (addr[0]! << 8) | addr[1]!;
      node = v4Node[i]!;
      depth = v4Depth[i]!;
    } else {
      node = 0;
      depth = 0;
    }
    const bits = addr.length * 8;
    for (; depth < bits && node < nodeCount; depth++) node = record(node, (addr[depth >> 3]! >> (7 - (depth & 7))) & 1);
    out.pointer = node > nodeCount ? node : 0;
    out.prefix = depth;
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
