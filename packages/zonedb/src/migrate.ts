// Applies the PowerDNS schema idempotently and records our schema version.
//
//   empty database          → every PowerDNS table and index is created  ("created")
//   PowerDNS already there  → its tables are left exactly as they are; only
//                             missing tables are added, and the marker  ("adopted")
//   ours, from an older geoedge → our newer tables added (history)      ("upgraded")
//   marker already current  → nothing to do                             ("current")
// Our own tables (the marker, the change history geoedge_history) are created
// whenever missing; they are never PowerDNS's, so adopting changes nothing of its.
//
// Checks come before any change: a database whose tables lack a column we
// read is refused with ERR_SCHEMA_INCOMPATIBLE and left untouched. Creation
// uses IF NOT EXISTS, so two processes migrating at once both succeed.
// checkSchema is the read-only half, for replicas (read_only=1) and readers.
import type { DbSession } from './db.js';
import { DbError } from './db.js';
import { HISTORY_CREATE, HISTORY_TABLE } from './history.js';
import { MARKER_CREATE, MARKER_TABLE, PDNS_47_COLUMNS, PDNS_TABLES, SCHEMA_VERSION } from './schema.js';

export type SchemaErrorCode = 'ERR_SCHEMA_INCOMPATIBLE' | 'ERR_SCHEMA_NEWER';

export type MigrateResult =
  | { ok: true; action: 'created' | 'adopted' | 'upgraded' | 'current'; createdTables: string[]; notes: string[]; version: number }
  | { ok: false; code: SchemaErrorCode | DbError['code']; message: string };

export type CheckSchemaResult =
  | { ok: true; version: number | undefined; notes: string[] }
  | { ok: false; code: SchemaErrorCode | DbError['code']; message: string };

interface Inspection {
  columns: Map<string, Set<string>>;
  markerVersion: number | undefined;
}

async function inspect(db: DbSession): Promise<Inspection> {
  const rows = await db.query<{ t: string; c: string }>(
    'SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()',
  );
  const columns = new Map<string, Set<string>>();
  for (const r of rows) {
    const t = r.t.toLowerCase();
    if (!columns.has(t)) columns.set(t, new Set());
    columns.get(t)!.add(r.c.toLowerCase());
  }
  let markerVersion: number | undefined;
  if (columns.has(MARKER_TABLE)) {
    const m = await db.query<{ version: number }>(`SELECT version FROM ${MARKER_TABLE} WHERE id = 1`);
    markerVersion = m[0]?.version;
  }
  return { columns, markerVersion };
}

/** Problems that forbid using the database, and notes that do not. */
function judge(ins: Inspection): { error?: { code: SchemaErrorCode; message: string }; notes: string[] } {
  if (ins.markerVersion !== undefined && ins.markerVersion > SCHEMA_VERSION) {
    return {
      error: { code: 'ERR_SCHEMA_NEWER', message: `schema version ${ins.markerVersion} was written by a newer geoedge (this one knows ${SCHEMA_VERSION})` },
      notes: [],
    };
  }
  const missing: string[] = [];
  for (const t of PDNS_TABLES) {
    const cols = ins.columns.get(t.name);
    if (!cols) continue;
    for (const c of t.needs) if (!cols.has(c)) missing.push(`${t.name}.${c}`);
  }
  if (missing.length > 0) {
    return {
      error: { code: 'ERR_SCHEMA_INCOMPATIBLE', message: `not a PowerDNS gmysql schema: missing column(s) ${missing.join(', ')}; nothing was changed` },
      notes: [],
    };
  }
  const notes: string[] = [];
  for (const [t, c] of PDNS_47_COLUMNS) {
    if (ins.columns.get(t) && !ins.columns.get(t)!.has(c)) {
      notes.push(`${t}.${c} is missing: a pre-4.7 PowerDNS schema (served as is; run PowerDNS's upgrade script to add it)`);
    }
  }
  return { notes };
}

/** Creates or adopts the PowerDNS schema. Never alters a table that exists. */
export async function migrate(db: DbSession): Promise<MigrateResult> {
  try {
    const ins = await inspect(db);
    const { error, notes } = judge(ins);
    if (error) return { ok: false, ...error };
    const existing = PDNS_TABLES.filter((t) => ins.columns.has(t.name));
    const toCreate = PDNS_TABLES.filter((t) => !ins.columns.has(t.name));
    for (const t of toCreate) {
      await db.execute(t.create.replace(/^CREATE TABLE /, 'CREATE TABLE IF NOT EXISTS '));
      for (const ix of t.indexes) await db.execute(ix.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS '));
    }
    if (existing.length > 0 && toCreate.length > 0) {
      notes.push(`created missing table(s): ${toCreate.map((t) => t.name).join(', ')}`);
    }
    const ours = ins.columns.has(HISTORY_TABLE) ? [] : [HISTORY_TABLE];
    await db.execute(HISTORY_CREATE);
    const upToDate = ins.markerVersion === SCHEMA_VERSION;
    if (!upToDate) {
      await db.execute(MARKER_CREATE);
      const origin = existing.length > 0 ? 'adopted' : 'created';
      await db.execute(
        `INSERT INTO ${MARKER_TABLE} (id, version, origin) VALUES (1, ?, ?) ON DUPLICATE KEY UPDATE version = VALUES(version)`,
        [SCHEMA_VERSION, origin],
      );
    }
    const action = existing.length === 0 ? 'created'
      : upToDate && toCreate.length === 0 && ours.length === 0 ? 'current'
      : ins.markerVersion !== undefined && toCreate.length === 0 ? 'upgraded' : 'adopted';
    return { ok: true, action, createdTables: [...toCreate.map((t) => t.name), ...ours], notes, version: SCHEMA_VERSION };
  } catch (err) {
    if (err instanceof DbError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}

/** Read-only: can zones be read from this database? (Works on a read-only replica.) */
export async function checkSchema(db: DbSession): Promise<CheckSchemaResult> {
  try {
    const ins = await inspect(db);
    const { error, notes } = judge(ins);
    if (error) return { ok: false, ...error };
    const absent = ['domains', 'records', 'domainmetadata'].filter((t) => !ins.columns.has(t));
    if (absent.length > 0) {
      return { ok: false, code: 'ERR_SCHEMA_INCOMPATIBLE', message: `table(s) ${absent.join(', ')} missing: run the migration on the primary` };
    }
    return { ok: true, version: ins.markerVersion, notes };
  } catch (err) {
    if (err instanceof DbError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}
