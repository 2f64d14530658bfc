// The change history (issue 20): one row per change made through geoctl's API,
// written in the same transaction as the change, so a row exists exactly when
// the change was committed and its "before" is what the change replaced (read
// under the zone lock). It lives in a table of ours beside PowerDNS's
// (PowerDNS never reads it; its own tables stay as they are), created by
// `geoctl migrate`, keyed by the zone's stored name rather than its id so the
// history of a deleted zone is still there, and pruned by age (pruneHistory).
//
// Each side holds what the change touched: the RRsets named in a PATCH, every
// RRset for a created or deleted zone, the metadata kind or zone fields for
// PUTs. Records are kept in their stored form; control turns them into API
// RRsets. One side is capped at MAX_SIDE_CHARS of JSON (a 100 000-record zone
// deleted must not make a 16 MB row): past it, rows are left out and counted.
import type { DbSession } from './db.js';

export const HISTORY_TABLE = 'geoedge_history';

export const HISTORY_CREATE = `CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
  id                    BIGINT NOT NULL AUTO_INCREMENT,
  changed_at            DATETIME(3) NOT NULL,
  zone                  VARCHAR(255) NOT NULL,
  key_name              VARCHAR(64) NOT NULL,
  action                VARCHAR(16) NOT NULL,
  before_data           MEDIUMTEXT NOT NULL,
  after_data            MEDIUMTEXT NOT NULL,
  PRIMARY KEY (id),
  INDEX geoedge_history_zone (zone, id),
  INDEX geoedge_history_time (changed_at)
) Engine=InnoDB CHARACTER SET 'utf8mb4'`;

/** Who made a change: the API key's name (control's config). */
export interface Audit { key: string }

export type HistoryAction = 'create' | 'patch' | 'delete' | 'zone' | 'metadata' | 'cryptokeys';

export interface HistoryRecord { name: string; type: string; content: string; ttl: number | null; prio: number | null; disabled: number }

/** One side of a change. Only the parts the action touches are present. */
export interface HistorySide {
  records?: HistoryRecord[];
  /** Records left out to stay under MAX_SIDE_CHARS. */
  omitted?: number;
  metadata?: Record<string, string[]>;
  zone?: Record<string, unknown>;
  /** The zone's keys, public parts only (never the private key text). */
  cryptokeys?: HistoryKey[];
}

/** A key as the history shows it: what a rollover step changes, and which key it is. */
export interface HistoryKey { id: number; flags: number; active: boolean; published: boolean; dnskey: string }

export interface HistoryEntry {
  id: number;
  changedAt: string;
  zone: string;
  key: string;
  action: HistoryAction;
  before: HistorySide;
  after: HistorySide;
}

export const MAX_SIDE_CHARS = 1_000_000;

/** The records of the given RRsets (all of the zone's when `keys` is absent), ENT rows left out. */
export async function recordsOf(s: DbSession, domainId: number, keys?: ReadonlyArray<{ name: string; type: string }>): Promise<HistoryRecord[]> {
  const sql = 'SELECT name, type, content, ttl, prio, disabled FROM records WHERE domain_id = ? AND type IS NOT NULL';
  if (keys === undefined) return s.query<HistoryRecord>(`${sql} ORDER BY name, type, id`, [domainId]);
  const out: HistoryRecord[] = [];
  const unique = [...new Map(keys.map((k) => [`${k.name}\0${k.type}`, k])).values()];
  for (let i = 0; i < unique.length; i += 200) {
    const chunk = unique.slice(i, i + 200);
    out.push(...await s.query<HistoryRecord>(`${sql} AND (${chunk.map(() => '(name = ? AND type = ?)').join(' OR ')}) ORDER BY name, type, id`,
      [domainId, ...chunk.flatMap((k) => [k.name, k.type])]));
  }
  return out;
}

/** Keeps a side under MAX_SIDE_CHARS by leaving records out (counted in `omitted`). */
export function capSide(side: HistorySide): string {
  const text = JSON.stringify(side);
  if (text.length <= MAX_SIDE_CHARS || !side.records) return text;
  const kept: HistoryRecord[] = [];
  let size = 200;
  for (const r of side.records) {
    size += JSON.stringify(r).length + 1;
    if (size > MAX_SIDE_CHARS) break;
    kept.push(r);
  }
  return JSON.stringify({ ...side, records: kept, omitted: side.records.length - kept.length });
}

export async function recordChange(s: DbSession, zone: string, audit: Audit, action: HistoryAction, before: HistorySide, after: HistorySide, now: Date): Promise<void> {
  await s.execute(
    `INSERT INTO ${HISTORY_TABLE} (changed_at, zone, key_name, action, before_data, after_data) VALUES (?, ?, ?, ?, ?, ?)`,
    [utc(now), zone, audit.key, action, capSide(before), capSide(after)],
  );
}

export interface HistoryQuery {
  /** Newest first; at most this many (1..500). */
  limit: number;
  /** Only entries with an id below this (paging). */
  beforeId?: number;
}

/** A zone's history, newest first. */
export async function listHistory(s: DbSession, zone: string, q: HistoryQuery): Promise<HistoryEntry[]> {
  const params: unknown[] = [zone];
  let sql = `SELECT id, changed_at, zone, key_name, action, before_data, after_data FROM ${HISTORY_TABLE} WHERE zone = ?`;
  if (q.beforeId !== undefined) { sql += ' AND id < ?'; params.push(q.beforeId); }
  params.push(Math.max(1, Math.min(500, q.limit)));
  const rows = await s.query<{ id: number; changed_at: string; zone: string; key_name: string; action: HistoryAction; before_data: string; after_data: string }>(
    `${sql} ORDER BY id DESC LIMIT ?`, params);
  return rows.map((r) => ({
    id: Number(r.id),
    changedAt: `${r.changed_at.replace(' ', 'T')}Z`,
    zone: r.zone,
    key: r.key_name,
    action: r.action,
    before: JSON.parse(r.before_data) as HistorySide,
    after: JSON.parse(r.after_data) as HistorySide,
  }));
}

/** Deletes entries older than `days`, in batches so no statement holds a long lock; resolves with the count. */
export async function pruneHistory(s: DbSession, days: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  let total = 0;
  for (;;) {
    const r = await s.execute(`DELETE FROM ${HISTORY_TABLE} WHERE changed_at < ? ORDER BY changed_at LIMIT 5000`, [utc(cutoff)]);
    total += r.affectedRows;
    if (r.affectedRows < 5000) return total;
  }
}

/** DATETIME in UTC, written as text: mysql2 would convert a Date to the process's local time. */
function utc(d: Date): string {
  return d.toISOString().slice(0, 23).replace('T', ' ');
}

/** Does the history table exist? (geoctl serve refuses writes it could not record.) */
export async function hasHistoryTable(s: DbSession): Promise<boolean> {
  const rows = await s.query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [HISTORY_TABLE]);
  return rows.length > 0;
}
