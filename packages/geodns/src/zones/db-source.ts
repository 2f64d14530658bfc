// Zones from MariaDB (PowerDNS gmysql schema), kept current by zonedb's
// ZoneSync: a full load first, then only the zones that changed. Each zone is
// built whole with buildZone and swapped whole; a zone that fails to build is
// logged with its problems and its previous version stays served.
//
//   start ── openDb ──ok──▶ ZoneSync.firstLoad ──ok──▶ serving from the database
//              │                    └──failed──┐
//              └──unreachable/auth──────────────┴──▶ disk cache ──ok──▶ serving the cache,
//                                                        │            reconnecting with backoff
//                                                        └──none/garbage──▶ start() fails (exit 1)
//
// The database going away later never stops DNS: the last snapshot stays
// served, ZoneSync backs off, the failure is logged once (and its end), and
// status() gives the staleness for the metrics.
import { briefList, type Logger, type Service } from '@geoedge/shared';
import { openDb, parseDbUrl, maskPassword, ZoneSync, type Db, type DbZone, type RowProblem, type SyncHealth } from '@geoedge/zonedb';
import { TYPE } from '@geoedge/dnsdata';
import { buildZone, withoutLua, type ZoneData } from './zone.js';
import { readCache, writeCache, type ZoneKeyInput } from './db-cache.js';
import { secureZone, withSigning, type KeyProblems } from '../dnssec/secure-zone.js';

export interface DbZoneSourceOptions {
  url: string;
  /** Snapshot cache file; undefined: no cache. */
  cacheFile: string | undefined;
  /**
   * enable-lua-records: whether a zone without ENABLE-LUA-RECORDS metadata serves
   * its LUA records (default true); the metadata ("1" / "0") decides for its zone.
   */
  luaRecords?: boolean;
  log: Logger;
  /** Every database zone currently served, after each change. */
  onZones(zones: ZoneData[]): void;
  /** After each load or reload: ok is false if a zone failed to build. */
  onReload?(ok: boolean): void;
  /** Change-detection poll (default 500 ms). */
  intervalMs?: number;
  /** Longest wait between attempts while the database is away (default 30 s). */
  maxBackoffMs?: number;
  /** At most one cache write per this many ms after changes (default 10 s; the first load writes at once). */
  cacheEveryMs?: number;
}

/** Metadata kinds that shape signing (dnssec/zone-keys.ts), kept in the disk cache. */
const DNSSEC_META = new Set(['NSEC3PARAM', 'NSEC3NARROW', 'PRESIGNED', 'PUBLISH-CDS', 'PUBLISH-CDNSKEY']);

export interface DbSourceStatus {
  /** The last attempt to reach the database succeeded. */
  up: boolean;
  /** Seconds since the served data was last known current (0 before any data). */
  stalenessSeconds: number;
}

export interface DbZoneSource extends Service {
  status(): DbSourceStatus;
}

interface Served {
  id: number;
  zone: ZoneData;
  /** Its keys and DNSSEC metadata, for the disk cache. */
  dnssec?: ZoneKeyInput;
}

export function createDbZoneSource(opts: DbZoneSourceOptions): DbZoneSource {
  const { log } = opts;
  const interval = opts.intervalMs ?? 500;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  let served = new Map<number, Served>();
  let db: Db | undefined;
  let sync: ZoneSync | undefined;
  const parsed = parseDbUrl(opts.url);
  let display = parsed.ok ? parsed.settings.display : maskPassword(opts.url);
  let cacheTime: number | undefined;
  let reconnect: NodeJS.Timeout | undefined;
  let closed = false;
  const cache = cacheWriter(opts, () => display, () => [...served.values()].map((s) => ({ ...s, dnssec: keyInputs.get(s.id) })));
  const keyProblems: KeyProblems = new Set();
  // The key rows each zone was last built with (database or cache), written to the cache beside it.
  const keyInputs = new Map<number, ZoneKeyInput>();

  const publish = () => opts.onZones([...served.values()].map((s) => s.zone));

  /** Builds one database zone; undefined (logged) when it cannot be served. */
  function build(z: DbZone): ZoneData | undefined {
    if (z.problemCount > 0) logRows(log, z.origin, z.problems, z.problemCount);
    let records = z.records;
    let empty = z.emptyNonTerminals;
    const lua = z.luaRecords ?? opts.luaRecords ?? true;
    if (!lua && records.some((r) => r.type === TYPE.LUA)) {
      // Their names stay (NODATA), as PowerDNS skips the LUA records it finds.
      const off = withoutLua(records);
      records = off.records;
      empty = [...empty, ...off.emptyNames];
      const why = z.luaRecords === false ? 'its ENABLE-LUA-RECORDS metadata is 0' : 'enable-lua-records is no and its ENABLE-LUA-RECORDS metadata is not 1';
      log.warn({ zone: z.origin, records: off.dropped }, `zone ${z.origin}: ${off.dropped} LUA records not served: ${why}`);
    }
    const secured = secureZone(z.origin, records, z.cryptokeys, z.metadata, log, keyProblems);
    if (z.cryptokeys.length > 0) keyInputs.set(z.id, { keys: z.cryptokeys, meta: [...z.metadata].filter(([k]) => DNSSEC_META.has(k.toUpperCase())) });
    else keyInputs.delete(z.id);
    const r = buildZone(z.origin, secured.records, `db:${z.id}`, empty);
    if (r.ok) r.zone = withSigning(r.zone, secured.signing);
    if (!r.ok) {
      const prev = findPrevious(z);
      const keep = prev ? `; still serving the previous version (serial ${prev.zone.serial})` : '; zone not served';
      log.error({ zone: z.origin, errors: briefList(r.problems) }, `zone failed to load from the database${keep}: ${briefList(r.problems)[0] ?? ''}`);
      return undefined;
    }
    if (r.problems.length) log.warn({ zone: z.origin, warnings: briefList(r.problems) }, `zone ${z.origin} loaded with problems: ${briefList(r.problems)[0]}`);
    return r.zone;
  }

  function findPrevious(z: DbZone): Served | undefined {
    const byId = served.get(z.id);
    if (byId) return byId;
    for (const s of served.values()) if (s.zone.origin === z.origin) return s;
    return undefined;
  }

  function onFull(zones: Map<number, DbZone>, problems: RowProblem[]): void {
    const started = performance.now();
    if (problems.length) logRows(log, undefined, problems, problems.length);
    const next = new Map<number, Served>();
    let failed = 0;
    let records = 0;
    for (const z of zones.values()) {
      const zone = build(z) ?? findPrevious(z)?.zone;
      if (!zone) failed++;
      if (zone) {
        next.set(z.id, { id: z.id, zone });
        records += zone.recordCount;
      }
    }
    served = next;
    cacheTime = undefined;
    publish();
    opts.onReload?.(failed === 0);
    log.info({ zones: next.size, records, failed, buildMs: Math.round(performance.now() - started), db: display }, 'zones loaded from the database');
    cache.schedule();
  }

  function onDelta(delta: { upserted: DbZone[]; deleted: number[] }): void {
    let ok = true;
    for (const id of delta.deleted) {
      const gone = served.get(id);
      if (!gone) continue;
      served.delete(id);
      log.info({ zone: gone.zone.origin, id }, 'zone deleted from the database; no longer served');
    }
    for (const z of delta.upserted) {
      const zone = build(z);
      if (!zone) { ok = false; continue; }
      served.set(z.id, { id: z.id, zone });
      log.info({ zone: z.origin, id: z.id, serial: zone.serial, records: zone.recordCount }, 'zone reloaded from the database');
    }
    publish();
    opts.onReload?.(ok);
    cache.schedule();
  }

  function onHealth(h: SyncHealth): void {
    if (h.ok) log.info({ db: display }, 'zone database back; changes are picked up again');
    else log.error({ db: display, code: h.code }, `zone database failing; still serving the last snapshot, retrying with backoff: ${h.message}`);
  }

  function begin(opened: Db): ZoneSync {
    db = opened;
    display = opened.display;
    sync = new ZoneSync(opened, { onFull, onDelta, onHealth }, { intervalMs: interval, maxBackoffMs: maxBackoff });
    void sync.start();
    return sync;
  }

  /** Retries openDb with backoff until it works (the database was away at start). */
  function reconnectLater(attempt: number): void {
    if (closed) return;
    reconnect = setTimeout(async () => {
      const o = await openDb(opts.url, { connections: 2 });
      if (closed) { if (o.ok) await o.db.close(); return; }
      if (!o.ok) return reconnectLater(attempt + 1);
      log.info({ db: o.db.display }, 'zone database reachable; loading zones');
      begin(o.db);
    }, Math.min(interval * 2 ** attempt, maxBackoff));
  }

  async function fromCache(failure: string): Promise<void> {
    const c = opts.cacheFile ? await readCache(opts.cacheFile, display) : { kind: 'missing' as const };
    if (c.kind !== 'ok') {
      const why = c.kind === 'missing' ? (opts.cacheFile ? `no cache file ${opts.cacheFile}` : 'no cache file configured') : c.message;
      throw new Error(`zone database unavailable at start (${failure}), and no usable zone cache (${why}): nothing to serve`);
    }
    const next = new Map<number, Served>();
    for (const z of c.zones) {
      const secured = z.dnssec ? secureZone(z.origin, z.records, z.dnssec.keys, new Map(z.dnssec.meta), log, keyProblems) : { records: z.records, signing: undefined };
      if (z.dnssec) keyInputs.set(z.id, z.dnssec);
      const r = buildZone(z.origin, secured.records, `cache:${z.id}`, z.emptyNames);
      if (r.ok) r.zone = withSigning(r.zone, secured.signing);
      if (r.ok) next.set(z.id, { id: z.id, zone: r.zone });
      else log.error({ zone: z.origin, errors: briefList(r.problems) }, `cached zone failed to build; not served: ${briefList(r.problems)[0] ?? ''}`);
    }
    served = next;
    cacheTime = c.writtenAt;
    publish();
    log.warn({ zones: next.size, records: c.records, file: opts.cacheFile, writtenAt: new Date(c.writtenAt).toISOString() }, 'zone database unavailable at start; serving the zone cache until it is back');
  }

  return {
    name: 'zone-db',
    async start() {
      closed = false;
      const o = await openDb(opts.url, { connections: 2 });
      if (!o.ok && o.error.code === 'ERR_DB_URL') throw new Error(o.error.message);
      let failure: string;
      if (o.ok) {
        const s = begin(o.db);
        if (await s.firstLoad) return;
        failure = s.status().failing?.message ?? 'first load failed';
      } else {
        failure = o.error.message;
        log.error({ db: display, code: o.error.code }, `zone database unreachable; retrying with backoff: ${failure}`);
        reconnectLater(0);
      }
      try {
        await fromCache(failure);
      } catch (err) {
        await this.close();
        throw err;
      }
    },
    async close() {
      closed = true;
      clearTimeout(reconnect);
      await sync?.close();
      await cache.flush();
      await db?.close().catch(() => {});
    },
    status() {
      const st = sync?.status();
      const up = st !== undefined && st.loaded && st.failing === undefined;
      const last = st?.lastSuccessAt ?? cacheTime;
      return { up, stalenessSeconds: last === undefined ? 0 : Math.max(0, (Date.now() - last) / 1000) };
    },
  };
}

/** Rows skipped by zonedb (bad content, name outside the zone…), each naming its record id. */
function logRows(log: Logger, zone: string | undefined, problems: RowProblem[], count: number): void {
  const lines = problems.slice(0, 20).map((p) => p.message);
  const where = zone ? `zone ${zone}: ` : '';
  log.warn({ zone, skipped: count, problems: briefList(lines) }, `${where}${count} database rows skipped, the rest is served: ${briefList(lines)[0] ?? ''}`);
}

/** Coalesced, rate-limited cache writes; one at a time. */
function cacheWriter(opts: DbZoneSourceOptions, source: () => string, zones: () => Served[]) {
  const every = opts.cacheEveryMs ?? 10_000;
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;
  let lastAt = 0;
  let failing = false;
  const write = (): Promise<void> => {
    timer = undefined;
    dirty = false;
    lastAt = Date.now();
    writing = writeCache(opts.cacheFile!, source(), zones()).then((r) => {
      if (r.ok) {
        if (failing) opts.log.info({ file: opts.cacheFile }, 'zone cache written again');
        failing = false;
        opts.log.info({ file: opts.cacheFile, zones: r.zones, records: r.records, bytes: r.bytes }, 'zone cache written');
      } else if (!failing) {
        failing = true;
        opts.log.warn({ file: opts.cacheFile }, `${r.message}; serving is not affected, retrying after the next change`);
      }
    }).finally(() => {
      writing = undefined;
      if (dirty) schedule();
    });
    return writing;
  };
  const schedule = (): void => {
    if (!opts.cacheFile) return;
    dirty = true;
    if (timer || writing) return;
    timer = setTimeout(() => void write(), Math.max(0, lastAt + every - Date.now()));
    timer.unref();
  };
  return {
    schedule,
    async flush(): Promise<void> {
      clearTimeout(timer);
      timer = undefined;
      await writing;
      if (dirty && opts.cacheFile) await write();
    },
  };
}
