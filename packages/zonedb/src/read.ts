// Reads zones from the PowerDNS tables: all of them in one pass at start-up,
// or a chosen few after change detection. One code path for both.
//
// Four queries run inside one consistent-snapshot transaction (domains,
// domainmetadata, cryptokeys, records), so a zone is never read half before and half after
// a commit. Records are streamed row by row in primary-key order (no ORDER BY:
// sorting a million rows costs the server more than grouping them here) and
// converted as they arrive, so memory holds the RR objects, never the result set.
import type { RR } from '@geoedge/dnsdata';
import { TYPE } from '@geoedge/dnsdata';
import { DbError, type Db } from './db.js';
import { convertRecord, domainOrigin, RECORD_COLUMNS, DEFAULT_TTL, type RecordRow, type RowProblem } from './convert.js';
import type { CryptokeyRow } from './dnssec-state.js';

export interface DbZone {
  /** domains.id */
  id: number;
  /** Apex, lower-case FQDN. */
  origin: string;
  /** domains.type: NATIVE, MASTER, SLAVE, PRODUCER, CONSUMER. */
  kind: string;
  records: RR[];
  /** Names of type-NULL rows (empty non-terminals), FQDN. */
  emptyNonTerminals: string[];
  /** Rows with auth=0 (delegation NS and glue), kept in `records`. */
  nonAuthCount: number;
  /** domainmetadata kind → contents. */
  metadata: Map<string, string[]>;
  /** cryptokeys rows (DNSSEC keys in PowerDNS's private-key text), in id order. */
  cryptokeys: CryptokeyRow[];
  /**
   * The zone's ENABLE-LUA-RECORDS metadata: true for "1", false for "0",
   * undefined when absent (or another value): the server's enable-lua-records decides.
   */
  luaRecords: boolean | undefined;
  /** The SOA serial, if the zone has a (parseable) SOA. */
  serial: number | undefined;
  /** Rows skipped, each naming its record id (at most MAX_PROBLEMS kept; problemCount counts all). */
  problems: RowProblem[];
  problemCount: number;
}

export interface LoadStats {
  rows: number;
  hidden: number;
  durationMs: number;
}

export type LoadResult =
  | { ok: true; zones: Map<number, DbZone>; problems: RowProblem[]; stats: LoadStats }
  | { ok: false; code: DbError['code']; message: string };

export interface LoadOptions {
  /** TTL for rows whose ttl is NULL (PowerDNS's default-ttl). */
  defaultTtl?: number;
}

const MAX_PROBLEMS = 1000;

/** Every zone in the database. */
export function loadAllZones(db: Db, opts: LoadOptions = {}): Promise<LoadResult> {
  return load(db, undefined, opts);
}

/**
 * The zones with these domains.id values; an id missing from the result was
 * deleted. An empty list reads nothing.
 */
export function loadZones(db: Db, ids: readonly number[], opts: LoadOptions = {}): Promise<LoadResult> {
  return load(db, [...new Set(ids)].filter((n) => Number.isSafeInteger(n)), opts);
}

async function load(db: Db, ids: number[] | undefined, opts: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  if (ids && ids.length === 0) return { ok: true, zones: new Map(), problems: [], stats: { rows: 0, hidden: 0, durationMs: 0 } };
  const where = (col: string) => (ids ? ` WHERE ${col} IN (${ids.map(() => '?').join(',')})` : '');
  const params = ids ?? [];
  try {
    return await db.snapshot(async (s) => {
      const stats: LoadStats = { rows: 0, hidden: 0, durationMs: 0 };
      const ctx: Ctx = { zones: new Map(), problems: [], skipped: new Set(), ttl: opts.defaultTtl ?? DEFAULT_TTL, stats };
      const { zones, problems } = ctx;
      const domains = await s.query<{ id: number; name: string; type: string }>(`SELECT id, name, type FROM domains${where('id')}`, params);
      for (const d of domains) addZone(ctx, d);
      await s.each(`SELECT domain_id, kind, content FROM domainmetadata${where('domain_id')}`, params, (row) => {
        const z = zones.get(row[0] as number);
        if (z && typeof row[1] === 'string') addMeta(z, row[1], (row[2] as string | null) ?? '');
      });
      await s.each(`SELECT id, domain_id, flags, active, published, content FROM cryptokeys${where('domain_id')} ORDER BY id`, params, (row) => {
        const z = zones.get(row[1] as number);
        // published NULL: a schema from before 4.3 had no such column default; PowerDNS reads it as published.
        if (z) z.cryptokeys.push({ id: row[0] as number, flags: Number(row[2]), active: Number(row[3]) === 1, published: row[4] === null || Number(row[4]) === 1, content: String(row[5] ?? '') });
      });
      stats.rows = await s.each(`SELECT ${RECORD_COLUMNS} FROM records${where('domain_id')}`, params, (row) => addRow(ctx, row as RecordRow));
      stats.durationMs = Math.round(performance.now() - started);
      return { ok: true as const, zones, problems, stats };
    });
  } catch (err) {
    if (err instanceof DbError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}

interface Ctx {
  zones: Map<number, DbZone>;
  problems: RowProblem[];
  /** Domains whose name did not parse: their rows are skipped silently (the domain's problem says why). */
  skipped: Set<number>;
  ttl: number;
  stats: LoadStats;
}

function addZone(ctx: Ctx, d: { id: number; name: string; type: string }): void {
  let origin: string;
  try {
    origin = domainOrigin(d.name);
  } catch (err) {
    ctx.skipped.add(d.id);
    ctx.problems.push({ recordId: 0, domainId: d.id, kind: 'bad-name', message: `domain id ${d.id} ("${d.name}"): name does not parse: ${(err as Error).message}; zone skipped` });
    return;
  }
  ctx.zones.set(d.id, {
    id: d.id, origin, kind: d.type, records: [], emptyNonTerminals: [], nonAuthCount: 0,
    metadata: new Map(), cryptokeys: [], luaRecords: undefined, serial: undefined, problems: [], problemCount: 0,
  });
}

function addMeta(z: DbZone, kind: string, content: string): void {
  const list = z.metadata.get(kind);
  if (list) list.push(content);
  else z.metadata.set(kind, [content]);
  if (kind.toUpperCase() === 'ENABLE-LUA-RECORDS') {
    const v = content.trim();
    z.luaRecords = v === '1' ? true : v === '0' ? false : undefined;
  }
}

function addRow(ctx: Ctx, row: RecordRow): void {
  const domainId = row[1];
  const z = domainId === null ? undefined : ctx.zones.get(domainId);
  if (!z) {
    if (domainId !== null && ctx.skipped.has(domainId)) return;
    if (ctx.problems.length < MAX_PROBLEMS) {
      ctx.problems.push({ recordId: row[0], domainId, kind: 'no-zone', message: `record id ${row[0]}: domain_id ${domainId ?? 'NULL'} is not a zone; skipped` });
    }
    return;
  }
  const r = convertRecord(row, z.origin, ctx.ttl);
  switch (r.kind) {
    case 'record':
      z.records.push(r.rr);
      if (!r.auth) z.nonAuthCount++;
      if (r.rr.type === TYPE.SOA && r.rr.data.kind === 'soa') z.serial = r.rr.data.serial;
      return;
    case 'ent':
      z.emptyNonTerminals.push(r.name);
      return;
    case 'hidden':
      ctx.stats.hidden++;
      return;
    case 'problem':
      z.problemCount++;
      if (z.problems.length < MAX_PROBLEMS) z.problems.push(r.problem);
  }
}
