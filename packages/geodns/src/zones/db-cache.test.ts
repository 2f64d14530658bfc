import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatRdata, parseMasterFile, TYPE } from '@geoedge/dnsdata';
import { buildZone, type ZoneData } from './zone.js';
import { parseCache, readCache, writeCache } from './db-cache.js';

// Compiled to dist/zones/; the fixtures stay in src/zones/testdata.
const FIXTURES = fileURLToPath(new URL('../../src/zones/testdata/db-cache/', import.meta.url));
const SOURCE = 'mysql://root@127.0.0.1:3306/pdns';

function richZone(): ZoneData {
  const text = readFileSync(join(FIXTURES, 'rich.zone'), 'utf8');
  const parsed = parseMasterFile(text, { origin: 'example.com.', file: 'rich.zone' });
  assert.deepEqual(parsed.errors, []);
  const r = buildZone('example.com.', parsed.records, 'test');
  assert.ok(r.ok, r.problems.join('; '));
  return r.zone;
}

/** Everything a zone serves, as sorted text lines (owner, type, ttl, data). */
function served(z: ZoneData): string[] {
  const out: string[] = [];
  for (const node of z.nodes.values()) {
    for (const s of node.rrsets) for (const d of s.records) out.push(`${s.name} ${s.type} ${s.ttl} ${d.kind === 'lua' ? 'LUA ' : ''}${formatRdata(d.kind === 'lua' ? TYPE.LUA : s.type, d)}`);
  }
  return out.sort();
}

function tmp(): { dir: string; file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'geodns-cache-'));
  return { dir, file: join(dir, 'sub', 'cache.jsonl'), done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('a written cache reads back into zones that serve exactly the same records', async () => {
  const t = tmp();
  try {
    const zone = richZone();
    const w = await writeCache(t.file, SOURCE, [{ id: 7, zone }]);
    assert.ok(w.ok, !w.ok ? w.message : '');
    assert.equal(w.records, zone.recordCount);
    const r = await readCache(t.file, SOURCE);
    assert.equal(r.kind, 'ok', r.kind === 'error' ? r.message : '');
    if (r.kind !== 'ok') return;
    assert.equal(r.zones.length, 1);
    assert.equal(r.zones[0]!.id, 7);
    const again = buildZone(r.zones[0]!.origin, r.zones[0]!.records, 'cache:7');
    assert.ok(again.ok, again.problems.join('; '));
    assert.deepEqual(served(again.zone), served(zone));
    assert.equal(again.zone.recordCount, zone.recordCount);
    assert.equal(again.zone.delegations.length, 1, 'the delegation to sub.example.com. survives');
    assert.ok(Math.abs(r.writtenAt - Date.now()) < 60_000);
  } finally {
    t.done();
  }
});

test('a cache rewritten over an old one replaces it whole, and leaves no temp file', async () => {
  const t = tmp();
  try {
    const zone = richZone();
    assert.ok((await writeCache(t.file, SOURCE, [{ id: 1, zone }])).ok);
    assert.ok((await writeCache(t.file, SOURCE, [])).ok);
    const r = await readCache(t.file, SOURCE);
    assert.equal(r.kind, 'ok');
    assert.equal(r.kind === 'ok' && r.zones.length, 0);
    const { readdirSync } = await import('node:fs');
    assert.deepEqual(readdirSync(join(t.dir, 'sub')), ['cache.jsonl']);
  } finally {
    t.done();
  }
});

test('every truncation of a cache file is a clear error, never a crash or a partial zone list', async () => {
  const t = tmp();
  try {
    const zone = richZone();
    assert.ok((await writeCache(t.file, SOURCE, [{ id: 1, zone }, { id: 2, zone }])).ok);
    const whole = readFileSync(t.file, 'utf8');
    for (let cut = 0; cut < whole.length - 1; cut += 7) {
      const r = parseCache(whole.slice(0, cut), SOURCE);
      assert.equal(r.kind, 'error', `cut at ${cut} of ${whole.length} must not be accepted`);
      assert.match(r.kind === 'error' ? r.message : '', /^line \d+: /);
    }
    assert.equal(parseCache(whole, SOURCE).kind, 'ok');
  } finally {
    t.done();
  }
});

const garbage: Array<[string, RegExp]> = [
  ['not-json.jsonl', /line 2: not a zone line|line 2: .*truncated|line 2/],
  ['bad-record.jsonl', /line 2: zone example\.com\., record 2: www\.example\.com\. A: .*192\.0\.2\.300/],
  ['newer-version.jsonl', /line 1: cache version 99 is not supported/],
  ['binary.jsonl', /line 1: not a geodns zone cache/],
];
for (const [name, reason] of garbage) {
  test(`garbage cache ${name}: a clear error naming the file and line`, async () => {
    const r = await readCache(join(FIXTURES, name), SOURCE);
    assert.equal(r.kind, 'error');
    const msg = r.kind === 'error' ? r.message : '';
    assert.ok(msg.includes(name), msg);
    assert.match(msg, reason);
  });
}

test('a cache written for another database is refused', async () => {
  const t = tmp();
  try {
    assert.ok((await writeCache(t.file, SOURCE, [{ id: 1, zone: richZone() }])).ok);
    const r = await readCache(t.file, 'mysql://root@127.0.0.1:3306/other');
    assert.equal(r.kind, 'error');
    assert.match(r.kind === 'error' ? r.message : '', /written for the database mysql:\/\/root@127\.0\.0\.1:3306\/pdns, not .*\/other/);
  } finally {
    t.done();
  }
});

test('structurally odd JSON lines are errors, not exceptions', () => {
  const head = JSON.stringify({ format: 'geodns-db-cache', version: 1, source: SOURCE, writtenAt: new Date().toISOString(), zones: 1 });
  const cases = [
    '{"origin":5,"id":1,"rr":[]}',
    '{"origin":"x.","id":"1","rr":[]}',
    '{"origin":"x.","id":1,"rr":{}}',
    '{"origin":"x.","id":1,"rr":[["x.",-1,"A","192.0.2.1"]]}',
    '{"origin":"x.","id":1,"rr":[["x.",1,"NOPE","192.0.2.1"]]}',
    '{"origin":"x.","id":1,"rr":[["x.",1,"A"]]}',
    '{"origin":"x.","id":1,"rr":[[null,1,"A","192.0.2.1"]]}',
    '{"origin":"x..y","id":1,"rr":[]}',
    'null',
    '[]',
  ];
  for (const c of cases) {
    const r = parseCache(`${head}\n${c}\n{"end":true,"zones":1,"records":0}\n`);
    assert.equal(r.kind, 'error', c);
    assert.match(r.kind === 'error' ? r.message : '', /^line 2: /, c);
  }
  const r = parseCache(`${head}\n{"end":true,"zones":3,"records":0}\n`);
  assert.match(r.kind === 'error' ? r.message : '', /end line says 3 zones/);
});

test('a missing cache is "missing"; an unwritable place is an error result', async () => {
  const t = tmp();
  try {
    assert.equal((await readCache(join(t.dir, 'none.jsonl'))).kind, 'missing');
    writeFileSync(join(t.dir, 'afile'), 'x');
    const w = await writeCache(join(t.dir, 'afile', 'cache.jsonl'), SOURCE, []);
    assert.equal(w.ok, false);
    assert.match(!w.ok ? w.message : '', /cannot write the zone cache .*afile\/cache\.jsonl/);
  } finally {
    t.done();
  }
});

test('empty names without records survive a cache round trip; a bad "ent" list is refused', async () => {
  const t = tmp();
  try {
    const text = readFileSync(join(FIXTURES, 'rich.zone'), 'utf8');
    const parsed = parseMasterFile(text, { origin: 'example.com.', file: 'rich.zone' });
    const built = buildZone('example.com.', parsed.records, 'test', ['leaf-ent.example.com.']);
    assert.ok(built.ok);
    const w = await writeCache(t.file, SOURCE, [{ id: 3, zone: built.zone }]);
    assert.ok(w.ok);
    const r = await readCache(t.file, SOURCE);
    assert.equal(r.kind, 'ok');
    if (r.kind !== 'ok') return;
    assert.ok(r.zones[0]!.emptyNames.includes('leaf-ent.example.com.'));
    const again = buildZone('example.com.', r.zones[0]!.records, 'cache:3', r.zones[0]!.emptyNames);
    assert.ok(again.ok);
    assert.equal(again.zone.nodes.get('leaf-ent.example.com.')!.rrsets.length, 0);
    assert.deepEqual([...again.zone.nodes.keys()].sort(), [...built.zone.nodes.keys()].sort());
    const lines = readFileSync(t.file, 'utf8').split('\n');
    for (const bad of ['"ent":"not-a-list"', '"ent":[1,2]', '"ent":["bad..name."]']) {
      const broken = lines.map((l, i) => (i === 1 ? l.replace(/"ent":\[[^\]]*\]/, bad) : l)).join('\n');
      const p = parseCache(broken, SOURCE);
      assert.equal(p.kind, 'error', `${bad} must be refused`);
      if (p.kind === 'error') assert.match(p.message, /^line 2: /);
    }
  } finally {
    t.done();
  }
});
