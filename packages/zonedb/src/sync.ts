// Keeps a reader's copy of the zones current: the first full load, then
// ChangeDetector polls and per-zone re-reads, with backoff while the database
// is away. It owns a timer, so it is a Service (start/close). It knows nothing
// of geodns: it hands over DbZone objects and the caller builds its snapshot.
//
//   tick ──(not loaded)──▶ prime + loadAllZones ──▶ onFull
//        ──(loaded)──────▶ poll ──▶ loadZones(added ∪ changed ∪ pending) ──▶ onDelta
//   failure: the ids still to read stay pending, the delay doubles up to
//   maxBackoffMs, onHealth is told once per transition (logged once by the caller).
import type { Service } from '@geoedge/shared';
import type { Db, DbErrorCode } from './db.js';
import type { RowProblem } from './convert.js';
import { ChangeDetector } from './changes.js';
import { loadAllZones, loadZones, type DbZone, type LoadOptions } from './read.js';

export type SyncHealth = { ok: true } | { ok: false; code: DbErrorCode; message: string };

export interface ZoneSyncHandlers {
  /** Every zone, after the first successful load. */
  onFull(zones: Map<number, DbZone>, problems: RowProblem[]): void;
  /** Zones re-read after a change (whole zones), and ids of zones that are gone. */
  onDelta(delta: { upserted: DbZone[]; deleted: number[] }): void;
  /** The database became unreachable/failing, or recovered. Called on transitions only. */
  onHealth?(health: SyncHealth): void;
}

export interface ZoneSyncOptions extends LoadOptions {
  /** Poll interval (default 1000 ms). */
  intervalMs?: number;
  /** Longest wait between attempts while failing (default 30 s). */
  maxBackoffMs?: number;
  /** See ChangeDetectorOptions.fullCheckEveryMs. */
  fullCheckEveryMs?: number;
}

export interface SyncStatus {
  loaded: boolean;
  /** When the data was last known current (ms since epoch), or undefined before the first load. */
  lastSuccessAt: number | undefined;
  failing: { code: DbErrorCode; message: string; since: number } | undefined;
}

export class ZoneSync implements Service {
  readonly name = 'zonedb-sync';
  private readonly detector: ChangeDetector;
  private readonly pending = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private failures = 0;
  private state: SyncStatus = { loaded: false, lastSuccessAt: undefined, failing: undefined };
  private firstDone!: (ok: boolean) => void;
  /** Resolves after the first attempt to load: true if it succeeded. */
  readonly firstLoad = new Promise<boolean>((resolve) => (this.firstDone = resolve));

  constructor(private readonly db: Db, private readonly handlers: ZoneSyncHandlers, private readonly opts: ZoneSyncOptions = {}) {
    this.detector = new ChangeDetector(db, { fullCheckEveryMs: opts.fullCheckEveryMs });
  }

  /** Starts the loop; never rejects (a database that is away is reported through onHealth and firstLoad). */
  async start(): Promise<void> {
    this.closed = false;
    this.schedule(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }

  status(): SyncStatus {
    return { ...this.state };
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((err: unknown) => {
          // A throwing handler must not stop the loop; it is reported like a failure.
          this.firstDone(false);
          this.handlers.onHealth?.({ ok: false, code: 'ERR_DB_QUERY', message: `zone handler failed: ${(err as Error)?.message ?? String(err)}` });
          this.schedule(this.opts.intervalMs ?? 1000);
        })
        .finally(() => (this.running = undefined));
    }, ms);
  }

  private async tick(): Promise<void> {
    const first = !this.state.loaded;
    const outcome = first ? await this.loadEverything() : await this.update();
    if (outcome.ok) {
      this.failures = 0;
      this.state.lastSuccessAt = Date.now();
      if (this.state.failing) {
        this.state.failing = undefined;
        this.handlers.onHealth?.({ ok: true });
      }
    } else {
      this.failures++;
      if (!this.state.failing) {
        this.state.failing = { code: outcome.code, message: outcome.message, since: Date.now() };
        this.handlers.onHealth?.(outcome);
      }
    }
    if (first) this.firstDone(outcome.ok);
    const interval = this.opts.intervalMs ?? 1000;
    this.schedule(outcome.ok ? interval : Math.min(interval * 2 ** this.failures, this.opts.maxBackoffMs ?? 30_000));
  }

  private async loadEverything(): Promise<SyncHealth> {
    const primed = await this.detector.prime();
    const all = primed.ok ? await loadAllZones(this.db, this.opts) : primed;
    if (!all.ok) return all;
    this.state.loaded = true;
    this.handlers.onFull(all.zones, all.problems);
    return { ok: true };
  }

  private async update(): Promise<SyncHealth> {
    const polled = await this.detector.poll();
    if (!polled.ok) return polled;
    const { added, changed, deleted } = polled.changes;
    for (const id of [...added, ...changed]) this.pending.add(id);
    for (const id of deleted) this.pending.delete(id);
    const ids = [...this.pending];
    if (ids.length === 0 && deleted.length === 0) return { ok: true };
    const read = await loadZones(this.db, ids, this.opts);
    // Deletions are known from the poll; re-reads wait for the next tick.
    if (!read.ok) {
      if (deleted.length > 0) this.handlers.onDelta({ upserted: [], deleted });
      return read;
    }
    this.pending.clear();
    const gone = ids.filter((id) => !read.zones.has(id));
    this.handlers.onDelta({ upserted: [...read.zones.values()], deleted: [...deleted, ...gone] });
    return { ok: true };
  }
}
