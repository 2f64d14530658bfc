// geodns serving zones from MariaDB (PowerDNS gmysql schema), as a whole
// process queried with dig:
//   - on the test run's shared MariaDB (a throwaway database): records served, edits,
//     inserts and deletes of records and of whole zones answered within 2 s,
//     disabled rows hidden, a bad row skipped and named by its id, LUA rows
//     harmless, zone files winning over the database on a conflict;
//   - on a private MariaDB that the test stops: DNS keeps answering from the
//     last snapshot, the staleness metric grows, a restart with the database
//     down serves the disk cache, and without a usable cache geodns exits
//     non-zero with a clear message.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrate, type Db } from '@geoedge/zonedb';
import {
  scratchDatabase, startMariaDb, insertZone, insertRecord, basicZone, openDbOrThrow, createPdnsDb, type ScratchDb, type MariaDbInstance,
} from './helpers/zonedb.js';
import {
  copyZones, dig, freePort, scrape, sum, startGeodns, startProcess, tempDir, GEODNS_MAIN, type Geodns, type DigReply,
} from './helpers/index.js';

/** Polls dig until `pred` holds; returns the time it took (ms). */
async function eventually(g: Geodns, args: string[], pred: (r: DigReply) => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last = '';
  for (;;) {
    const r = await dig(g, args);
    if (pred(r)) return Date.now() - started;
    last = r.text;
    if (Date.now() - started > timeoutMs) throw new Error(`dig ${args.join(' ')}: not as expected within ${timeoutMs} ms; last:\n${last}\n${g.proc.tail(15)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const addrs = (r: DigReply, type = 'A') => r.answer.filter((a) => a.type === type).map((a) => a.data).sort();
const metric = async (g: Geodns, name: string) => sum(await scrape(g.metricsUrl!), name);

describe('geodns --db on the test run\'s shared MariaDB', () => {
  let scratch: ScratchDb;
  let db: Db;
  let g: Geodns;
  let zones: ReturnType<typeof copyZones>;
  let cacheDir: ReturnType<typeof tempDir>;
  let zoneId: number;
  let badRowId: number;
  const Z = 'dbzone.test';

  before(async () => {
    scratch = await scratchDatabase('geodns');
    db = scratch.db;
    const m = await migrate(db);
    assert.ok(m.ok, JSON.stringify(m));
    const z = await insertZone(db, Z, [
      ...basicZone(Z, 1),
      { name: `www.${Z}`, type: 'A', content: '192.0.2.66', disabled: 1 },
      { name: `hidden.${Z}`, type: 'A', content: '192.0.2.67', disabled: 1 },
      { name: `bad.${Z}`, type: 'A', content: 'not-an-address' },
      { name: `deleg.${Z}`, type: 'NS', content: `ns.deleg.${Z}`, auth: 0 },
      { name: `ns.deleg.${Z}`, type: 'A', content: '192.0.2.99', auth: 0 },
      { name: `ent.${Z}`, type: null, content: null },
      { name: `host.ent.${Z}`, type: 'A', content: '192.0.2.98' },
      // An ENT row with nothing below it (left behind by rectify after a delete): still a name.
      { name: `leaf-ent.${Z}`, type: null, content: null },
      { name: `x.deep-ent.${Z}`, type: null, content: null },
    ]);
    zoneId = z.domainId;
    badRowId = z.recordIds[8]!;
    // LUA: one zone that enables LUA records, one that does not.
    const lua = await insertZone(db, 'lua.test', [
      ...basicZone('lua.test'),
      { name: 'geo.lua.test', type: 'LUA', content: `A "pickclosest({'192.0.2.1','192.0.2.2'})"` },
      { name: 'broken.lua.test', type: 'LUA', content: 'A "this is not lua ((("' },
    ]);
    await db.execute("INSERT INTO domainmetadata (domain_id, kind, content) VALUES (?, 'ENABLE-LUA-RECORDS', '1')", [lua.domainId]);
    const nolua = await insertZone(db, 'nolua.test', [...basicZone('nolua.test'), { name: 'geo.nolua.test', type: 'LUA', content: `A "'192.0.2.5'"` }]);
    await db.execute("INSERT INTO domainmetadata (domain_id, kind, content) VALUES (?, 'ENABLE-LUA-RECORDS', '0')", [nolua.domainId]);
    // A zone both in the files and in the database: the file must win.
    await insertZone(db, 'example.com', [...basicZone('example.com'), { name: 'www.example.com', type: 'A', content: '198.51.100.77' }].filter((r) => !(r.name === 'www.example.com' && r.content === '192.0.2.10')));
    zones = copyZones();
    cacheDir = tempDir('dbcache');
    g = await startGeodns({ zonesDir: zones.dir, metrics: true, args: ['--db', scratch.url, '--db-cache', join(cacheDir.dir, 'cache.jsonl')] });
  });
  after(async () => {
    await g?.stop();
    await scratch?.drop();
    zones?.remove();
    cacheDir?.remove();
  });

  test('records from the database are served; disabled rows hidden; delegations and ENTs as PowerDNS', async () => {
    assert.deepEqual(addrs(await dig(g, [`www.${Z}`, 'A'])), ['192.0.2.10'], 'the disabled second A is hidden');
    const mx = await dig(g, [Z, 'MX']);
    assert.deepEqual(mx.answer.map((a) => a.data), [`10 mail.${Z}.`]);
    assert.ok(mx.flags.has('aa'));
    assert.equal((await dig(g, [`hidden.${Z}`, 'A'])).status, 'NXDOMAIN', 'a name with only disabled rows does not exist');
    const ref = await dig(g, [`host.deleg.${Z}`, 'A']);
    assert.equal(ref.status, 'NOERROR');
    assert.deepEqual(ref.authority.map((a) => `${a.type} ${a.data}`), [`NS ns.deleg.${Z}.`]);
    assert.ok(!ref.flags.has('aa'), 'a referral is not authoritative');
    const ent = await dig(g, [`ent.${Z}`, 'A']);
    assert.equal(ent.status, 'NOERROR', 'an empty non-terminal row is NODATA, not NXDOMAIN');
    const leaf = await dig(g, [`leaf-ent.${Z}`, 'A']);
    assert.equal(leaf.status, 'NOERROR', 'an ENT row with nothing below it is NODATA, as PowerDNS answers it');
    assert.deepEqual(leaf.answer, []);
    assert.deepEqual(leaf.authority.map((a) => a.type), ['SOA'], 'NODATA carries the SOA');
    assert.equal((await dig(g, [`deep-ent.${Z}`, 'TXT'])).status, 'NOERROR', 'the ancestor of an ENT row exists too');
    assert.equal((await dig(g, [`nothere.${Z}`, 'A'])).status, 'NXDOMAIN', 'a name with no row at all is still NXDOMAIN');
    assert.equal(await metric(g, 'geodns_db_up'), 1);
    assert.ok((await metric(g, 'geodns_db_staleness_seconds')) < 5);
  });

  test('a bad row is skipped with a log line naming its record id; the rest of the zone is served', async () => {
    const line = await g.waitForLog((l) => JSON.stringify(l).includes(`record id ${badRowId} `), 5000);
    assert.equal(line.level, 40);
    assert.equal(line.zone, `${Z}.`);
    assert.equal((await dig(g, [`bad.${Z}`, 'A'])).status, 'NXDOMAIN');
    assert.equal((await dig(g, [`ns1.${Z}`, 'A'])).status, 'NOERROR');
  });

  test('record insert, update and delete are answered within 2 s of the commit', async () => {
    let t = Date.now();
    const id = await insertRecord(db, zoneId, { name: `new.${Z}`, type: 'A', content: '192.0.2.123' });
    await eventually(g, [`new.${Z}`, 'A'], (r) => addrs(r).join() === '192.0.2.123', 2000 - (Date.now() - t));
    t = Date.now();
    await db.execute('UPDATE records SET content = ? WHERE id = ?', ['192.0.2.124', id]);
    await eventually(g, [`new.${Z}`, 'A'], (r) => addrs(r).join() === '192.0.2.124', 2000 - (Date.now() - t));
    t = Date.now();
    await db.execute('DELETE FROM records WHERE id = ?', [id]);
    await eventually(g, [`new.${Z}`, 'A'], (r) => r.status === 'NXDOMAIN', 2000 - (Date.now() - t));
    // Disabling a row hides it, re-enabling shows it.
    t = Date.now();
    await db.execute("UPDATE records SET disabled = 0 WHERE domain_id = ? AND name = ? AND content = '192.0.2.66'", [zoneId, `www.${Z}`]);
    await eventually(g, [`www.${Z}`, 'A'], (r) => addrs(r).join() === '192.0.2.10,192.0.2.66', 2000 - (Date.now() - t));
  });

  test('a whole zone added, renamed and deleted is answered within 2 s', async () => {
    let t = Date.now();
    const z = await db.transaction(async (s) => insertZone(s, 'added.test', [...basicZone('added.test'), { name: 'x.added.test', type: 'AAAA', content: '2001:db8::7' }]));
    await eventually(g, ['x.added.test', 'AAAA'], (r) => addrs(r, 'AAAA').join() === '2001:db8::7', 2000 - (Date.now() - t));
    // A zone renamed in place (same domains.id): the old name goes, the new one is served.
    t = Date.now();
    await db.transaction(async (s) => {
      await s.execute("UPDATE domains SET name = 'renamed.test' WHERE id = ?", [z.domainId]);
      await s.execute("UPDATE records SET name = REPLACE(name, 'added.test', 'renamed.test'), content = REPLACE(content, 'added.test', 'renamed.test') WHERE domain_id = ?", [z.domainId]);
    });
    await eventually(g, ['x.renamed.test', 'AAAA'], (r) => addrs(r, 'AAAA').join() === '2001:db8::7', 2000 - (Date.now() - t));
    assert.equal((await dig(g, ['x.added.test', 'AAAA'])).status, 'REFUSED');
    t = Date.now();
    await db.transaction(async (s) => {
      await s.execute('DELETE FROM records WHERE domain_id = ?', [z.domainId]);
      await s.execute('DELETE FROM domains WHERE id = ?', [z.domainId]);
    });
    await eventually(g, ['x.renamed.test', 'AAAA'], (r) => r.status === 'REFUSED', 2000 - (Date.now() - t));
    await g.waitForLog((l) => l.msg.startsWith('zone deleted from the database') && l.zone === 'renamed.test.', 2000);
  });

  test('a zone change that breaks the zone keeps its previous version served', async () => {
    const t = Date.now();
    const cname = await insertRecord(db, zoneId, { name: `www.${Z}`, type: 'CNAME', content: 'elsewhere.example.net' });
    const err = await g.waitForLog((l) => l.level === 50 && l.zone === `${Z}.` && /still serving the previous version/.test(l.msg), 3000);
    assert.match(err.msg, /CNAME and other data/);
    assert.ok(Date.now() - t < 3000);
    assert.deepEqual(addrs(await dig(g, [`www.${Z}`, 'A'])), ['192.0.2.10', '192.0.2.66']);
    await db.execute('DELETE FROM records WHERE id = ?', [cname]);
    await insertRecord(db, zoneId, { name: `after.${Z}`, type: 'A', content: '192.0.2.125' });
    await eventually(g, [`after.${Z}`, 'A'], (r) => addrs(r).join() === '192.0.2.125', 3000);
  });

  test('LUA rows and ENABLE-LUA-RECORDS do not crash the server', async () => {
    // pickclosest answers one of its two addresses (SERVFAIL only where LUA evaluation is unavailable).
    const geo = await dig(g, ['geo.lua.test', 'A']);
    assert.ok(geo.status === 'SERVFAIL' || (geo.status === 'NOERROR' && addrs(geo).length === 1 && ['192.0.2.1', '192.0.2.2'].includes(addrs(geo)[0]!)), geo.text);
    // A LUA row whose code does not even parse is SERVFAIL for that name only.
    assert.equal((await dig(g, ['broken.lua.test', 'A'])).status, 'SERVFAIL');
    assert.deepEqual(addrs(await dig(g, ['www.lua.test', 'A'])), ['192.0.2.10'], 'the rest of a LUA zone is served');
    // Without ENABLE-LUA-RECORDS the LUA row is not served (PowerDNS's default), with a warning.
    const off = await dig(g, ['geo.nolua.test', 'A']);
    assert.equal(off.status, 'NOERROR', 'ENABLE-LUA-RECORDS=0: not served, the name still exists (NODATA)');
    assert.deepEqual(off.answer, []);
    await g.waitForLog((l) => l.level === 40 && l.zone === 'nolua.test.' && /ENABLE-LUA-RECORDS/.test(l.msg), 1000);
    assert.ok(g.proc.alive());
  });

  test('a zone in both the files and the database is served from the file, with a warning naming it', async () => {
    assert.deepEqual(addrs(await dig(g, ['www.example.com', 'A'])), ['192.0.2.10']);
    const w = await g.waitForLog((l) => l.level === 40 && l.zone === 'example.com.', 1000);
    assert.match(w.msg, /example\.com\. is both in a zone file and in the database; serving the file/);
    // The other file zones and the database zones are all served.
    assert.equal((await dig(g, ['example.org', 'SOA'])).status, 'NOERROR');
    assert.equal((await dig(g, [Z, 'SOA'])).status, 'NOERROR');
  });

  test('with two workers the db gauges show the worst worker, not a sum', async () => {
    const w = await startGeodns({ metrics: true, args: ['--workers', '2', '--db', scratch.url, '--db-cache', join(cacheDir.dir, 'workers.jsonl')] });
    try {
      assert.deepEqual(addrs(await dig(w, [`ns1.${Z}`, 'A'])), ['192.0.2.53']);
      // Both workers have loaded when the primary's sum of zones is twice one worker's.
      const one = Number((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM domains'))[0]!.n);
      const deadline = Date.now() + 10_000;
      while ((await metric(w, 'geodns_zones_loaded')) < 2 * one && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.equal(await metric(w, 'geodns_zones_loaded'), 2 * one, 'zones are summed over workers');
      assert.equal(await metric(w, 'geodns_db_up'), 1, 'min over workers, not 2');
      const stale = await metric(w, 'geodns_db_staleness_seconds');
      assert.ok(stale >= 0 && stale < 3, `max over workers, not a sum: ${stale}`);
    } finally {
      await w.stop();
    }
  });

  test('the disk cache is written after the load', async () => {
    const file = join(cacheDir.dir, 'cache.jsonl');
    await g.waitForLog((l) => l.msg === 'zone cache written', 5000);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.match(lines[0]!, /"format":"geodns-db-cache","version":1/);
    assert.match(lines.at(-1)!, /"end":true/);
    assert.ok(lines.some((l) => l.includes(`"origin":"${Z}."`)));
  });
});

describe('geodns --db when the database goes away (private MariaDB)', () => {
  let inst: MariaDbInstance;
  let db: Db;
  let dir: ReturnType<typeof tempDir>;
  let url: string;
  const running: Geodns[] = [];
  const cache = () => join(dir.dir, 'cache.jsonl');
  const start = async (cacheFile: string) => {
    const g = await startGeodns({ metrics: true, args: ['--db', url, '--db-cache', cacheFile] });
    running.push(g);
    return g;
  };
  /** Runs geodns expecting it to exit at start; returns its exit code and output. */
  const startFails = (cacheFile: string) => startFailsWith(url, cacheFile);
  const startFailsWith = async (dbUrl: string, cacheFile: string) => {
    const p = startProcess(process.execPath, [GEODNS_MAIN, '--listen', `127.0.0.1:${await freePort()}`, '--db', dbUrl, '--db-cache', cacheFile], { env: { ...process.env, LOG_LEVEL: 'info' } });
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
    const e = await p.exited;
    clearTimeout(timer);
    return { code: e.code, out: [...p.stdout, ...p.stderr].join('\n') };
  };

  before(async () => {
    dir = tempDir('dbdown');
    inst = await startMariaDb({ serverId: 21 });
    url = inst.url('pdns');
    db = await createPdnsDb(inst);
    await insertZone(db, 'down.test', [...basicZone('down.test'), { name: 'ent.down.test', type: null, content: null }]);
  });
  after(async () => {
    for (const g of running) await g.stop();
    await db?.close().catch(() => {});
    await inst?.clean();
    dir?.remove();
  });

  test('DB stopped: DNS still answers, the failure is logged once, staleness grows; a restart serves the cache', async () => {
    const g = await start(cache());
    await g.waitForLog((l) => l.msg === 'zone cache written', 5000);
    assert.equal(await metric(g, 'geodns_db_up'), 1);
    await db.close();
    await inst.stop();
    await g.waitForLog((l) => l.level === 50 && /zone database failing; still serving the last snapshot/.test(l.msg), 5000);
    const s1 = await metric(g, 'geodns_db_staleness_seconds');
    await new Promise((r) => setTimeout(r, 2500));
    const s2 = await metric(g, 'geodns_db_staleness_seconds');
    assert.ok(s2 >= s1 + 2, `staleness grows: ${s1} → ${s2}`);
    assert.equal(await metric(g, 'geodns_db_up'), 0);
    assert.deepEqual(addrs(await dig(g, ['www.down.test', 'A'])), ['192.0.2.10']);
    assert.equal(g.logs().filter((l) => /zone database failing/.test(l.msg)).length, 1, 'logged once, not per retry');
    await g.stop();

    // Restart while the database is down: the cache is served.
    const again = await start(cache());
    assert.deepEqual(addrs(await dig(again, ['www.down.test', 'A'])), ['192.0.2.10']);
    assert.equal((await dig(again, ['ent.down.test', 'A'])).status, 'NOERROR', 'an ENT row survives the cache: NODATA, not NXDOMAIN');
    await again.waitForLog((l) => l.level === 40 && /serving the zone cache/.test(l.msg), 1000);
    assert.ok((await metric(again, 'geodns_db_staleness_seconds')) >= 2, 'the cache age counts as staleness');
    assert.equal(await metric(again, 'geodns_db_up'), 0);

    // The database comes back: the cached server reconnects and picks up changes.
    await inst.start();
    db = await openDbOrThrow(url);
    await db.execute("UPDATE records SET content = '192.0.2.210' WHERE name = 'www.down.test'");
    await eventually(again, ['www.down.test', 'A'], (r) => addrs(r).join() === '192.0.2.210', 40_000);
    assert.equal(await metric(again, 'geodns_db_up'), 1);
  });

  test('a bad database URL exits 2; an unknown database or a wrong password at start without a cache exit 1, with the reason', async () => {
    const port = inst.port;
    const bad = await startFailsWith(`mysql://root:pw12345@127.0.0.1:${port}/pdns?x=%zz`, join(dir.dir, 'none.jsonl'));
    assert.equal(bad.code, 2, `a bad URL is a configuration error: ${bad.out}`);
    assert.match(bad.out, /\/db: database URL "mysql:\/\/root:\*\*\*@127\.0\.0\.1:\d+\/pdns\?x=%zz": unknown option "x"/);
    assert.doesNotMatch(bad.out, /pw12345/);
    const unknown = await startFailsWith(`mysql://root@127.0.0.1:${port}/nosuchdb`, join(dir.dir, 'none.jsonl'));
    assert.equal(unknown.code, 1, unknown.out);
    assert.match(unknown.out, /zone database unavailable at start \(.*no such database/);
    const denied = await startFailsWith(`mysql://nobody:secretpw@127.0.0.1:${port}/pdns`, join(dir.dir, 'none.jsonl'));
    assert.equal(denied.code, 1, denied.out);
    assert.match(denied.out, /access denied/);
    assert.doesNotMatch(denied.out, /secretpw/, 'the password never reaches the output');
  });

  test('DB down at start without a cache, or with a garbage cache: exit non-zero with a clear message', async () => {
    await db.close();
    await inst.stop();
    const none = await startFails(join(dir.dir, 'none.jsonl'));
    assert.equal(none.code, 1, none.out);
    assert.match(none.out, /zone database unavailable at start \(.*database unreachable.*\), and no usable zone cache \(no cache file .*none\.jsonl\): nothing to serve/);

    const garbage = join(dir.dir, 'garbage.jsonl');
    writeFileSync(garbage, readFileSync(cache(), 'utf8').slice(0, 200));
    const bad = await startFails(garbage);
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, /no usable zone cache \(zone cache .*garbage\.jsonl: line \d+: /);

    // With the database up, a garbage cache is ignored and replaced.
    await inst.start();
    db = await openDbOrThrow(url);
    const g = await start(garbage);
    assert.equal((await dig(g, ['down.test', 'SOA'])).status, 'NOERROR');
    await g.waitForLog((l) => l.msg === 'zone cache written', 5000);
    assert.match(readFileSync(garbage, 'utf8'), /"end":true/);
    assert.ok(existsSync(garbage));
  });
});
