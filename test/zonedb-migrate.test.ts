// zonedb's migration against the run's MariaDB (throwaway databases):
// the schema it creates is PowerDNS's own, table for table, and a database
// PowerDNS already uses is adopted without a single change to its tables.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { migrate, checkSchema, PDNS_TABLES, HISTORY_TABLE, SCHEMA_VERSION, type DbSession } from '@geoedge/zonedb';
import { scratchDatabase, sharedMariaDb, type ScratchDb } from '@geoedge/zonedb/testing';

// Installed by scripts/setup-test-deps.sh (Debian's pdns-backend-mysql).
const PDNS_SCHEMA = '/usr/share/pdns-backend-mysql/schema/schema.mysql.sql';

const server = await sharedMariaDb();
const scratch: ScratchDb[] = [];
after(async () => {
  for (const s of scratch) await s.drop();
});
async function fresh(prefix: string): Promise<ScratchDb> {
  const s = await scratchDatabase(prefix);
  scratch.push(s);
  return s;
}

/** Loads a SQL file with the mariadb client, as an operator would. */
function loadSqlFile(database: string, sql: string): void {
  const r = spawnSync('mariadb', ['--no-defaults', '-h', server.host, '-P', String(server.port), '-u', 'root', database], { input: sql, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

function pdnsSchema(): string {
  assert.ok(existsSync(PDNS_SCHEMA), `${PDNS_SCHEMA} is missing: run scripts/setup-test-deps.sh`);
  return readFileSync(PDNS_SCHEMA, 'utf8');
}

/** SHOW CREATE TABLE for every PowerDNS table, AUTO_INCREMENT counters removed. */
async function tableDefs(db: DbSession): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const t of PDNS_TABLES) {
    const rows = await db.query<Record<string, string>>(`SHOW CREATE TABLE ${t.name}`);
    out.set(t.name, rows[0]!['Create Table']!.replace(/ AUTO_INCREMENT=\d+/, ''));
  }
  return out;
}

async function tableNames(db: DbSession): Promise<string[]> {
  const rows = await db.query<{ t: string }>('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1');
  return rows.map((r) => r.t);
}

test('a fresh database gets exactly the schema of PowerDNS schema.mysql.sql', async () => {
  const ours = await fresh('mig_ours');
  const theirs = await fresh('mig_pdns');
  loadSqlFile(theirs.name, pdnsSchema());
  const r = await migrate(ours.db);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.action, 'created');
  assert.deepEqual(r.createdTables.sort(), [...PDNS_TABLES.map((t) => t.name), HISTORY_TABLE].sort());
  const a = await tableDefs(ours.db);
  const b = await tableDefs(theirs.db);
  for (const t of PDNS_TABLES) assert.equal(a.get(t.name), b.get(t.name), `table ${t.name} differs from PowerDNS's`);
  assert.deepEqual(await tableNames(ours.db), [...(await tableNames(theirs.db)), 'geoedge_history', 'geoedge_schema'].sort());

  const again = await migrate(ours.db);
  assert.ok(again.ok);
  assert.equal(again.action, 'current');
  assert.deepEqual(again.createdTables, []);
  assert.deepEqual(await tableDefs(ours.db), a);
});

test('a database PowerDNS already uses is adopted unchanged, data kept', async () => {
  const s = await fresh('mig_adopt');
  loadSqlFile(s.name, pdnsSchema());
  await s.db.execute("INSERT INTO domains (name, type) VALUES ('example.com', 'NATIVE')");
  await s.db.execute("INSERT INTO records (domain_id, name, type, content, ttl) VALUES (1, 'www.example.com', 'A', '192.0.2.1', 60)");
  const before = await tableDefs(s.db);
  const r = await migrate(s.db);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.action, 'adopted');
  assert.deepEqual(r.createdTables, [HISTORY_TABLE], 'only our own history table is added');
  assert.deepEqual(await tableDefs(s.db), before, 'no PowerDNS table may change');
  assert.equal((await s.db.query('SELECT * FROM records')).length, 1);
  const marker = await s.db.query<{ version: number; origin: string }>('SELECT version, origin FROM geoedge_schema');
  assert.deepEqual(marker.map((m) => [m.version, m.origin]), [[SCHEMA_VERSION, 'adopted']]);
  const again = await migrate(s.db);
  assert.ok(again.ok);
  assert.equal(again.action, 'current');
});

test('a database migrated by an older geoedge (no change history) is upgraded: only that table is added, the version stays', async () => {
  const s = await fresh('mig_upgrade');
  assert.ok((await migrate(s.db)).ok);
  await s.db.execute(`DROP TABLE ${HISTORY_TABLE}`);
  const before = await tableDefs(s.db);
  const r = await migrate(s.db);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.action, 'upgraded');
  assert.deepEqual(r.createdTables, [HISTORY_TABLE]);
  assert.deepEqual(await tableDefs(s.db), before, 'no PowerDNS table may change');
  assert.equal((await s.db.query<{ version: number }>('SELECT version FROM geoedge_schema'))[0]?.version, SCHEMA_VERSION);
  assert.equal((await migrate(s.db)).ok && (await migrate(s.db) as { action: string }).action, 'current');
});

test('a pre-4.7 PowerDNS schema is adopted as is, with a note, never altered', async () => {
  const s = await fresh('mig_old');
  loadSqlFile(s.name, pdnsSchema());
  await s.db.execute('ALTER TABLE domains DROP INDEX catalog_idx, DROP COLUMN options, DROP COLUMN catalog');
  await s.db.execute('DROP TABLE comments');
  const r = await migrate(s.db);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.action, 'adopted');
  assert.deepEqual(r.createdTables, ['comments', HISTORY_TABLE], 'a missing table is added');
  assert.ok(r.notes.some((n) => n.includes('domains.options')), r.notes.join('\n'));
  const cols = await s.db.query<{ c: string }>("SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'domains'");
  assert.ok(!cols.some((c) => c.c === 'options'), 'PowerDNS columns are not added by us');
});

test('tables that are not PowerDNS shaped are refused and nothing is changed', async () => {
  const s = await fresh('mig_bad');
  await s.db.execute('CREATE TABLE records (id INT PRIMARY KEY, name VARCHAR(10))');
  const r = await migrate(s.db);
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.code, 'ERR_SCHEMA_INCOMPATIBLE');
    assert.match(r.message, /records\.content/);
  }
  assert.deepEqual(await tableNames(s.db), ['records']);
  const check = await checkSchema(s.db);
  assert.equal(check.ok, false);
});

test('a marker from a newer version is refused', async () => {
  const s = await fresh('mig_newer');
  assert.ok((await migrate(s.db)).ok);
  await s.db.execute('UPDATE geoedge_schema SET version = 99');
  const r = await migrate(s.db);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.code, 'ERR_SCHEMA_NEWER');
});

test('checkSchema (read-only) needs the tables; two migrations at once both succeed', async () => {
  const s = await fresh('mig_race');
  const empty = await checkSchema(s.db);
  assert.equal(empty.ok, false);
  if (!empty.ok) assert.equal(empty.code, 'ERR_SCHEMA_INCOMPATIBLE');
  const [a, b] = await Promise.all([migrate(s.db), migrate(s.db)]);
  assert.ok(a.ok && b.ok, JSON.stringify([a, b]));
  const ok = await checkSchema(s.db);
  assert.ok(ok.ok);
  assert.equal(ok.ok && ok.version, SCHEMA_VERSION);
});
