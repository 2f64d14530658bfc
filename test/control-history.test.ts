// The change history and named API keys (issue 20), whole process: geoctl
// serve on a scratch MariaDB migrated by `geoctl migrate`, with a config of
// several keys. Every change through the API is recorded with its key's name
// and the RRsets before and after; a read-only key and a key limited to one zone
// are refused with 403 and change nothing; old entries are pruned at start.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scratchDatabase, waitFor, type ScratchDb } from '@geoedge/zonedb/testing';
import { freePort, startProcess, REPO_ROOT, type Proc } from './helpers/index.js';

const GEOCTL = join(REPO_ROOT, 'packages', 'control', 'dist', 'main.js');
const KEYS = { default: 'default-key-0a1b2c', octo: 'octodns-key-7d8e9f', viewer: 'viewer-key-112233', acme: 'acme-key-445566' };
let s: ScratchDb;
let geoctl: Proc;
let dir = '';
let base = '';

async function call(key: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${base}${path.startsWith('/api/') ? '' : '/api/v1/servers/localhost'}${path}`, {
    method, headers: { 'X-API-Key': key, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

interface Entry { id: number; time: string; key: string; action: string; zone: string; before: { rrsets?: Array<{ name: string; type: string; ttl: number; records: Array<{ content: string }> }> }; after: Entry['before'] }
const history = async (zone: string, q = ''): Promise<Entry[]> => {
  const r = await call(KEYS.viewer, 'GET', `/zones/${zone}/history${q}`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json as Entry[];
};

before(async () => {
  s = await scratchDatabase('history');
  dir = mkdtempSync(join(tmpdir(), 'geoedge-history-'));
  const migrate = startProcess(process.execPath, [GEOCTL, 'migrate', '--db', s.url]);
  assert.equal((await migrate.exited).code, 0, migrate.tail());
  // An entry 400 days old: gone after the prune geoctl runs at start (retention 30 days).
  await s.db.execute("INSERT INTO geoedge_history (changed_at, zone, key_name, action, before_data, after_data) VALUES (NOW() - INTERVAL 400 DAY, 'old.test', 'someone', 'patch', '{}', '{}')");
  const port = await freePort();
  writeFileSync(join(dir, 'geoctl.yaml'), JSON.stringify({
    listen: `127.0.0.1:${port}`,
    db: s.url,
    apiKey: KEYS.default,
    apiKeys: [
      { name: 'octodns', key: KEYS.octo },
      { name: 'viewer', key: KEYS.viewer, readOnly: true },
      { name: 'acme', key: KEYS.acme, zones: ['Hist.Test.'] },
    ],
    history: { retentionDays: 30 },
  }));
  geoctl = startProcess(process.execPath, [GEOCTL, 'serve', '--config', join(dir, 'geoctl.yaml')], { env: { ...process.env, LOG_LEVEL: 'info' } });
  await geoctl.waitForLine(/Server listening/, 15_000);
  base = `http://127.0.0.1:${port}`;
});
after(async () => {
  await geoctl?.stop();
  await s?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('every change is in the zone history with the key name and the RRsets before and after', async () => {
  assert.equal((await call(KEYS.default, 'POST', '/zones', { name: 'hist.test.', kind: 'Native', nameservers: ['ns1.hist.test.'] })).status, 201);
  assert.equal((await call(KEYS.octo, 'PATCH', '/zones/hist.test.', { rrsets: [{ name: 'www.hist.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: '192.0.2.1', disabled: false }] }] })).status, 204);
  assert.equal((await call(KEYS.octo, 'PATCH', '/zones/hist.test.', { rrsets: [{ name: 'www.hist.test.', type: 'A', ttl: 120, changetype: 'REPLACE', records: [{ content: '192.0.2.2', disabled: false }, { content: '192.0.2.3', disabled: false }] }] })).status, 204);
  assert.equal((await call(KEYS.octo, 'PATCH', '/zones/hist.test.', { rrsets: [{ name: 'mail.hist.test.', type: 'MX', ttl: 60, changetype: 'REPLACE', records: [{ content: '10 mx.hist.test.', disabled: false }] }] })).status, 204);
  assert.equal((await call(KEYS.default, 'PUT', '/zones/hist.test./metadata/ENABLE-LUA-RECORDS', { metadata: ['1'] })).status, 200);

  const h = await history('hist.test.');
  assert.deepEqual(h.map((e) => [e.action, e.key]), [['metadata', 'default'], ['patch', 'octodns'], ['patch', 'octodns'], ['patch', 'octodns'], ['create', 'default']], 'newest first');
  const [meta, mx, edit, add, create] = h as [Entry, Entry, Entry, Entry, Entry];
  assert.deepEqual(meta.before, { metadata: { 'ENABLE-LUA-RECORDS': [] } });
  assert.deepEqual(meta.after, { metadata: { 'ENABLE-LUA-RECORDS': ['1'] } });
  assert.deepEqual(add.before, { rrsets: [] });
  assert.deepEqual(add.after, { rrsets: [{ name: 'www.hist.test.', type: 'A', ttl: 60, records: [{ content: '192.0.2.1', disabled: false }] }] });
  assert.deepEqual(edit.before, add.after, 'before is what the change replaced');
  assert.deepEqual(edit.after, { rrsets: [{ name: 'www.hist.test.', type: 'A', ttl: 120, records: [{ content: '192.0.2.2', disabled: false }, { content: '192.0.2.3', disabled: false }] }] });
  assert.deepEqual(mx.after.rrsets?.[0]?.records, [{ content: '10 mx.hist.test.', disabled: false }], 'records in the API form (priority in front)');
  assert.deepEqual(create.after.rrsets?.map((r) => r.type).sort(), ['NS', 'SOA']);
  assert.equal(create.zone, 'hist.test.');
  assert.ok(Math.abs(Date.parse(edit.time) - Date.now()) < 120_000, `time in UTC: ${edit.time}`);

  // Paging: newest two, then the ones before the last id seen.
  const page1 = await history('hist.test.', '?limit=2');
  assert.deepEqual(page1.map((e) => e.id), h.slice(0, 2).map((e) => e.id));
  const page2 = await history('hist.test.', `?limit=2&before=${page1[1]!.id}`);
  assert.deepEqual(page2.map((e) => e.id), h.slice(2, 4).map((e) => e.id));
  assert.equal((await call(KEYS.viewer, 'GET', '/zones/hist.test./history?limit=0')).status, 422);

  // A deleted zone keeps its history; the deletion holds every RRset it had.
  assert.equal((await call(KEYS.default, 'POST', '/zones', { name: 'gone.test.', kind: 'Native', nameservers: ['ns1.gone.test.'] })).status, 201);
  assert.equal((await call(KEYS.default, 'DELETE', '/zones/gone.test.')).status, 204);
  const gone = await history('gone.test.');
  assert.deepEqual(gone.map((e) => e.action), ['delete', 'create']);
  assert.deepEqual(gone[0]!.before, gone[1]!.after);
  assert.deepEqual(gone[0]!.after, { rrsets: [] });
});

test('a read-only key reads but cannot change anything (403), and nothing is recorded', async () => {
  const before = await history('hist.test.');
  assert.equal((await call(KEYS.viewer, 'GET', '/zones/hist.test.')).status, 200);
  const r = await call(KEYS.viewer, 'PATCH', '/zones/hist.test.', { rrsets: [{ name: 'www.hist.test.', type: 'A', ttl: 60, changetype: 'DELETE' }] });
  assert.deepEqual(r, { status: 403, json: { error: "API key 'viewer' is read-only" } });
  assert.equal((await call(KEYS.viewer, 'POST', '/zones', { name: 'ro.test.', kind: 'Native', nameservers: [] })).status, 403);
  assert.equal((await call(KEYS.viewer, 'DELETE', '/zones/hist.test.')).status, 403);
  assert.equal((await call(KEYS.viewer, 'POST', '/api/v1/geoip/update')).status, 403, 'no GeoIP update run either');
  // The LUA syntax check changes nothing: allowed.
  assert.equal((await call(KEYS.viewer, 'POST', '/api/v1/lua/check', { content: 'A "\'192.0.2.1\'"' })).status, 200);
  const www = (await call(KEYS.viewer, 'GET', '/zones/hist.test.?rrset_name=www.hist.test.&rrset_type=A')).json as { rrsets: unknown[] };
  assert.equal(www.rrsets.length, 1, 'the record is still there');
  assert.deepEqual(await history('hist.test.'), before);
});

test('a key limited to one zone changes that zone only', async () => {
  assert.equal((await call(KEYS.default, 'POST', '/zones', { name: 'other.test.', kind: 'Native', nameservers: ['ns1.other.test.'] })).status, 201);
  const acme = { rrsets: [{ name: '_acme-challenge.hist.test.', type: 'TXT', ttl: 60, changetype: 'REPLACE', records: [{ content: '"token"', disabled: false }] }] };
  assert.equal((await call(KEYS.acme, 'PATCH', '/zones/HIST.test', acme)).status, 204, 'zone names compared as DNS names');
  const elsewhere = await call(KEYS.acme, 'PATCH', '/zones/other.test.', { rrsets: [{ ...acme.rrsets[0], name: '_acme-challenge.other.test.' }] });
  assert.deepEqual(elsewhere, { status: 403, json: { error: "API key 'acme' may not change zone 'other.test.' (only hist.test.)" } });
  assert.equal((await call(KEYS.acme, 'POST', '/zones', { name: 'new.test.', kind: 'Native', nameservers: [] })).status, 403);
  assert.equal((await call(KEYS.acme, 'DELETE', '/zones/other.test.')).status, 403);
  assert.equal((await call(KEYS.acme, 'GET', '/zones/other.test.')).status, 200, 'reading other zones is allowed');
  assert.deepEqual((await history('hist.test.'))[0]!.key, 'acme');
  assert.deepEqual((await history('other.test.')).map((e) => e.key), ['default']);
});

test('entries past history.retentionDays are pruned by geoctl', async () => {
  await waitFor('the 400-day-old entry is pruned', async () => ((await history('old.test.')).length === 0 ? true : undefined), 10_000);
  const n = await s.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM geoedge_history');
  assert.ok(Number(n[0]!.n) >= 8, 'recent entries stay');
});

test('without the history table (not migrated) zone changes are refused with 503, reads still work', async () => {
  const t = await scratchDatabase('history_nomig');
  try {
    const m = startProcess(process.execPath, [GEOCTL, 'migrate', '--db', t.url]);
    assert.equal((await m.exited).code, 0);
    await t.db.execute('DROP TABLE geoedge_history');
    const port = await freePort();
    const g = startProcess(process.execPath, [GEOCTL, 'serve', '--listen', `127.0.0.1:${port}`, '--db', t.url], { env: { ...process.env, LOG_LEVEL: 'info', GEOCTL_API_KEY: KEYS.default } });
    try {
      await g.waitForLine(/Server listening/, 15_000);
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/servers/localhost/zones`, { method: 'POST', headers: { 'X-API-Key': KEYS.default, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x.test.', kind: 'Native', nameservers: [] }) });
      assert.equal(r.status, 503);
      assert.match(((await r.json()) as { error: string }).error, /geoedge_history is missing: run geoctl migrate/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/servers/localhost/zones`, { headers: { 'X-API-Key': KEYS.default } })).status, 200);
      assert.equal((await t.db.query('SELECT id FROM domains')).length, 0, 'nothing written');
    } finally {
      await g.stop();
    }
  } finally {
    await t.drop();
  }
});

test('apiKeys config errors name the key', async () => {
  writeFileSync(join(dir, 'bad.yaml'), JSON.stringify({
    apiKey: KEYS.default,
    apiKeys: [{ name: 'default', key: KEYS.octo }, { name: 'x y', key: KEYS.octo, readOnly: 'maybe' }, { name: 'z', key: 'sha256:abc', zones: ['bad zone'] }],
  }));
  const p = startProcess(process.execPath, [GEOCTL, 'serve', '--config', join(dir, 'bad.yaml')]);
  const e = await p.exited;
  assert.equal(e.code, 2, p.tail());
  const out = p.stderr.join('\n');
  assert.match(out, /\/apiKeys\/1\/name: /);
  assert.match(out, /\/apiKeys\/1\/readOnly: /);
});
