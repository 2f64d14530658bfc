// The database snapshot cache: the zones last loaded from MariaDB, on local
// disk, so geodns can start (and serve the last good data) while its database
// is away. Written after each successful load, read only at start-up when the
// database cannot be reached.
//
// Format (JSON lines, UTF-8), version 1:
//   {"format":"geodns-db-cache","version":1,"source":"mysql://u:***@h:3306/pdns","writtenAt":"…","zones":N}
//   {"origin":"example.com.","id":17,"rr":[["www.example.com.",300,"A","192.0.2.1"],…],"ent":["b.example.com."]}   one line per zone
//   ("ent", optional: names that exist without records, so they stay NODATA after a start from the cache)
//   ("keys", "meta", optional: the zone's cryptokeys rows and DNSSEC metadata, so a signed zone is
//    still signed after a start from the cache; the file is mode 0600, as the database's own rows)
//   {"end":true,"zones":N,"records":M}
// Record data is PowerDNS content text (formatRdata / parseRdata), so the file
// is readable and diffable and holds no Buffers. The end line catches a
// truncated file; any line that does not parse rejects the whole file (a
// cache is either exactly what we wrote or not trusted). Writes go to a temp
// name in the same directory and are renamed over the old file, so a crash
// mid-write leaves the previous cache whole.
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TYPE, formatRdata, parseName, parseRdata, typeCode, typeName, type RR } from '@geoedge/dnsdata';
import type { ZoneData } from './zone.js';
import { parentName } from './labels.js';
import type { KeyRow } from '../dnssec/zone-keys.js';

export const CACHE_FORMAT = 'geodns-db-cache';
export const CACHE_VERSION = 1;

export interface CachedZone {
  origin: string;
  /** domains.id when written. */
  id: number;
  records: RR[];
  /** Names without records (empty non-terminals), FQDN. */
  emptyNames: string[];
  /** DNSSEC keys and metadata (dnssec/zone-keys.ts), when the zone had keys. */
  dnssec?: ZoneKeyInput;
}

/** What a zone's signing is made from: its cryptokeys rows and the metadata kinds that matter. */
export interface ZoneKeyInput {
  keys: KeyRow[];
  meta: [string, string[]][];
}

export type ReadCacheResult =
  | { kind: 'ok'; zones: CachedZone[]; writtenAt: number; source: string; records: number }
  | { kind: 'missing' }
  | { kind: 'error'; message: string };

export type WriteCacheResult = { ok: true; zones: number; records: number; bytes: number } | { ok: false; message: string };

type Line = [string, number, string, string];

/** The records a built zone serves, as cache lines (LUA records keep their LUA form). */
export function zoneToLine(zone: ZoneData, id: number, dnssec?: ZoneKeyInput): string {
  const rr: Line[] = [];
  const ent = leafEmptyNames(zone);
  for (const node of zone.nodes.values()) {
    for (const set of node.rrsets) {
      for (const d of set.records) {
        const type = d.kind === 'lua' ? TYPE.LUA : set.type;
        rr.push([set.name, set.ttl, typeName(type), formatRdata(type, d)]);
      }
    }
  }
  return JSON.stringify({ origin: zone.origin, id, rr, ...(ent.length ? { ent } : {}), ...(dnssec ? { keys: dnssec.keys, meta: dnssec.meta } : {}) });
}

/**
 * Empty names with nothing below them: only these need writing, since buildZone
 * derives every other empty non-terminal from the names beneath it.
 */
function leafEmptyNames(zone: ZoneData): string[] {
  const parents = new Set<string>();
  for (const owner of zone.nodes.keys()) {
    const up = parentName(owner);
    if (up !== undefined) parents.add(up);
  }
  const out: string[] = [];
  for (const [owner, node] of zone.nodes) if (node.rrsets.length === 0 && node !== zone.apex && !parents.has(owner)) out.push(node.name);
  return out;
}

/** Writes the cache atomically (temp file + rename). Yields between zones so queries keep being answered. */
export async function writeCache(file: string, source: string, zones: ReadonlyArray<{ id: number; zone: ZoneData; dnssec?: ZoneKeyInput }>): Promise<WriteCacheResult> {
  const tmp = `${file}.tmp-${process.pid}`;
  let records = 0;
  let bytes = 0;
  try {
    await mkdir(dirname(file), { recursive: true });
    const fh = await open(tmp, 'w', 0o600);
    try {
      const header = JSON.stringify({ format: CACHE_FORMAT, version: CACHE_VERSION, source, writtenAt: new Date().toISOString(), zones: zones.length });
      let chunk = `${header}\n`;
      for (const { id, zone, dnssec } of zones) {
        chunk += `${zoneToLine(zone, id, dnssec)}\n`;
        records += zone.recordCount;
        if (chunk.length > 1 << 20) {
          bytes += chunk.length;
          await fh.write(chunk);
          chunk = '';
        }
      }
      chunk += `${JSON.stringify({ end: true, zones: zones.length, records })}\n`;
      bytes += chunk.length;
      await fh.write(chunk);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    return { ok: true, zones: zones.length, records, bytes };
  } catch (err) {
    await unlink(tmp).catch(() => {});
    return { ok: false, message: `cannot write the zone cache ${file}: ${(err as Error).message}` };
  }
}

/** Reads and checks a cache file. Never throws: garbage is an error result naming the file and line. */
export async function readCache(file: string, expectSource?: string): Promise<ReadCacheResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'error', message: `cannot read the zone cache ${file}: ${(err as Error).message}` };
  }
  const r = parseCache(text, expectSource);
  return r.kind === 'error' ? { kind: 'error', message: `zone cache ${file}: ${r.message}` } : r;
}

/** Parses cache text; errors name the line. */
export function parseCache(text: string, expectSource?: string): ReadCacheResult {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const fail = (line: number, message: string): ReadCacheResult => ({ kind: 'error', message: `line ${line}: ${message}` });
  if (lines.length === 0) return fail(1, 'empty file');
  const head = parseJson(lines[0]!);
  if (!isObject(head) || head.format !== CACHE_FORMAT) return fail(1, `not a geodns zone cache (no "format":"${CACHE_FORMAT}" header)`);
  if (head.version !== CACHE_VERSION) return fail(1, `cache version ${JSON.stringify(head.version)} is not supported (this geodns reads version ${CACHE_VERSION})`);
  const writtenAt = typeof head.writtenAt === 'string' ? Date.parse(head.writtenAt) : NaN;
  if (!Number.isFinite(writtenAt) || typeof head.source !== 'string' || !Number.isSafeInteger(head.zones)) return fail(1, 'header lacks writtenAt, source or zones');
  if (expectSource !== undefined && head.source !== expectSource) {
    return fail(1, `written for the database ${head.source}, not ${expectSource}`);
  }
  const zones: CachedZone[] = [];
  let records = 0;
  for (let i = 1; i < lines.length; i++) {
    const v = parseJson(lines[i]!);
    if (isObject(v) && v.end === true) {
      if (i !== lines.length - 1) return fail(i + 1, 'data after the end line');
      if (v.zones !== zones.length || v.records !== records) return fail(i + 1, `end line says ${String(v.zones)} zones / ${String(v.records)} records, the file holds ${zones.length} / ${records}`);
      return { kind: 'ok', zones, writtenAt, source: head.source, records };
    }
    const z = parseZoneLine(v);
    if (typeof z === 'string') return fail(i + 1, z);
    zones.push(z);
    records += z.records.length;
  }
  return fail(lines.length, 'no end line: the file is truncated');
}

function parseZoneLine(v: unknown): CachedZone | string {
  if (!isObject(v) || typeof v.origin !== 'string' || !Number.isSafeInteger(v.id) || !Array.isArray(v.rr)) return 'not a zone line ({"origin","id","rr"})';
  let origin: string;
  try {
    origin = parseName(v.origin, '.');
  } catch (err) {
    return `origin ${JSON.stringify(v.origin)}: ${(err as Error).message}`;
  }
  const records: RR[] = [];
  for (const [k, r] of (v.rr as unknown[]).entries()) {
    const rr = parseRecord(r);
    if (typeof rr === 'string') return `zone ${origin}, record ${k + 1}: ${rr}`;
    records.push(rr);
  }
  const ent = v.ent ?? [];
  if (!Array.isArray(ent) || !ent.every((n) => typeof n === 'string')) return `zone ${origin}: "ent" is not a list of names`;
  const emptyNames: string[] = [];
  for (const n of ent as string[]) {
    try {
      emptyNames.push(parseName(n, '.'));
    } catch (err) {
      return `zone ${origin}, empty name ${JSON.stringify(n)}: ${(err as Error).message}`;
    }
  }
  const dnssec = parseKeys(v.keys, v.meta);
  if (typeof dnssec === 'string') return `zone ${origin}: ${dnssec}`;
  return { origin, id: v.id as number, records, emptyNames, ...(dnssec ? { dnssec } : {}) };
}

function parseKeys(keys: unknown, meta: unknown): ZoneKeyInput | undefined | string {
  if (keys === undefined && meta === undefined) return undefined;
  const row = (k: unknown): k is KeyRow => isObject(k) && (typeof k.id === 'number' || typeof k.id === 'string') && typeof k.flags === 'number'
    && typeof k.active === 'boolean' && typeof k.published === 'boolean' && typeof k.content === 'string';
  if (!Array.isArray(keys) || !keys.every(row)) return '"keys" is not a list of {id, flags, active, published, content}';
  const pair = (m: unknown) => Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && Array.isArray(m[1]) && m[1].every((x) => typeof x === 'string');
  if (!Array.isArray(meta) || !meta.every(pair)) return '"meta" is not a list of [kind, [values]]';
  return { keys, meta: meta as [string, string[]][] };
}

function parseRecord(r: unknown): RR | string {
  if (!Array.isArray(r) || r.length !== 4) return 'not [name, ttl, type, content]';
  const [name, ttl, type, content] = r as unknown[];
  if (typeof name !== 'string' || typeof type !== 'string' || typeof content !== 'string') return 'name, type and content must be strings';
  if (!Number.isInteger(ttl) || (ttl as number) < 0 || (ttl as number) > 0x7fffffff) return `bad TTL ${JSON.stringify(ttl)}`;
  const code = typeCode(type);
  if (code === undefined) return `unknown type ${JSON.stringify(type)}`;
  try {
    return { name: parseName(name, '.'), type: code, class: 1, ttl: ttl as number, data: parseRdata(code, content, '.') };
  } catch (err) {
    return `${name} ${type}: ${(err as Error).message}`;
  }
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
