// Real binlog replication between two private MariaDB servers, set up with
// the shipped deploy/mariadb files and script: zones written on the primary
// are read from the replica, and the replica's change detection sees an edit
// within 2 s. The replica going away is an error value, never a crash, and
// after a restart it catches up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE } from '@geoedge/dnsdata';
import { openDb, migrate, checkSchema, loadAllZones, ChangeDetector, ZoneSync, type Db, type SyncHealth, type DbZone } from '@geoedge/zonedb';
import {
  startPair, setupReplication, insertZone, insertRecord, basicZone, waitFor, type MariaDbInstance,
} from '@geoedge/zonedb/testing';

let primary: MariaDbInstance;
let replica: MariaDbInstance;
const pools: Db[] = [];
const REPL_PASSWORD = `repl-${Math.random().toString(36).slice(2, 10)}`;

async function connect(url: string): Promise<Db> {
  const r = await openDb(url, { connectTimeoutMs: 2000 });
  if (!r.ok) throw r.error;
  pools.push(r.db);
  return r.db;
}

before(async () => {
  ({ primary, replica } = await startPair());
});
after(async () => {
  for (const p of pools) await p.close().catch(() => {});
  await Promise.all([primary?.clean(), replica?.clean()]);
});

test('zones written on the primary are loaded from the replica; edits are seen within 2 s', async () => {
  // Data that exists before replication: it must travel with the dump and position.
  const admin = await connect(primary.url('mysql'));
  await admin.execute('CREATE DATABASE pdns');
  const p = await connect(primary.url('pdns'));
  const m = await migrate(p);
  assert.ok(m.ok && m.action === 'created', JSON.stringify(m));
  const first = await insertZone(p, 'example.com', basicZone('example.com', 1));

  const setup = await setupReplication(primary, replica, { password: REPL_PASSWORD, databases: ['pdns'] });
  assert.equal(setup.code, 0, setup.stdout + setup.stderr);
  assert.doesNotMatch(setup.stdout + setup.stderr, new RegExp(REPL_PASSWORD), 'the script never prints the password');
  const again = await setupReplication(primary, replica, { password: REPL_PASSWORD, databases: ['pdns'] });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /already replicates/);

  const r = await connect(replica.url('pdns'));
  const check = await checkSchema(r);
  assert.ok(check.ok && check.version === 1, JSON.stringify(check));
  const readOnly = await r.query<{ ro: number }>('SELECT @@read_only AS ro');
  assert.equal(readOnly[0]!.ro, 1, 'replica.cnf makes the replica read-only');

  // Data written after replication started arrives through the binlog.
  const second = await insertZone(p, 'example.net', [
    ...basicZone('example.net', 5),
    { name: 'geo.example.net', type: 'LUA', content: `A "pickclosest({'192.0.2.1','192.0.2.2'})"` },
  ]);
  const garbage = await insertRecord(p, second.domainId, { name: 'broken.example.net', type: 'AAAA', content: '192.0.2.1' });
  const loaded = await waitFor('both zones on the replica', async () => {
    const l = await loadAllZones(r);
    assert.ok(l.ok, JSON.stringify(l));
    return l.zones.size === 2 && l.zones.get(second.domainId)?.problemCount === 1 ? l : undefined;
  }, 5000);
  assert.equal(loaded.zones.get(first.domainId)!.origin, 'example.com.');
  const net = loaded.zones.get(second.domainId)!;
  assert.equal(net.records.length, 7);
  assert.ok(net.records.some((x) => x.type === TYPE.LUA));
  assert.equal(net.problems[0]!.recordId, garbage, 'the bad row is named by its id');

  const detector = new ChangeDetector(r);
  assert.ok((await detector.prime()).ok);
  const t0 = Date.now();
  await p.execute("UPDATE records SET content = '192.0.2.77' WHERE domain_id = ? AND name = 'www.example.com'", [first.domainId]);
  const changed = await waitFor('the replica to report the edit', async () => {
    const c = await detector.poll();
    assert.ok(c.ok, JSON.stringify(c));
    return c.changes.changed.length > 0 ? c.changes : undefined;
  }, 2000, 200);
  assert.deepEqual(changed, { added: [], changed: [first.domainId], deleted: [] });
  const latency = Date.now() - t0;
  assert.ok(latency <= 2000, `seen after ${latency} ms`);
});

test('the replica stopping is reported as ERR_DB_UNREACHABLE; after a restart it catches up', async () => {
  const p = await connect(primary.url('pdns'));
  const r = await connect(replica.url('pdns'));
  const detector = new ChangeDetector(r);
  assert.ok((await detector.prime()).ok);
  const health: SyncHealth[] = [];
  const upserts: DbZone[] = [];
  const sync = new ZoneSync(r, { onFull: () => {}, onDelta: (d) => upserts.push(...d.upserted), onHealth: (h) => health.push(h) }, { intervalMs: 100, maxBackoffMs: 400 });
  await sync.start();
  assert.equal(await sync.firstLoad, true);
  await replica.stop();
  const down = await detector.poll();
  assert.equal(down.ok, false);
  if (!down.ok) assert.equal(down.code, 'ERR_DB_UNREACHABLE');
  const load = await loadAllZones(r);
  assert.equal(load.ok, false);
  if (!load.ok) assert.equal(load.code, 'ERR_DB_UNREACHABLE');

  // Written while the replica is down: arrives once it is back (replication restarts with the server).
  const late = await insertZone(p, 'example.org', basicZone('example.org', 9));
  await replica.start();
  const seen = await waitFor('the zone added while the replica was down', async () => {
    const c = await detector.poll();
    return c.ok && c.changes.added.length > 0 ? c.changes : undefined;
  }, 10_000, 200);
  assert.deepEqual(seen.added, [late.domainId]);

  // The sync loop said "failing" once (however many ticks failed), then "ok" once, and delivered the zone.
  await waitFor('the sync loop to deliver the late zone', async () => (upserts.some((z) => z.id === late.domainId) ? true : undefined), 10_000);
  await sync.close();
  assert.deepEqual(health.map((h) => (h.ok ? 'ok' : h.code)), ['ERR_DB_UNREACHABLE', 'ok']);
  assert.equal(sync.status().failing, undefined);
});
