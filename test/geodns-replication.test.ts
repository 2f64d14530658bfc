// NS1/NS2 as deployed: two private MariaDB servers with real binlog
// replication set up by deploy/mariadb/setup-replication.sh, one geodns on
// each. A change committed on the primary is answered by the replica's geodns
// within 2 s; with the replica's database stopped its geodns keeps answering.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Db } from '@geoedge/zonedb';
import { startPair, setupReplication, insertZone, basicZone, createPdnsDb, type MariaDbInstance } from './helpers/zonedb.js';
import { dig, scrape, sum, startGeodns, tempDir, type Geodns, type DigReply } from './helpers/index.js';

let primary: MariaDbInstance;
let replica: MariaDbInstance;
let p: Db;
let dir: ReturnType<typeof tempDir>;
const servers: Geodns[] = [];
const REPL_PASSWORD = `repl-${Math.random().toString(36).slice(2, 10)}`;

const addrs = (r: DigReply) => r.answer.filter((a) => a.type === 'A').map((a) => a.data).sort().join();

async function eventually(g: Geodns, name: string, want: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const r = await dig(g, [name, 'A']);
    if (addrs(r) === want) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${name} A is ${addrs(r) || r.status}, not ${want}, after ${timeoutMs} ms\n${g.proc.tail(15)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

before(async () => {
  dir = tempDir('georepl');
  ({ primary, replica } = await startPair());
  p = await createPdnsDb(primary);
  await insertZone(p, 'repl.test', basicZone('repl.test', 1));
  const setup = await setupReplication(primary, replica, { password: REPL_PASSWORD, databases: ['pdns'] });
  assert.equal(setup.code, 0, setup.stdout + setup.stderr);
});
after(async () => {
  for (const g of servers) await g.stop();
  await p?.close().catch(() => {});
  await Promise.all([primary?.clean(), replica?.clean()]);
  dir?.remove();
});

test('a change committed on the primary is answered by the replica geodns within 2 s; the replica DB stopped, DNS still answers', async () => {
  const ns1 = await startGeodns({ metrics: true, args: ['--db', primary.url('pdns'), '--db-cache', join(dir.dir, 'ns1.jsonl')] });
  servers.push(ns1);
  const ns2 = await startGeodns({ metrics: true, args: ['--db', replica.url('pdns'), '--db-cache', join(dir.dir, 'ns2.jsonl')] });
  servers.push(ns2);
  assert.equal(addrs(await dig(ns2, ['www.repl.test', 'A'])), '192.0.2.10', 'data from before replication travelled with the dump');

  const t0 = Date.now();
  await p.execute("UPDATE records SET content = '192.0.2.77' WHERE name = 'www.repl.test' AND type = 'A'");
  await eventually(ns2, 'www.repl.test', '192.0.2.77', 2000 - (Date.now() - t0));
  await eventually(ns1, 'www.repl.test', '192.0.2.77', 2000 - (Date.now() - t0));

  // A zone created on the primary after replication started.
  const t1 = Date.now();
  await p.transaction((s) => insertZone(s, 'later.test', [...basicZone('later.test'), { name: 'x.later.test', type: 'A', content: '192.0.2.88' }]));
  await eventually(ns2, 'x.later.test', '192.0.2.88', 2000 - (Date.now() - t1));

  // The replica's database stops: NS2 keeps answering from its snapshot.
  await ns2.waitForLog((l) => l.msg === 'zone cache written', 5000);
  await replica.stop();
  await ns2.waitForLog((l) => l.level === 50 && /zone database failing/.test(l.msg), 5000);
  assert.equal(addrs(await dig(ns2, ['www.repl.test', 'A'])), '192.0.2.77');
  assert.equal(addrs(await dig(ns2, ['x.later.test', 'A'])), '192.0.2.88');
  assert.equal(sum(await scrape(ns2.metricsUrl!), 'geodns_db_up'), 0);
  // The primary side is unaffected.
  assert.equal(sum(await scrape(ns1.metricsUrl!), 'geodns_db_up'), 1);
  assert.ok(ns2.proc.alive());
});
