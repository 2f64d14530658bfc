// geoctl's DNSSEC keys with named API keys and the change history (issues 19, 20):
// a read-only key and a key limited to other zones cannot change keys and are
// not shown private keys; every key change (POST/PUT/DELETE, "dnssec" on/off)
// is in the zone's history with the key's name and the keys' public parts only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '@geoedge/shared';
import { migrate } from '@geoedge/zonedb';
import { scratchDatabase, type ScratchDb } from '@geoedge/zonedb/testing';
import { buildApp, loadConfig, createControlMetrics } from '@geoedge/control';

const KEYS = { admin: 'admin-key-0a1b2c', viewer: 'viewer-key-112233', other: 'other-zone-key-445566' };
const Z = '/api/v1/servers/localhost/zones';
let s: ScratchDb;
let dir = '';
let app: FastifyInstance;

async function call(key: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; json: any }> {
  const r = await app.inject({ method, url, headers: { 'X-API-Key': key, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
  return { status: r.statusCode, json: r.body ? JSON.parse(r.body) : null };
}

before(async () => {
  s = await scratchDatabase('dnssec_api');
  assert.ok((await migrate(s.db)).ok);
  dir = mkdtempSync(join(tmpdir(), 'geoedge-dnssec-api-'));
  writeFileSync(join(dir, 'geoctl.yaml'), JSON.stringify({
    apiKeys: [
      { name: 'admin', key: KEYS.admin },
      { name: 'viewer', key: KEYS.viewer, readOnly: true },
      { name: 'other', key: KEYS.other, zones: ['elsewhere.test.'] },
    ],
  }));
  const config = loadConfig(join(dir, 'geoctl.yaml'), {}, {});
  app = await buildApp({ config, log: createLogger({ name: 'dnssec-api', level: 'silent' }), metrics: createControlMetrics(), updaterProblem: 'none', db: s.db });
});
after(async () => {
  await app?.close();
  await s?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('read-only and other-zone keys cannot change DNSSEC keys or read private keys; the admin key can', async () => {
  const made = await call(KEYS.admin, 'POST', Z, { name: 'signed.test.', kind: 'Native', nameservers: ['ns1.signed.test.'], dnssec: true });
  assert.equal(made.status, 201);
  const [csk] = (await call(KEYS.viewer, 'GET', `${Z}/signed.test./cryptokeys`)).json;
  assert.equal(csk.keytype, 'csk');
  assert.equal(csk.privatekey, undefined);
  for (const key of [KEYS.viewer, KEYS.other]) {
    for (const [method, url, body] of [
      ['POST', `${Z}/signed.test./cryptokeys`, { keytype: 'zsk' }], ['PUT', `${Z}/signed.test./cryptokeys/${csk.id}`, { active: false }],
      ['DELETE', `${Z}/signed.test./cryptokeys/${csk.id}`, undefined], ['PUT', `${Z}/signed.test./rectify`, undefined],
      ['PUT', `${Z}/signed.test.`, { dnssec: false }], ['PUT', `${Z}/signed.test./metadata/PUBLISH-CDS`, { metadata: ['2'] }],
    ] as const) {
      const r = await call(key, method, url, body);
      assert.equal(r.status, 403, `${method} ${url}: ${JSON.stringify(r.json)}`);
    }
    const one = await call(key, 'GET', `${Z}/signed.test./cryptokeys/${csk.id}`);
    assert.equal(one.status, 200);
    assert.equal(one.json.privatekey, undefined, 'no private key for a key that may not change the zone');
    assert.equal(one.json.dnskey, csk.dnskey);
  }
  const full = await call(KEYS.admin, 'GET', `${Z}/signed.test./cryptokeys/${csk.id}`);
  assert.match(full.json.privatekey, /^Private-key-format: v1\.2\nAlgorithm: 13 \(ECDSAP256SHA256\)\n/);
  assert.equal((await call(KEYS.admin, 'GET', `${Z}/signed.test./cryptokeys`)).json.length, 1, 'refused requests changed nothing');
});

test('every key change is in the history with the key name and public parts only', async () => {
  const P = `${Z}/signed.test.`;
  const zsk = await call(KEYS.admin, 'POST', `${P}/cryptokeys`, { keytype: 'zsk', active: false, algorithm: 'ed25519' });
  assert.equal(zsk.status, 201);
  assert.equal((await call(KEYS.admin, 'PUT', `${P}/cryptokeys/${zsk.json.id}`, { active: true })).status, 204);
  assert.equal((await call(KEYS.admin, 'DELETE', `${P}/cryptokeys/${zsk.json.id}`)).status, 204);
  assert.equal((await call(KEYS.admin, 'PUT', P, { dnssec: false })).status, 204);
  const h = await call(KEYS.viewer, 'GET', `${P}/history`);
  assert.equal(h.status, 200);
  const text = JSON.stringify(h.json);
  assert.ok(!text.includes('Private-key-format') && !text.includes('PrivateKey'), 'no private key text in the history');
  const [off, del, put, post, create] = h.json;
  assert.equal(create.action, 'create');
  assert.equal(create.after.cryptokeys.length, 1, 'the key "dnssec": true made is in the creation entry');
  assert.deepEqual([off.action, del.action, put.action, post.action], ['zone', 'cryptokeys', 'cryptokeys', 'cryptokeys']);
  assert.ok([off, del, put, post].every((e: { key: string }) => e.key === 'admin'));
  assert.equal(post.before.cryptokeys.length, 1);
  assert.deepEqual(post.after.cryptokeys[1], { id: zsk.json.id, flags: 256, active: false, published: true, dnskey: zsk.json.dnskey });
  assert.equal(put.after.cryptokeys[1].active, true);
  assert.equal(del.after.cryptokeys.length, 1);
  assert.equal(off.before.cryptokeys.length, 1);
  assert.deepEqual(off.after.cryptokeys, []);
  const zone = await call(KEYS.viewer, 'GET', P);
  assert.equal(zone.json.dnssec, false);
});

test('a key whose stored text is garbage is listed with its error, not a failed listing', async () => {
  await call(KEYS.admin, 'POST', Z, { name: 'broken.test.', kind: 'Native', nameservers: ['ns1.broken.test.'], dnssec: true });
  const [d] = await s.db.query<{ id: number }>("SELECT id FROM domains WHERE name = 'broken.test'");
  await s.db.execute("INSERT INTO cryptokeys (domain_id, flags, active, published, content) VALUES (?, 257, 1, 1, 'Algorithm: 5 (RSASHA1)\nModulus: AQAB\n')", [d!.id]);
  const list = await call(KEYS.viewer, 'GET', `${Z}/broken.test./cryptokeys`);
  assert.equal(list.status, 200);
  assert.equal(list.json.length, 2);
  const bad = list.json.find((k: { error?: string }) => k.error);
  assert.match(bad.error, /unsupported algorithm "5 \(RSASHA1\)"/);
  assert.equal(list.json.find((k: { error?: string }) => !k.error).keytype, 'csk');
});
