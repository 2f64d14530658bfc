// Reading zones from PowerDNS rows and detecting changes, against the
// test run's MariaDB (a throwaway database per test file).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE } from '@geoedge/dnsdata';
import { migrate, loadAllZones, loadZones, ChangeDetector, ZoneSync, type DbZone } from '@geoedge/zonedb';
import { scratchDatabase, insertZone, insertRecord, basicZone, waitFor, type ScratchDb } from '@geoedge/zonedb/testing';

let s: ScratchDb;
let ids: { a: number; b: number; bad: number };
let rec: Record<string, number>;

before(async () => {
  s = await scratchDatabase('read');
  const m = await migrate(s.db);
  assert.ok(m.ok);
  const a = await insertZone(s.db, 'example.com', [
    ...basicZone('example.com', 2024010101),
    { name: '_sip._tcp.example.com', type: 'SRV', content: '5 5060 sip.example.com', prio: 20 },
    { name: 'b.c.example.com', type: null, content: null },                        // empty non-terminal (rectify)
    { name: 'x.b.c.example.com', type: 'A', content: '192.0.2.20' },
    { name: 'sub.example.com', type: 'NS', content: 'ns.sub.example.com', auth: 0 }, // delegation
    { name: 'ns.sub.example.com', type: 'A', content: '192.0.2.30', auth: 0 },       // glue
    { name: 'off.example.com', type: 'A', content: '192.0.2.40', disabled: 1 },
    { name: 'geo.example.com', type: 'LUA', content: `A "pickclosest({'192.0.2.1','192.0.2.2'})"` },
    { name: 'www.example.com', type: 'A', content: 'not-an-ip' },                    // bad content
    { name: 'www.example.org', type: 'A', content: '192.0.2.50' },                   // outside the zone
    { name: 'weird.example.com', type: 'NOPE', content: 'x' },                       // unknown type
  ]);
  await s.db.execute("INSERT INTO domainmetadata (domain_id, kind, content) VALUES (?, 'ENABLE-LUA-RECORDS', '1'), (?, 'SOA-EDIT-API', 'DEFAULT')", [a.domainId, a.domainId]);
  const b = await insertZone(s.db, 'example.net', basicZone('example.net', 7));
  const bad = await insertZone(s.db, 'bad..name', basicZone('bad..name'));
  await insertRecord(s.db, 99999, { name: 'orphan.example.com', type: 'A', content: '192.0.2.99' });
  ids = { a: a.domainId, b: b.domainId, bad: bad.domainId };
  const r = a.recordIds;
  rec = { badContent: r[13]!, outside: r[14]!, unknownType: r[15]! };
});
after(async () => {
  await s?.drop();
});

function names(z: DbZone, type: number): string[] {
  return z.records.filter((r) => r.type === type).map((r) => r.name).sort();
}

test('all zones load in one pass with PowerDNS semantics', async () => {
  const r = await loadAllZones(s.db);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual([...r.zones.values()].map((z) => z.origin).sort(), ['example.com.', 'example.net.']);
  const a = r.zones.get(ids.a)!;
  assert.equal(a.kind, 'NATIVE');
  assert.equal(a.serial, 2024010101);
  assert.deepEqual(names(a, TYPE.A), ['ns.sub.example.com.', 'ns1.example.com.', 'www.example.com.', 'x.b.c.example.com.']);
  assert.deepEqual(a.emptyNonTerminals, ['b.c.example.com.']);
  assert.equal(a.nonAuthCount, 2, 'delegation NS and glue kept');
  assert.deepEqual(names(a, TYPE.NS), ['example.com.', 'sub.example.com.']);
  assert.ok(!a.records.some((x) => x.name === 'off.example.com.'), 'disabled row hidden');
  assert.equal(r.stats.hidden, 1);
  const mx = a.records.find((x) => x.type === TYPE.MX)!;
  assert.deepEqual(mx.data, { kind: 'mx', preference: 10, exchange: 'mail.example.com.' });
  const srv = a.records.find((x) => x.type === TYPE.SRV)!;
  assert.deepEqual(srv.data, { kind: 'srv', priority: 20, weight: 5, port: 5060, target: 'sip.example.com.' });
  const lua = a.records.find((x) => x.type === TYPE.LUA)!;
  assert.deepEqual(lua.data, { kind: 'lua', innerType: TYPE.A, code: "pickclosest({'192.0.2.1','192.0.2.2'})" });
  assert.equal(a.luaRecords, true);
  assert.deepEqual(a.metadata.get('SOA-EDIT-API'), ['DEFAULT']);
  assert.equal(r.zones.get(ids.b)!.luaRecords, undefined, 'no ENABLE-LUA-RECORDS metadata: the global lua.enableLuaRecords of geodns decides');
  assert.equal(r.zones.get(ids.b)!.records.length, 6);
});

test('garbage rows are skipped, each problem naming its record id; the rest is served', async () => {
  const r = await loadAllZones(s.db);
  assert.ok(r.ok);
  const a = r.zones.get(ids.a)!;
  const byKind = new Map(a.problems.map((p) => [p.kind, p]));
  assert.equal(byKind.get('bad-content')?.recordId, rec.badContent);
  assert.equal(byKind.get('outside-zone')?.recordId, rec.outside);
  assert.equal(byKind.get('unknown-type')?.recordId, rec.unknownType);
  for (const p of a.problems) assert.match(p.message, new RegExp(`record id ${p.recordId}\\b`));
  assert.equal(a.problemCount, 3);
  assert.ok(r.problems.some((p) => p.kind === 'no-zone' && p.message.includes('domain_id 99999')));
  assert.ok(r.problems.some((p) => p.kind === 'bad-name' && p.domainId === ids.bad), 'a domain whose name does not parse is skipped');
  assert.ok(!r.zones.has(ids.bad));
});

test('per-zone reload reads only the zones asked for; a deleted id is simply absent', async () => {
  const r = await loadZones(s.db, [ids.b, 424242]);
  assert.ok(r.ok);
  assert.deepEqual([...r.zones.keys()], [ids.b]);
  assert.equal(r.stats.rows, 6, 'only that zone\'s rows were read');
});

test('change detection: edits without a serial bump, adds, deletes, metadata; unchanged zones stay quiet', async () => {
  const d = new ChangeDetector(s.db);
  assert.ok((await d.prime()).ok);
  const poll = async () => {
    const r = await d.poll();
    assert.ok(r.ok, JSON.stringify(r));
    return r.changes;
  };
  const seen = (pred: (c: Awaited<ReturnType<typeof poll>>) => boolean) =>
    waitFor('a change', async () => {
      const c = await poll();
      return pred(c) ? c : undefined;
    }, 2000, 100);

  // Raw SQL edit, serial untouched (what PowerDNS-Admin users and scripts do).
  await s.db.execute("UPDATE records SET content = '192.0.2.11' WHERE domain_id = ? AND name = 'www.example.com' AND content = '192.0.2.10'", [ids.a]);
  const c1 = await seen((c) => c.changed.length > 0);
  assert.deepEqual(c1, { added: [], changed: [ids.a], deleted: [] });
  // A second edit in the same second as the first is not lost.
  await s.db.execute("UPDATE records SET ttl = 61 WHERE domain_id = ? AND type = 'TXT'", [ids.b]);
  const c2 = await seen((c) => c.changed.length > 0);
  assert.deepEqual(c2.changed, [ids.b]);
  // Nothing more happened: quiet.
  await new Promise((r) => setTimeout(r, 1100));
  await poll();
  assert.deepEqual(await poll(), { added: [], changed: [], deleted: [] });

  const added = await insertZone(s.db, 'example.org', basicZone('example.org'));
  assert.deepEqual((await seen((c) => c.added.length > 0)).added, [added.domainId]);
  await s.db.execute("INSERT INTO domainmetadata (domain_id, kind, content) VALUES (?, 'ENABLE-LUA-RECORDS', '1')", [ids.b]);
  assert.deepEqual((await seen((c) => c.changed.length > 0)).changed, [ids.b]);
  await s.db.transaction(async (t) => {
    await t.execute('DELETE FROM records WHERE domain_id = ?', [added.domainId]);
    await t.execute('DELETE FROM domains WHERE id = ?', [added.domainId]);
  });
  assert.deepEqual(await seen((c) => c.deleted.length > 0), { added: [], changed: [], deleted: [added.domainId] });
  // Disabling a record is a change too.
  await s.db.execute("UPDATE records SET disabled = 1 WHERE domain_id = ? AND type = 'MX'", [ids.b]);
  assert.deepEqual((await seen((c) => c.changed.length > 0)).changed, [ids.b]);
  const reread = await loadZones(s.db, [ids.b]);
  assert.ok(reread.ok);
  assert.equal(reread.zones.get(ids.b)!.records.filter((x) => x.type === TYPE.MX).length, 0);
});

test('change detection: a failover swap (one row disabled, a same-length one enabled, one commit) is seen', async () => {
  // CRC32 is affine: the same column flipped on two rows of equal length changes
  // both rows' CRC by the same value, and a plain XOR of CRCs cancels out. This is
  // exactly what a failover script does, so the fingerprint must not be linear.
  await insertRecord(s.db, ids.b, { name: 'pool.example.net', type: 'A', content: '192.0.2.61' });
  await insertRecord(s.db, ids.b, { name: 'pool.example.net', type: 'A', content: '192.0.2.62', disabled: 1 });
  await s.db.execute("INSERT INTO domainmetadata (domain_id, kind, content) VALUES (?, 'X-FAILOVER', 'a'), (?, 'X-FAILOVER', 'b')", [ids.b, ids.b]);
  const d = new ChangeDetector(s.db, { fullCheckEveryMs: 0 });
  assert.ok((await d.prime()).ok);
  const poll = async () => {
    const r = await d.poll();
    assert.ok(r.ok, JSON.stringify(r));
    return r.changes;
  };
  assert.deepEqual(await poll(), { added: [], changed: [], deleted: [] });
  await s.db.transaction(async (t) => {
    await t.execute("UPDATE records SET disabled = 1 - disabled WHERE domain_id = ? AND name = 'pool.example.net'", [ids.b]);
  });
  assert.deepEqual((await poll()).changed, [ids.b], 'records swap');
  await s.db.transaction(async (t) => {
    await t.execute("UPDATE domainmetadata SET content = IF(content = 'a', 'b', 'a') WHERE domain_id = ? AND kind = 'X-FAILOVER'", [ids.b]);
  });
  assert.deepEqual((await poll()).changed, [ids.b], 'metadata swap');
});

test('ZoneSync: one full load, then only changed zones, whole; deletions by id', async () => {
  const full: Array<Map<number, DbZone>> = [];
  const deltas: Array<{ upserted: DbZone[]; deleted: number[] }> = [];
  const sync = new ZoneSync(s.db, { onFull: (z) => full.push(z), onDelta: (d) => deltas.push(d) }, { intervalMs: 100 });
  await sync.start();
  try {
    assert.equal(await sync.firstLoad, true);
    assert.equal(full.length, 1);
    assert.ok(full[0]!.has(ids.a) && full[0]!.has(ids.b));
    assert.ok(sync.status().lastSuccessAt! > 0);
    const z = await insertZone(s.db, 'example.info', basicZone('example.info', 3));
    const d1 = await waitFor('the new zone', async () => deltas.find((d) => d.upserted.some((x) => x.id === z.domainId)), 2000);
    assert.deepEqual(d1.upserted.map((x) => x.origin), ['example.info.'], 'only the new zone is read');
    assert.equal(d1.upserted[0]!.records.length, 6);
    await s.db.execute('DELETE FROM domains WHERE id = ?', [z.domainId]);
    await waitFor('the deletion', async () => deltas.find((d) => d.deleted.includes(z.domainId)), 2000);
    assert.equal(full.length, 1, 'never a second full load');
  } finally {
    await sync.close();
  }
});
