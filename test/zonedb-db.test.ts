// The mysql2 adapter's failure modes against real servers: each ends in a
// DbError with a stable code, and no message carries the password.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '@geoedge/shared';
import { openDb, parseDbUrl, DbError } from '@geoedge/zonedb';
import { freeTcpPort, scratchDatabase, sharedMariaDb, type ScratchDb } from '@geoedge/zonedb/testing';

const user = `zt_u${process.pid}`;
const password = `Right-${Math.random().toString(36).slice(2, 10)}`;
let scratch: ScratchDb;
let admin: ScratchDb['db'];
let server: string; // 127.0.0.1:<port> of the run's MariaDB

before(async () => {
  server = `127.0.0.1:${(await sharedMariaDb()).port}`;
  scratch = await scratchDatabase('dberr');
  admin = scratch.db;
  await admin.execute(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
  await admin.execute(`GRANT SELECT ON \`${scratch.name}\`.* TO '${user}'@'%'`);
});
after(async () => {
  await admin.execute(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => {});
  await scratch.drop();
});

async function openError(url: string): Promise<DbError> {
  const r = await openDb(url, { connectTimeoutMs: 2000 });
  assert.equal(r.ok, false, `${url} should fail`);
  if (r.ok) throw new Error('unreachable');
  assert.ok(r.error instanceof DbError);
  return r.error;
}

test('nothing listening: ERR_DB_UNREACHABLE', async () => {
  const port = await freeTcpPort();
  const e = await openError(`mysql://root:Secret-Pw-1@127.0.0.1:${port}/pdns`);
  assert.equal(e.code, 'ERR_DB_UNREACHABLE');
  assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
  assert.doesNotMatch(e.message, /Secret-Pw-1/);
});

test('wrong password: ERR_DB_AUTH, neither password in the message', async () => {
  const e = await openError(`mysql://${user}:Wrong-Pw-42@${server}/${scratch.name}`);
  assert.equal(e.code, 'ERR_DB_AUTH');
  assert.match(e.message, /:\*\*\*@/);
  assert.doesNotMatch(e.message, /Wrong-Pw-42/);
  assert.doesNotMatch(e.message, new RegExp(password));
});

test('no rights on the database: ERR_DB_AUTH; no such database: ERR_DB_UNKNOWN_DATABASE', async () => {
  const e = await openError(`mysql://${user}:${password}@${server}/mysql`);
  assert.equal(e.code, 'ERR_DB_AUTH');
  assert.doesNotMatch(e.message, new RegExp(password));
  const u = await openError(`mysql://root@${server}/zt_no_such_db_${process.pid}`);
  assert.equal(u.code, 'ERR_DB_UNKNOWN_DATABASE');
});

test('a bad URL: ERR_DB_URL without touching the network', async () => {
  const e = await openError('mysql://root:Pw-In-Bad-Url@127.0.0.1:3306');
  assert.equal(e.code, 'ERR_DB_URL');
  assert.doesNotMatch(e.message, /Pw-In-Bad-Url/);
});

test('the right credentials work; a failing statement is ERR_DB_QUERY; rights are enforced', async () => {
  const r = await openDb(`mysql://${user}:${password}@${server}/${scratch.name}`);
  assert.ok(r.ok);
  const db = r.db;
  try {
    assert.deepEqual(await db.query('SELECT 1 AS one'), [{ one: 1 }]);
    await assert.rejects(db.query('SELECT * FROM no_such_table'), (err: DbError) => err.code === 'ERR_DB_QUERY' && !err.message.includes(password));
    await assert.rejects(db.execute('CREATE TABLE t (id INT)'), (err: DbError) => err.code === 'ERR_DB_AUTH');
    // The pool keeps working after errors.
    assert.deepEqual(await db.query('SELECT 2 AS two'), [{ two: 2 }]);
  } finally {
    await db.close();
  }
});

test('settings logged by mistake print the masked URL only', () => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const log = createLogger({ name: 't', level: 'info', destination: sink });
  const p = parseDbUrl('mysql://pdns:Logged-Pw-7@db:3306/pdns');
  assert.ok(p.ok);
  log.info({ db: p.settings, url: p.settings.display }, 'connecting');
  log.flush?.();
  const out = lines.join('');
  assert.match(out, /mysql:\/\/pdns:\*\*\*@db:3306\/pdns/);
  assert.doesNotMatch(out, /Logged-Pw-7/);
});
