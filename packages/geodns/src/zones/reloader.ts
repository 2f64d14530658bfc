// Serves a directory of zone files and keeps it current. Each pass lists the
// directory, re-reads only files whose fingerprint (inode, size, mtime, ctime;
// their $INCLUDEs' too) changed, and, if anything changed, builds a new
// ZoneSet and hands it over whole (ARCHITECTURE.md: snapshots swapped whole).
//
//   - a file that fails (syntax error, CNAME clash, no SOA…) is logged once per
//     change with file:line, and the last good version of its zone stays served;
//     at start, when there is no good version, the zone is skipped;
//   - a deleted file takes its zone away;
//   - passes run on reload() (SIGHUP), on fs.watch events (debounced: editors
//     write in several steps), and on a slow poll, because fs.watch can miss
//     events (NFS, some editors' rename dance, a recreated directory);
//   - a missing directory fails start(); later it is logged and everything
//     already loaded keeps being served.
import { watch, type FSWatcher } from 'node:fs';
import { briefList, type Logger, type Service } from '@geoedge/shared';
import type { ZoneData } from './zone.js';
import { buildZoneSet, type ZoneSetData } from './zone-set.js';
import type { ZoneKeySource } from './key-dir.js';
import { claimOrigin, fileSignature, listZoneFiles, loadZoneFileSliced } from './file-source.js';

export interface FileZoneSourceOptions {
  dir: string;
  log: Logger;
  onSnapshot: (zs: ZoneSetData) => void;
  /** Called after every pass: ok is false if the directory or any changed file failed. */
  onReload?: (ok: boolean) => void;
  /** Wait after the last fs.watch event before a pass (default 250 ms). */
  debounceMs?: number;
  /** The fallback poll (default 30 s). */
  pollMs?: number;
  /** Use fs.watch (default true); tests turn it off to exercise the poll alone. */
  watch?: boolean;
  /** Serve LUA records (enable-lua-records yes/shared; default true). Zone files have no per-zone switch. */
  luaRecords?: boolean;
  /** DNSSEC keys for the zone files (dnssec.keyDir), if any. */
  keys?: ZoneKeySource;
}

export interface FileZoneSource extends Service {
  /** One pass now (queued behind a running one). Resolves when it is done. */
  reload(): Promise<void>;
}

interface Served {
  sig: string;         // fingerprint of the file and its includes when last read
  includes: string[];  // the $INCLUDE files it read then
  zone?: ZoneData;     // last good version, if any
  failed: boolean;     // whether the file as it is now failed to load
}

/** Why a pass runs: an explicit one always counts as a reload; watch/poll passes only when they find changes. */
type Reason = 'start' | 'reload' | 'watch' | 'poll';

export function createFileZoneSource(opts: FileZoneSourceOptions): FileZoneSource {
  const { dir, log } = opts;
  const served = new Map<string, Served>();
  let queue: Promise<void> = Promise.resolve();
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  let closed = false;

  /** Passes never overlap: each waits for the one before. */
  const enqueue = (reason: Reason): Promise<void> => {
    const run = queue.then(() => pass(reason));
    queue = run.catch(() => undefined);
    return run;
  };
  const background = (reason: Reason) => {
    if (closed) return;
    enqueue(reason).catch((err) => log.error({ err, reason }, 'zone reload failed'));
  };

  /** One pass; on the first one a missing directory is an error for start() to throw. */
  async function pass(reason: Reason): Promise<void> {
    const first = reason === 'start';
    const list = await listZoneFiles(dir);
    if (list.kind === 'error') {
      if (first) throw new Error(`${list.message}: nothing to serve`);
      log.error({ dir }, `${list.message}; still serving the ${served.size} zone files loaded before`);
      opts.onReload?.(false);
      return;
    }
    let changed = first;
    let ok = true;
    const present = new Set(list.paths);
    for (const path of [...served.keys()]) {
      if (present.has(path)) continue;
      const gone = served.get(path)!;
      served.delete(path);
      changed = true;
      log.info({ zone: gone.zone?.origin, file: path }, 'zone file removed; zone no longer served');
    }
    for (const path of list.paths) {
      const r = await refresh(path);
      changed ||= r.changed;
      ok &&= r.ok;
      if (closed) return;
    }
    if (changed) publish();
    if (reason === 'reload') ok = reportExplicit() && ok;
    if (changed || !ok || reason === 'reload') opts.onReload?.(ok);
  }

  /**
   * After reload() (SIGHUP): files still broken from before were reported when
   * they changed; name them again in one line, and count the reload as failed.
   */
  function reportExplicit(): boolean {
    const failing = [...served].filter(([, s]) => s.failed).map(([path]) => path);
    const zones = [...served.values()].filter((s) => s.zone).length;
    if (failing.length) log.warn({ dir, zones, failing: briefList(failing) }, `reload done; ${failing.length} zone files still fail to load`);
    else log.info({ dir, zones }, 'reload done');
    return failing.length === 0;
  }

  /** Re-reads one file if its fingerprint moved; keeps the old zone when the new text fails. */
  async function refresh(path: string): Promise<{ changed: boolean; ok: boolean }> {
    const prev = served.get(path);
    // Taken before reading: a write during the read shows up as a change next pass.
    const own = String(await fileSignature(path));
    if (prev && own + (await includeSigs(prev.includes)) === prev.sig) return { changed: false, ok: true };
    const r = await loadZoneFileSliced(path, () => closed, opts.luaRecords ?? true, opts.keys);
    if (!r) return { changed: false, ok: true }; // closing: abandoned mid-file
    const entry: Served = { sig: own + (await includeSigs(r.includes)), includes: r.includes, zone: prev?.zone, failed: r.kind === 'error' };
    served.set(path, entry);
    if (r.kind === 'error') {
      const keep = prev?.zone ? `; still serving the previous version (serial ${prev.zone.serial})` : '; zone not served';
      // Short whatever the file holds: the count, then the first errors, each cut (shared briefList).
      const errors = briefList(r.errors);
      log.error({ zone: r.origin, file: path, error_count: r.errors.length, errors }, `zone file failed to load${keep}: ${errors[0] ?? ''}`);
      return { changed: false, ok: false };
    }
    entry.zone = r.zone;
    const level = r.warnings.length ? 'warn' : 'info';
    log[level]({ zone: r.origin, file: path, serial: r.zone.serial, records: r.zone.recordCount, warnings: r.warnings.length ? briefList(r.warnings) : undefined }, 'zone loaded');
    return { changed: true, ok: true };
  }

  function publish(): void {
    const owner = new Map<string, string>();
    const zones: ZoneData[] = [];
    for (const [path, s] of served) {
      if (!s.zone) continue;
      const r = claimOrigin({ kind: 'ok', file: path, origin: s.zone.origin, zone: s.zone, warnings: [], includes: [] }, owner);
      if (r.kind === 'ok') zones.push(s.zone);
      else log.error({ zone: s.zone.origin, file: path }, r.errors[0]);
    }
    opts.onSnapshot(buildZoneSet(zones));
    log.info({ zones: zones.length, dir }, 'zone snapshot published');
  }

  function startWatching(): void {
    const debounceMs = opts.debounceMs ?? 250;
    if (opts.watch !== false) startWatcher(debounceMs);
    poll = setInterval(() => background('poll'), opts.pollMs ?? 30_000);
    poll.unref();
  }

  function startWatcher(debounceMs: number): void {
    try {
      watcher = watch(dir, { persistent: false }, () => {
        clearTimeout(debounce);
        debounce = setTimeout(() => background('watch'), debounceMs);
        debounce.unref();
      });
      watcher.on('error', (err) => log.warn({ err, dir }, 'zone directory watch failed; the poll still runs'));
    } catch (err) {
      log.warn({ err, dir }, 'cannot watch the zone directory; relying on the poll');
    }
  }

  return {
    name: 'zone-files',
    async start() {
      await enqueue('start');
      startWatching();
    },
    async close() {
      closed = true;
      clearTimeout(debounce);
      clearInterval(poll);
      watcher?.close();
      await queue;
    },
    reload: () => enqueue('reload'),
  };
}

/** One fingerprint per include, so a change to an included file reloads its zone. */
async function includeSigs(paths: string[]): Promise<string> {
  let out = '';
  for (const p of paths) out += `|${p}@${await fileSignature(p)}`;
  return out;
}
