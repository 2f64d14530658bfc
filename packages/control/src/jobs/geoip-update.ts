// One GeoLite2/GeoIP2 update run, as geoipupdate v7 does it
// (internal/geoipupdate/geoip_updater.go): take the lock, then for each edition
// (Parallelism at a time) compare the local MD5 with the server's metadata and
// download only when they differ (the free account allows 30 downloads a day),
// retrying transient failures with backoff up to RetryFor. Unlike geoipupdate,
// one failing edition does not stop the others; each gets its own outcome.
// Each edition also has an overall deadline (`deadlineMs`, config
// geoip.deadlineMs): the idle timeout alone lets a server that trickles a byte
// every few seconds hold the run, and the lock, forever. At the deadline the
// request in flight is destroyed, no retry starts, the temporary file goes and
// the edition reports ERR_GEOIP_DEADLINE.
import { createGunzip } from 'node:zlib';
import { mkdir, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '@geoedge/shared';
import type { GeoipConf } from './geoip-conf.js';
import { getMetadata, openDownload, type Failure, type ServerContext } from './maxmind-http.js';
import { extractMmdb } from './tar-reader.js';
import { installMmdb, localMd5, dbPath } from './install-mmdb.js';
import { probeMmdb, type ProbeResult } from './mmdb-probe.js';
import { acquireLock } from './file-lock.js';
import { withBackoff } from './backoff.js';

export type EditionOutcome =
  | { kind: 'updated'; editionId: string; md5: string; date: string; bytes: number }
  | { kind: 'unchanged'; editionId: string; md5: string; date?: string }
  | { kind: 'error'; editionId: string; code: string; message: string };

export type RunOutcome =
  | { kind: 'done'; ok: boolean; editions: EditionOutcome[]; startedAt: Date; finishedAt: Date }
  | { kind: 'busy'; message: string };

export interface EditionStatus {
  editionId: string;
  /** MD5 and modification time of the installed file (absent if none). */
  md5?: string;
  fileModifiedAt?: string;
  /** Release date reported by the server for the installed data. */
  date?: string;
  lastResult?: EditionOutcome['kind'];
  lastError?: string;
  lastAttemptAt?: string;
  lastSuccessAt?: string;
}

export interface UpdaterDeps {
  log: Logger;
  probe?: (path: string) => Promise<ProbeResult>;
  /** First backoff interval; tests shorten it. */
  initialBackoffMs?: number;
  timeoutMs?: number;
  /** Overall time for one edition, retries included (default DEFAULT_DEADLINE_MS). */
  deadlineMs?: number;
  onOutcome?: (o: EditionOutcome) => void;
}

export interface GeoipUpdater {
  run(): Promise<RunOutcome>;
  status(): Promise<EditionStatus[]>;
  readonly conf: GeoipConf;
}

const USER_AGENT = 'geoipupdate/7.1.0 (geoedge geoctl)';
/** 30 minutes: a GeoLite2-City download (~35 MB) at 200 kB/s, with room for retries. */
export const DEFAULT_DEADLINE_MS = 30 * 60_000;

export function createGeoipUpdater(conf: GeoipConf, deps: UpdaterDeps): GeoipUpdater {
  const state = new Map<string, EditionStatus>(conf.editionIds.map((id) => [id, { editionId: id }]));
  let running = false;
  const ctx: ServerContext = {
    url: conf.url,
    accountId: conf.accountId,
    licenseKey: conf.licenseKey,
    userAgent: USER_AGENT,
    timeoutMs: deps.timeoutMs ?? 60_000,
    ...(conf.proxy ? { proxy: conf.proxy } : {}),
  };

  const record = (o: EditionOutcome, at: Date) => {
    const s = state.get(o.editionId)!;
    s.lastResult = o.kind;
    s.lastAttemptAt = at.toISOString();
    if (o.kind === 'error') s.lastError = `${o.code}: ${o.message}`;
    else {
      delete s.lastError;
      s.lastSuccessAt = at.toISOString();
    }
    if (o.kind !== 'error' && o.date) s.date = o.date;
    deps.onOutcome?.(o);
  };

  async function run(): Promise<RunOutcome> {
    if (running) return { kind: 'busy', message: 'an update is already running in this process' };
    running = true;
    try {
      await mkdir(conf.databaseDirectory, { recursive: true });
      const lock = await acquireLock(conf.lockFile);
      if (lock.kind === 'busy') return { kind: 'busy', message: lock.message };
      if (lock.kind === 'error') return errorRun(lock.message);
      const startedAt = new Date();
      try {
        const editions = await pool(conf.editionIds, conf.parallelism, (id) => updateEdition(id));
        for (const o of editions) record(o, new Date());
        return { kind: 'done', ok: editions.every((e) => e.kind !== 'error'), editions, startedAt, finishedAt: new Date() };
      } finally {
        await lock.release();
      }
    } catch (err) {
      return errorRun((err as Error).message);
    } finally {
      running = false;
    }
  }

  function errorRun(message: string): RunOutcome {
    const now = new Date();
    const editions = conf.editionIds.map((editionId): EditionOutcome => ({ kind: 'error', editionId, code: 'ERR_GEOIP_LOCAL', message }));
    for (const o of editions) record(o, now);
    return { kind: 'done', ok: false, editions, startedAt: now, finishedAt: now };
  }

  async function updateEdition(editionId: string): Promise<EditionOutcome> {
    const log = deps.log.child({ edition: editionId });
    let have: string;
    try {
      have = await localMd5(dbPath(conf.databaseDirectory, editionId));
    } catch (err) {
      return { kind: 'error', editionId, code: 'ERR_GEOIP_LOCAL', message: `cannot read the installed database: ${(err as Error).message}` };
    }
    const deadlineMs = deps.deadlineMs ?? DEFAULT_DEADLINE_MS;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), deadlineMs);
    const late: EditionOutcome = { kind: 'error', editionId, code: 'ERR_GEOIP_DEADLINE', message: `not finished within the edition deadline of ${deadlineMs} ms (geoip.deadlineMs)` };
    let outcome: EditionOutcome;
    try {
      outcome = await withBackoff<EditionOutcome>(
        async () => (deadline.signal.aborted ? { done: true, value: late } : attempt(editionId, have, { ...ctx, signal: deadline.signal })),
        { budgetMs: conf.retryForMs, initialMs: deps.initialBackoffMs ?? 500, sleep: (ms) => abortableSleep(ms, deadline.signal) },
        (o, waitMs) => log.warn({ err: o.kind === 'error' ? o.message : undefined, wait_ms: waitMs }, 'geoip download failed; retrying'),
      );
    } finally {
      clearTimeout(timer);
    }
    // Whatever the aborted request failed with, the reason is the deadline.
    if (outcome.kind === 'error' && deadline.signal.aborted) outcome = late;
    if (outcome.kind === 'error') log.error({ code: outcome.code, err: outcome.message }, 'geoip update failed');
    else log.info({ result: outcome.kind, md5: outcome.md5 }, outcome.kind === 'updated' ? 'geoip database updated' : 'geoip database up to date');
    return outcome;
  }

  async function attempt(editionId: string, have: string, ctx: ServerContext) {
    const fail = (f: Failure) => ({ done: false as const, retryable: f.retryable, value: failure(editionId, f) });
    const meta = await getMetadata(ctx, editionId);
    if (meta.kind !== 'ok') return fail(meta);
    if (meta.meta.md5 === have) return { done: true as const, value: { kind: 'unchanged' as const, editionId, md5: have, date: meta.meta.date } };
    const dl = await openDownload(ctx, editionId, meta.meta.date);
    if (dl.kind === 'not-modified') return { done: true as const, value: { kind: 'unchanged' as const, editionId, md5: have } };
    if (dl.kind !== 'ok') return fail(dl);
    const body = dl.body;
    const res = await installMmdb({
      dir: conf.databaseDirectory,
      editionId,
      expectedMd5: meta.meta.md5,
      probe: deps.probe ?? probeMmdb,
      ...(conf.preserveFileTimes && dl.lastModified ? { mtime: dl.lastModified } : {}),
      produce: async (sink) => {
        const gunzip = createGunzip();
        const piping = pipeline(body, gunzip).catch(() => undefined);
        try {
          return await extractMmdb(gunzip, sink);
        } finally {
          body.destroy();
          gunzip.destroy();
          await piping;
        }
      },
    });
    if (res.kind === 'error') return { done: false as const, retryable: res.retryable, value: { kind: 'error' as const, editionId, code: res.code, message: res.message } };
    return { done: true as const, value: { kind: 'updated' as const, editionId, md5: meta.meta.md5, date: meta.meta.date, bytes: res.bytes } };
  }

  async function status(): Promise<EditionStatus[]> {
    const out: EditionStatus[] = [];
    for (const id of conf.editionIds) {
      const s: EditionStatus = { ...state.get(id)! };
      const path = dbPath(conf.databaseDirectory, id);
      try {
        const st = await stat(path);
        s.fileModifiedAt = st.mtime.toISOString();
        s.md5 = await localMd5(path);
      } catch {
        /* not installed yet */
      }
      out.push(s);
    }
    return out;
  }

  return { run, status, conf };
}

function failure(editionId: string, f: Failure): EditionOutcome {
  if (f.kind === 'http') {
    const hint = f.status === 401 ? ' (check AccountID and LicenseKey)' : f.status === 403 ? ' (is this edition part of your subscription?)' : '';
    return { kind: 'error', editionId, code: `ERR_GEOIP_HTTP_${f.status}`, message: `server answered ${f.status}${hint}: ${f.body.trim().slice(0, 200)}` };
  }
  return { kind: 'error', editionId, code: f.kind === 'network' ? 'ERR_GEOIP_NETWORK' : 'ERR_GEOIP_PROTOCOL', message: f.message };
}

/** A backoff pause that ends early when the edition's deadline passes. */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Runs `fn` over `items`, at most `n` at a time, keeping the input order in the result. */
async function pool<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  return out;
}
