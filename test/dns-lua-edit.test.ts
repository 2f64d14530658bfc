// LUA records as an operator edits them, against the real geodns process:
//   - an edit of a LUA record (plain SQL in a PowerDNS gmysql database, or a
//     zone file) reaches every kind of client within 2 s, like a static edit:
//     UDP without EDNS, UDP with EDNS, TCP, and ECS clients whose answers are
//     cached per GeoIP network (the LUA answer cache used to keep the old
//     script's answers until a restart);
//   - the caches are invalidated per zone: a change in one zone leaves the
//     cached answers of another zone in place (geodns_answer_cache_total);
//   - enable-lua-records: on by default (a PowerDNS database from a server with
//     enable-lua-records=yes keeps its LUA records), per-zone metadata
//     ENABLE-LUA-RECORDS=0 turns a zone off, =1 turns it on under `no`;
//   - multi-line LUA scripts (octoDNS writes them) in a database row and in a
//     zone file are served.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrate, type Db } from '@geoedge/zonedb';
import type { GeoIpService } from '@geoedge/geodns';
import { scratchDatabase, insertZone, insertRecord, basicZone, type ScratchDb } from './helpers/zonedb.js';
import { dig, datas, scrape, sum, startGeodns, tempDir, type Geodns, type DigReply } from './helpers/index.js';
import { MMDB, openGeo, sampleClients, type Client } from './helpers/pdns-lua.js';

/** The kinds of client whose answers the caches keep apart. */
function clientKinds(ecs: Client[]): Array<{ what: string; args: string[] }> {
  return [
    { what: 'UDP without EDNS', args: ['+noedns'] },
    { what: 'UDP with EDNS', args: [] },
    { what: 'TCP', args: ['+tcp'] },
    ...ecs.map((c) => ({ what: `ECS ${c.subnet}/24 (${c.geo.country})`, args: [`+subnet=${c.subnet}/24`] })),
    { what: `TCP with ECS ${ecs[0]!.subnet}/24`, args: ['+tcp', `+subnet=${ecs[0]!.subnet}/24`] },
  ];
}

const addrs = (r: DigReply): string => datas(r.answer, 'A').join(',');

/** Polls until `name` answers `want` to the client, or throws after `deadline` (epoch ms). */
async function servedBy(g: Geodns, name: string, args: string[], want: string, deadline: number, what: string): Promise<void> {
  let last = '';
  for (;;) {
    const r = await dig(g, [name, 'A', ...args]);
    last = addrs(r) || r.status;
    if (last === want) return;
    if (Date.now() > deadline) throw new Error(`${name} to ${what}: still "${last}", want "${want}"\n${r.text}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Asks every client kind three times (answers cached), checking the answer. */
async function warm(g: Geodns, name: string, kinds: Array<{ what: string; args: string[] }>, want: string): Promise<void> {
  for (const k of kinds) {
    for (let i = 0; i < 3; i++) assert.equal(addrs(await dig(g, [name, 'A', ...k.args])), want, `${name} to ${k.what}`);
  }
}

/**
 * The first client kind gets `want` within 2 s of `t0` (the zone reloaded), and
 * from then on every kind gets it at its very next query: no cache holds the
 * old answer for anyone. Returns the reload time (ms). Asking the kinds one by
 * one costs a dig each (slow on a loaded machine), so that is not in the figure.
 */
async function allServed(g: Geodns, name: string, kinds: Array<{ what: string; args: string[] }>, want: string, t0: number): Promise<number> {
  await servedBy(g, name, kinds[0]!.args, want, t0 + 2000, kinds[0]!.what);
  const reloaded = Date.now() - t0;
  for (const k of kinds) assert.equal(addrs(await dig(g, [name, 'A', ...k.args])), want, `${name} to ${k.what}, right after the reload`);
  return reloaded;
}

const cacheCount = async (g: Geodns, cache: string, result: string) => sum(await scrape(g.metricsUrl!), 'geodns_answer_cache_total', { cache, result });

let geo: GeoIpService;
let ecsClients: Client[];

before(async () => {
  geo = await openGeo();
  // Two clients on different continents: pickclosest gives them different PoPs.
  const sample = sampleClients(geo, 12, 5);
  ecsClients = [sample.find((c) => c.geo.continent === 'EU')!, sample.find((c) => c.geo.continent === 'NA')!];
});
after(async () => {
  await geo?.close();
});

describe('LUA records from a PowerDNS database', () => {
  let scratch: ScratchDb;
  let db: Db;
  let g: Geodns;
  let constId: number;
  let geoId: number;
  let otherZone: number;
  let cache: ReturnType<typeof tempDir>;

  before(async () => {
    scratch = await scratchDatabase('luaedit');
    db = scratch.db;
    const m = await migrate(db);
    assert.ok(m.ok, JSON.stringify(m));
    const z = await insertZone(db, 'edit.test', [
      ...basicZone('edit.test'),
      { name: 'const.edit.test', type: 'LUA', content: `A "'192.0.2.1'"`, ttl: 30 },
      // Every client /24 gets the same PoP here: cached per GeoIP network.
      { name: 'geo.edit.test', type: 'LUA', content: `A "pickclosest({'192.0.2.11'})"`, ttl: 30 },
    ]);
    [constId, geoId] = z.recordIds.slice(-2) as [number, number];
    await db.execute("INSERT INTO domainmetadata (domain_id, kind, content) VALUES (?, 'ENABLE-LUA-RECORDS', '1')", [z.domainId]);
    // No metadata at all: served, as by PowerDNS with enable-lua-records=yes.
    const other = await insertZone(db, 'other.test', [
      ...basicZone('other.test'),
      { name: 'lua.other.test', type: 'LUA', content: `A "pickclosest({'192.0.2.21'})"` },
      // A multi-line script as octoDNS writes it: newlines inside the quoted content.
      { name: 'octo.other.test', type: 'LUA', content: `A ";local r = {\n  eu = '192.0.2.31',\n}\nif continent('EU') then\n  return r.eu\nend\nreturn '192.0.2.32'"` },
    ]);
    otherZone = other.domainId;
    const off = await insertZone(db, 'off.test', [...basicZone('off.test'), { name: 'lua.off.test', type: 'LUA', content: `A "'192.0.2.41'"` }]);
    await db.execute("INSERT INTO domainmetadata (domain_id, kind, content) VALUES (?, 'ENABLE-LUA-RECORDS', '0')", [off.domainId]);
    cache = tempDir('luaedit-cache');
    g = await startGeodns({ metrics: true, args: ['--db', scratch.url, '--db-cache', join(cache.dir, 'c.jsonl'), '--geoip', MMDB] });
  });
  after(async () => {
    await g?.stop();
    await scratch?.drop();
    cache?.remove();
  });

  test('a LUA edit through SQL is served within 2 s to UDP, TCP, EDNS and ECS clients', async () => {
    const kinds = clientKinds(ecsClients);
    await warm(g, 'const.edit.test', kinds, '192.0.2.1');
    await warm(g, 'geo.edit.test', kinds, '192.0.2.11');
    const t0 = Date.now();
    await db.transaction(async (s) => {
      await s.execute('UPDATE records SET content = ? WHERE id = ?', [`A "'192.0.2.2'"`, constId]);
      await s.execute('UPDATE records SET content = ? WHERE id = ?', [`A "pickclosest({'192.0.2.13'})"`, geoId]);
    });
    const tConst = await allServed(g, 'const.edit.test', kinds, '192.0.2.2', t0);
    const tGeo = await allServed(g, 'geo.edit.test', kinds, '192.0.2.13', t0);
    assert.ok(Math.max(tConst, tGeo) <= 2000, `served after ${tConst} / ${tGeo} ms`);
  });

  test('a change in one zone leaves the cached answers of another zone in place', async () => {
    // Asked three times: compiled on the second ask, a cache hit on the third.
    const ask = async () => {
      assert.equal(addrs(await dig(g, ['www.other.test', 'A'])), '192.0.2.10');
      assert.equal(addrs(await dig(g, ['lua.other.test', 'A', `+subnet=${ecsClients[0]!.subnet}/24`])), '192.0.2.21');
    };
    for (let i = 0; i < 3; i++) await ask();
    const t0 = Date.now();
    await db.execute('UPDATE records SET content = ? WHERE id = ?', [`A "'192.0.2.3'"`, constId]);
    await servedBy(g, 'const.edit.test', [], '192.0.2.3', t0 + 2000, 'UDP with EDNS');
    const [sHit, sMiss, lHit, lMiss] = [await cacheCount(g, 'static', 'hit'), await cacheCount(g, 'static', 'miss'), await cacheCount(g, 'lua', 'hit'), await cacheCount(g, 'lua', 'miss')];
    await ask();
    assert.equal(await cacheCount(g, 'static', 'miss'), sMiss, 'the other zone\'s static answer was not flushed');
    assert.equal(await cacheCount(g, 'static', 'hit'), sHit + 1);
    assert.equal(await cacheCount(g, 'lua', 'miss'), lMiss, 'the other zone\'s LUA answer was not flushed');
    assert.equal(await cacheCount(g, 'lua', 'hit'), lHit + 1);
    // And a change to that zone itself does flush it.
    await insertRecord(db, otherZone, { name: 'new.other.test', type: 'A', content: '192.0.2.99' });
    await servedBy(g, 'new.other.test', [], '192.0.2.99', Date.now() + 2000, 'UDP with EDNS');
    const miss = await cacheCount(g, 'static', 'miss');
    assert.equal(addrs(await dig(g, ['www.other.test', 'A'])), '192.0.2.10');
    assert.equal(await cacheCount(g, 'static', 'miss'), miss + 1, 'the changed zone\'s answers are asked again');
  });

  test('enable-lua-records: on by default; ENABLE-LUA-RECORDS=0 turns a zone off', async () => {
    assert.equal(addrs(await dig(g, ['lua.other.test', 'A'])), '192.0.2.21', 'a zone without metadata serves its LUA records');
    const off = await dig(g, ['lua.off.test', 'A']);
    assert.equal(off.status, 'NOERROR', 'the name still exists (PowerDNS: NODATA)');
    assert.deepEqual(off.answer, []);
  });

  test('a multi-line LUA script in a database row is served', async () => {
    const eu = ecsClients[0]!, na = ecsClients[1]!;
    assert.equal(addrs(await dig(g, ['octo.other.test', 'A', `+subnet=${eu.subnet}/24`])), '192.0.2.31');
    assert.equal(addrs(await dig(g, ['octo.other.test', 'A', `+subnet=${na.subnet}/24`])), '192.0.2.32');
  });
});

describe('LUA records in zone files', () => {
  let g: Geodns;
  let tmp: ReturnType<typeof tempDir>;
  const zone = (serial: number, target: string) => [
    '$ORIGIN files.test.', '$TTL 60',
    `@ IN SOA ns1 hostmaster ${serial} 3600 600 604800 30`, '@ IN NS ns1', 'ns1 IN A 192.0.2.53',
    `geo 30 IN LUA A "pickclosest({'${target}'})"`,
    // Multi-line: inside ( ), a quoted script may span lines.
    'octo 30 IN LUA A ( ";local r = {',
    "  eu = '192.0.2.31',",
    '}',
    "if continent('EU') then return r.eu end",
    `return '192.0.2.32'" )`,
    '',
  ].join('\n');

  before(async () => {
    tmp = tempDir('luaedit-files');
    writeFileSync(join(tmp.dir, 'files.test.zone'), zone(1, '192.0.2.51'));
    g = await startGeodns({ zonesDir: tmp.dir, args: ['--geoip', MMDB] });
  });
  after(async () => {
    await g?.stop();
    tmp?.remove();
  });

  test('a LUA edit in a zone file is served within 2 s to UDP, TCP, EDNS and ECS clients', async () => {
    const kinds = clientKinds(ecsClients);
    await warm(g, 'geo.files.test', kinds, '192.0.2.51');
    const t0 = Date.now();
    writeFileSync(join(tmp.dir, 'files.test.zone'), zone(2, '192.0.2.52'));
    const t = await allServed(g, 'geo.files.test', kinds, '192.0.2.52', t0);
    assert.ok(t <= 2000, `served after ${t} ms`);
  });

  test('a multi-line LUA script inside ( ) in a zone file is served', async () => {
    const [eu, na] = ecsClients as [Client, Client];
    assert.equal(addrs(await dig(g, ['octo.files.test', 'A', `+subnet=${eu.subnet}/24`])), '192.0.2.31');
    assert.equal(addrs(await dig(g, ['octo.files.test', 'A', `+subnet=${na.subnet}/24`])), '192.0.2.32');
  });
});

describe('enable-lua-records: no', () => {
  let scratch: ScratchDb;
  let g: Geodns;
  let cfg: ReturnType<typeof tempDir>;

  before(async () => {
    scratch = await scratchDatabase('luaoff');
    assert.ok((await migrate(scratch.db)).ok);
    await insertZone(scratch.db, 'plain.test', [...basicZone('plain.test'), { name: 'lua.plain.test', type: 'LUA', content: `A "'192.0.2.61'"` }]);
    const on = await insertZone(scratch.db, 'opted.test', [...basicZone('opted.test'), { name: 'lua.opted.test', type: 'LUA', content: `A "'192.0.2.62'"` }]);
    await scratch.db.execute("INSERT INTO domainmetadata (domain_id, kind, content) VALUES (?, 'ENABLE-LUA-RECORDS', '1')", [on.domainId]);
    cfg = tempDir('luaoff-cfg');
    writeFileSync(join(cfg.dir, 'geodns.yaml'), 'lua: { enableLuaRecords: "no" }\n');
    g = await startGeodns({ args: ['--config', join(cfg.dir, 'geodns.yaml'), '--db', scratch.url, '--db-cache', join(cfg.dir, 'c.jsonl'), '--geoip', MMDB] });
  });
  after(async () => {
    await g?.stop();
    await scratch?.drop();
    cfg?.remove();
  });

  test('only zones with ENABLE-LUA-RECORDS=1 serve LUA records', async () => {
    const plain = await dig(g, ['lua.plain.test', 'A']);
    assert.equal(plain.status, 'NOERROR');
    assert.deepEqual(plain.answer, [], 'NODATA, as PowerDNS with enable-lua-records=no');
    assert.equal(addrs(await dig(g, ['lua.opted.test', 'A'])), '192.0.2.62');
  });
});
