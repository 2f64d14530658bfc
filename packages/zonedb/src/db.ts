// The suite's one mysql2 import. Everything else in zonedb (and geodns,
// control) talks to MariaDB through the small Db interface below, and sees
// failures as DbError with a stable code:
//   ERR_DB_URL               the URL does not parse
//   ERR_DB_UNREACHABLE       refused, timed out, no route, server went away
//   ERR_DB_AUTH              wrong user/password, or no rights on the database
//   ERR_DB_UNKNOWN_DATABASE  the server has no such database
//   ERR_DB_QUERY             anything else a statement ran into
// Messages name the server by its masked URL; the password is never in them.
import mysql from 'mysql2/promise';
import type { Connection as CoreConnection } from 'mysql2';
import { SuiteError } from '@geoedge/shared';
import { parseDbUrl, type DbSettings } from './db-url.js';

export type DbErrorCode = 'ERR_DB_URL' | 'ERR_DB_UNREACHABLE' | 'ERR_DB_AUTH' | 'ERR_DB_UNKNOWN_DATABASE' | 'ERR_DB_QUERY';

export class DbError extends SuiteError {
  declare readonly code: DbErrorCode;
  constructor(code: DbErrorCode, message: string) {
    super(code, message);
    this.name = 'DbError';
  }
}

export interface WriteResult {
  affectedRows: number;
  insertId: number;
}

/** What a query can run on: the pool, or one connection inside a snapshot/transaction. */
export interface DbSession {
  /** Rows as objects keyed by column name. */
  query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** A statement that changes data. */
  execute(sql: string, params?: unknown[]): Promise<WriteResult>;
  /** Streams rows as arrays (column order of the SELECT) without holding the result set; resolves with the row count. */
  each(sql: string, params: unknown[], onRow: (row: unknown[]) => void): Promise<number>;
}

export interface Db extends DbSession {
  /** The masked URL, for logs. */
  readonly display: string;
  /** Runs `fn` on one connection in a read-only transaction with a consistent snapshot: every query sees one state. */
  snapshot<T>(fn: (s: DbSession) => Promise<T>): Promise<T>;
  /** Runs `fn` in a read-write transaction; commits if it resolves, rolls back if it throws. */
  transaction<T>(fn: (s: DbSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type OpenDbResult = { ok: true; db: Db } | { ok: false; error: DbError };

export interface OpenDbOptions {
  /** Connections in the pool (default 4). */
  connections?: number;
  /** Connect timeout in ms (default 5000). */
  connectTimeoutMs?: number;
}

/** Opens a pool and checks the server answers, so a bad URL, password or database is reported at once. */
export async function openDb(url: string, opts: OpenDbOptions = {}): Promise<OpenDbResult> {
  const parsed = parseDbUrl(url);
  if (!parsed.ok) return { ok: false, error: new DbError('ERR_DB_URL', parsed.message) };
  const s = parsed.settings;
  const pool = mysql.createPool({
    ...(s.socket !== undefined ? { socketPath: s.socket } : { host: s.host, port: s.port }),
    user: s.user,
    password: s.password,
    database: s.database,
    connectionLimit: opts.connections ?? 4,
    connectTimeout: opts.connectTimeoutMs ?? 5000,
    charset: 'utf8mb4',
    supportBigNumbers: true,
    dateStrings: true,
    enableKeepAlive: true,
  });
  // An idle pool connection that dies emits 'error' on the pool; without a
  // listener that would crash the process. The next query reports it instead.
  pool.on('connection', (c) => c.on('error', () => {}));
  try {
    const conn = await pool.getConnection();
    await conn.ping();
    conn.release();
  } catch (err) {
    await pool.end().catch(() => {});
    return { ok: false, error: toDbError(err, s) };
  }
  return { ok: true, db: makeDb(pool, s) };
}

function makeDb(pool: mysql.Pool, s: DbSettings): Db {
  const poolSession = session(() => pool.getConnection(), s);
  return {
    display: s.display,
    ...poolSession,
    snapshot: (fn) => onOneConnection(pool, s, 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY', fn),
    transaction: (fn) => onOneConnection(pool, s, 'START TRANSACTION', fn),
    close: () => pool.end(),
  };
}

async function onOneConnection<T>(pool: mysql.Pool, s: DbSettings, begin: string, fn: (x: DbSession) => Promise<T>): Promise<T> {
  let conn: mysql.PoolConnection;
  try {
    conn = await pool.getConnection();
  } catch (err) {
    throw toDbError(err, s);
  }
  try {
    await conn.query(begin);
    const result = await fn(session(async () => conn, s, true));
    await conn.query('COMMIT');
    conn.release();
    return result;
  } catch (err) {
    // The connection may be mid-result or broken: never hand it back.
    conn.destroy();
    throw err instanceof DbError ? err : toDbError(err, s);
  }
}

/** A session over `get`; `held` means the caller owns the connection (do not release it here). */
function session(get: () => Promise<mysql.PoolConnection>, s: DbSettings, held = false): DbSession {
  const withConn = async <T>(fn: (c: mysql.PoolConnection) => Promise<T>): Promise<T> => {
    let conn: mysql.PoolConnection | undefined;
    try {
      conn = await get();
      const out = await fn(conn);
      if (!held) conn.release();
      return out;
    } catch (err) {
      if (conn && !held) conn.destroy();
      throw err instanceof DbError ? err : toDbError(err, s);
    }
  };
  return {
    query: <T extends object>(sql: string, params: unknown[] = []) =>
      withConn(async (c) => (await c.query(sql, params))[0] as T[]),
    execute: (sql, params = []) =>
      withConn(async (c) => {
        const r = (await c.query(sql, params))[0] as mysql.ResultSetHeader;
        return { affectedRows: r.affectedRows, insertId: Number(r.insertId) };
      }),
    each: (sql, params, onRow) =>
      withConn(async (c) => {
        const core = c.connection as unknown as CoreConnection;
        const stream = core.query({ sql, values: params, rowsAsArray: true }).stream({ highWaterMark: 2048 });
        let n = 0;
        for await (const row of stream) {
          onRow(row as unknown[]);
          n++;
        }
        return n;
      }),
  };
}

const UNREACHABLE = new Set([
  'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EPIPE', 'ENOENT',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_SERVER_SHUTDOWN', 'ER_CON_COUNT_ERROR', 'ER_CONNECTION_KILLED',
  'POOL_CLOSED',
]);
const AUTH = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_TABLEACCESS_DENIED_ERROR', 'ER_HOST_NOT_PRIVILEGED', 'ER_ACCOUNT_HAS_BEEN_LOCKED']);

/** Maps a driver error to a DbError with a stable code; the message never holds the password. */
export function toDbError(err: unknown, s: Pick<DbSettings, 'display' | 'password'>): DbError {
  const e = err as { code?: string; message?: string; fatal?: boolean };
  const code = typeof e?.code === 'string' ? e.code : '';
  let raw = typeof e?.message === 'string' && e.message !== '' ? e.message : String(err);
  // Belt and braces: no driver message should echo the password, but if one did it is cut here.
  if (s.password.length >= 3) raw = raw.split(s.password).join('***');
  const detail = code && !raw.includes(code) ? `${raw} (${code})` : raw;
  if (code === 'ER_BAD_DB_ERROR') return new DbError('ERR_DB_UNKNOWN_DATABASE', `${s.display}: the server has no such database: ${detail}`);
  if (AUTH.has(code)) return new DbError('ERR_DB_AUTH', `${s.display}: access denied: ${detail}`);
  if (UNREACHABLE.has(code) || /closed state|Pool is closed/i.test(raw)) {
    return new DbError('ERR_DB_UNREACHABLE', `${s.display}: database unreachable: ${detail}`);
  }
  return new DbError('ERR_DB_QUERY', `${s.display}: query failed: ${detail}`);
}
