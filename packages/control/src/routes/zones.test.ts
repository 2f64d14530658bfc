// Zone API inject tests against the test run's MariaDB (a throwaway database per
// run): the PowerDNS statuses and bodies, the storage form PowerDNS's gmysql
// backend writes, SOA serial bumps, rectify, and that refused requests write nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '@geoedge/shared';
import { migrate, dateSerial } from '@geoedge/zonedb';
import { scratchDatabase, type ScratchDb } from '@geoedge/zonedb/testing';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { createControlMetrics } from '../metrics.js';

const KEY = 'zones-test-key';
const Z = '/api/v1/servers/localhost/zones';
let s: ScratchDb;
let app: FastifyInstance;

before(async () => {
  s = await scratchDatabase('zones');
  const m = await migrate(s.db);
  assert.ok(m.ok);
  const log = createLogger({ name: 'test', level: 'silent' });
  const config = loadConfig(undefined, { apiKey: KEY }, {});
  config.bodyLimit = 64 * 1024;
  app = await buildApp({ config, log, metrics: createControlMetrics(), updaterProblem: 'none', db: s.db });
});
after(async () => {
  await app?.close();
  await s?.drop();
});

type Body = Record<string, unknown> | unknown[] | string;
async function call(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: Body) {
  const r = await app.inject({
    method, url, headers: { 'x-api-key': KEY, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: r.statusCode, json: () => r.json(), text: r.body };
}

const rows = (zone: string) => s.db.query<{ name: string; type: string | null; content: string | null; ttl: number | null; prio: number | null; auth: number; ordername: string | null }>(
  'SELECT r.name, r.type, r.content, r.ttl, r.prio, r.auth, r.ordername FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name = ? ORDER BY r.name, r.type, r.content', [zone]);
const serialOf = async (zone: string) => Number(((await call('GET', `${Z}/${zone}.?rrsets=false`)).json() as { serial: number }).serial);
const rrset = (name: string, type: string, contents: string[], ttl = 300, changetype = 'REPLACE') =>
  ({ name, type, ttl, changetype, records: contents.map((content) => ({ content, disabled: false })) });

test('POST creates a zone: 201 with the zone, default SOA, NS from nameservers, SOA-EDIT-API DEFAULT bump', async () => {
  const r = await call('POST', Z, { name: 'api.test.', kind: 'Native', nameservers: ['ns1.api.test.', 'ns2.example.net.'], account: 'acct', extra_field: 1 });
  assert.equal(r.status, 201, r.text);
  const z = r.json();
  const today = dateSerial(new Date(), 1);
  assert.equal(z.id, 'api.test.');
  assert.equal(z.name, 'api.test.');
  assert.equal(z.kind, 'Native');
  assert.equal(z.account, 'acct');
  assert.equal(z.soa_edit_api, 'DEFAULT');
  assert.equal(z.serial, today);
  assert.equal(z.url, '/api/v1/servers/localhost/zones/api.test.');
  assert.deepEqual(z.rrsets.map((x: { type: string }) => x.type), ['SOA', 'NS']);
  assert.equal(z.rrsets[0].records[0].content, `a.misconfigured.dns.server.invalid. hostmaster.api.test. ${today} 10800 3600 604800 3600`);
  assert.deepEqual(await rows('api.test'), [
    { name: 'api.test', type: 'NS', content: 'ns1.api.test', ttl: 3600, prio: 0, auth: 1, ordername: null },
    { name: 'api.test', type: 'NS', content: 'ns2.example.net', ttl: 3600, prio: 0, auth: 1, ordername: null },
    { name: 'api.test', type: 'SOA', content: `a.misconfigured.dns.server.invalid hostmaster.api.test ${today} 10800 3600 604800 3600`, ttl: 3600, prio: 0, auth: 1, ordername: null },
  ]);
  const again = await call('POST', Z, { name: 'API.test.', kind: 'Native', nameservers: [] });
  assert.equal(again.status, 409);
  assert.deepEqual(again.json(), { error: 'Conflict' });
});

test('PATCH REPLACE stores PowerDNS form (prio column, no trailing dots, ENT rows, auth=0 below a cut) and bumps the serial', async () => {
  const before = await serialOf('api.test');
  const r = await call('PATCH', `${Z}/api.test.`, { rrsets: [
    rrset('api.test.', 'MX', ['10 mail.api.test.', '20 mx2.example.net.']),
    rrset('_sip._tcp.api.test.', 'SRV', ['10 60 5060 sip.api.test.']),
    rrset('sub.api.test.', 'NS', ['ns.sub.api.test.']),
    rrset('ns.sub.api.test.', 'A', ['192.0.2.6']),
    rrset('WWW.api.test.', 'a', ['192.0.2.1', '192.0.2.2']),
    rrset('txt.api.test.', 'TXT', ['"hello world" "two"']),
  ] });
  assert.equal(r.status, 204, r.text);
  assert.equal(await serialOf('api.test'), before + 1);
  const got = await rows('api.test');
  const pick = (n: string, t: string | null) => got.filter((x) => x.name === n && x.type === t).map((x) => [x.content, x.prio, x.auth]);
  assert.deepEqual(pick('api.test', 'MX'), [['mail.api.test', 10, 1], ['mx2.example.net', 20, 1]]);
  assert.deepEqual(pick('_sip._tcp.api.test', 'SRV'), [['60 5060 sip.api.test', 10, 1]]);
  assert.deepEqual(pick('www.api.test', 'A'), [['192.0.2.1', 0, 1], ['192.0.2.2', 0, 1]]);
  assert.deepEqual(pick('sub.api.test', 'NS'), [['ns.sub.api.test', 0, 0]]);
  assert.deepEqual(pick('ns.sub.api.test', 'A'), [['192.0.2.6', 0, 0]]);
  assert.deepEqual(pick('_tcp.api.test', null), [[null, null, 1]], 'empty non-terminal row as rectify writes it');
  const z = (await call('GET', `${Z}/api.test.`)).json();
  const mx = z.rrsets.find((x: { type: string }) => x.type === 'MX');
  assert.deepEqual(mx.records, [{ content: '10 mail.api.test.', disabled: false }, { content: '20 mx2.example.net.', disabled: false }]);
  assert.equal(mx.ttl, 300);
});

test('EXTEND adds records, PRUNE removes them, REPLACE with no records and DELETE remove the RRset', async () => {
  const two = await call('PATCH', `${Z}/api.test.`, { rrsets: [rrset('www.api.test.', 'A', ['192.0.2.3', '192.0.2.1'], 300, 'EXTEND')] });
  assert.deepEqual([two.status, two.json()], [422, { error: 'Exactly one record should be provided for PRUNE or EXTEND operation' }]);
  assert.equal((await call('PATCH', `${Z}/api.test.`, { rrsets: [rrset('www.api.test.', 'A', ['192.0.2.3'], 300, 'EXTEND')] })).status, 204);
  const contents = async (name: string) => (await rows('api.test')).filter((x) => x.name === name && x.type === 'A').map((x) => x.content);
  assert.deepEqual(await contents('www.api.test'), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
  assert.equal((await call('PATCH', `${Z}/api.test.`, { rrsets: [{ name: 'www.api.test.', type: 'A', changetype: 'PRUNE', records: [{ content: '192.0.2.1' }] }] })).status, 204);
  assert.deepEqual(await contents('www.api.test'), ['192.0.2.2', '192.0.2.3']);
  assert.equal((await call('PATCH', `${Z}/api.test.`, { rrsets: [{ name: 'www.api.test.', type: 'A', ttl: 300, changetype: 'REPLACE', records: [] }] })).status, 204);
  assert.deepEqual(await contents('www.api.test'), []);
  assert.equal((await call('PATCH', `${Z}/api.test.`, { rrsets: [{ name: 'txt.api.test.', type: 'TXT', changetype: 'DELETE' }] })).status, 204);
  assert.equal((await rows('api.test')).filter((x) => x.name === 'txt.api.test').length, 0);
});

test('PowerDNS checks: 422 with its messages, and nothing written', async () => {
  const snapshot = JSON.stringify(await rows('api.test'));
  const serial = await serialOf('api.test');
  const cases: Array<[unknown, RegExp]> = [
    [{ rrsets: [rrset('www.other.test.', 'A', ['192.0.2.1'])] }, /^RRset www\.other\.test\. IN A: Name is out of zone$/],
    [{ rrsets: [rrset('www.api.test', 'A', ['192.0.2.1'])] }, /^DNS Name 'www\.api\.test' is not canonical$/],
    [{ rrsets: [rrset('www.api.test.', 'A', ['192.0.2'])] }, /^Record www\.api\.test\.\/A '192\.0\.2': Parsing record content/],
    [{ rrsets: [rrset('t.api.test.', 'TXT', ['unquoted'])] }, /Not in expected format \(parsed as '"unquoted"'\)/],
    [{ rrsets: [rrset('m.api.test.', 'MX', ['10 mail.api.test'])] }, /Not in expected format \(parsed as '10 mail\.api\.test\.'\)/],
    [{ rrsets: [rrset('www.api.test.', 'BLAH', ['1'])] }, /^RRset www\.api\.test\. IN BLAH: unknown type given$/],
    [{ rrsets: [{ ...rrset('www.api.test.', 'A', ['192.0.2.1']), changetype: 'FOO' }] }, /^Changetype not understood$/],
    [{ rrsets: [{ name: 'www.api.test.', type: 'A', changetype: 'REPLACE', records: [{ content: '192.0.2.1' }] }] }, /^Key 'ttl' not an Integer or not present$/],
    [{ rrsets: [rrset('www.api.test.', 'A', ['192.0.2.1', '192.0.2.1'])] }, /^Duplicate record in RRset www\.api\.test\. IN A with content "192\.0\.2\.1"$/],
    [{ rrsets: [rrset('d.api.test.', 'A', ['192.0.2.1']), rrset('d.api.test.', 'A', ['192.0.2.2'])] }, /^Duplicate RRset d\.api\.test\. IN A with changetype: REPLACE$/],
    [{ rrsets: [rrset('ns1.api.test.', 'A', ['192.0.2.9']), rrset('ns1.api.test.', 'CNAME', ['x.api.test.'])] }, /^RRset ns1\.api\.test\. IN CNAME: Conflicts with pre-existing RRset$/],
    [{ rrsets: [rrset('lua.api.test.', 'LUA', ['A "ifportup(443, {"'])] }, /Lua syntax error: .*expected/],
    [{ rrsets: [rrset('x.api.test.', 'SOA', ['a. b. 1 2 3 4 5'])] }, /^Record x\.api\.test\. IN SOA is only allowed at apex$/],
    [{ rrsets: 'nope' }, /^No rrsets given in update request$/],
    [{ rrsets: [{ name: 5, type: 'A', changetype: 'REPLACE' }] }, /^Key 'name' not present or not a String$/],
    [{ rrsets: [{ ...rrset('c.api.test.', 'A', ['192.0.2.1']), comments: [{ content: 'x', account: 'a'.repeat(41) }] }] }, /longer than 40/],
  ];
  for (const [body, message] of cases) {
    const r = await call('PATCH', `${Z}/api.test.`, body as Body);
    assert.equal(r.status, 422, `${JSON.stringify(body)} → ${r.text}`);
    assert.match(r.json().error, message);
  }
  // A valid change before a refused one in the same PATCH is rolled back with it.
  const mixed = await call('PATCH', `${Z}/api.test.`, { rrsets: [rrset('ok.api.test.', 'A', ['192.0.2.7']), rrset('ok.api.test.', 'CNAME', ['x.api.test.'])] });
  assert.equal(mixed.status, 422);
  assert.equal(JSON.stringify(await rows('api.test')), snapshot, 'nothing half-written');
  assert.equal(await serialOf('api.test'), serial);
});

test('unknown zones: 404 with PowerDNS\'s message on every zone route', async () => {
  for (const [method, url] of [['GET', `${Z}/nope.test.`], ['PATCH', `${Z}/nope.test.`], ['PUT', `${Z}/nope.test.`], ['DELETE', `${Z}/nope.test.`],
    ['PUT', `${Z}/nope.test./notify`], ['GET', `${Z}/nope.test./export`], ['GET', `${Z}/nope.test./metadata`]] as const) {
    const r = await call(method, url, method === 'PATCH' || method === 'PUT' ? { rrsets: [] } : undefined);
    assert.equal(r.status, 404, `${method} ${url}`);
    assert.deepEqual(r.json(), { error: "Could not find domain 'nope.test.'" });
  }
});

test('zone ids: =2F escapes for classless reverse zones, lookups without the trailing dot or in another case', async () => {
  const r = await call('POST', Z, { name: '0/26.2.0.192.in-addr.arpa.', kind: 'Native', nameservers: ['ns1.api.test.'] });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json().id, '0=2F26.2.0.192.in-addr.arpa.');
  assert.equal((await call('GET', `${Z}/0=2F26.2.0.192.in-addr.arpa.`)).status, 200);
  assert.equal((await call('GET', `${Z}/API.TEST`)).json().name, 'api.test.');
  const list = (await call('GET', Z)).json() as Array<{ id: string; rrsets?: unknown }>;
  assert.deepEqual(list.map((z) => z.id).sort(), ['0=2F26.2.0.192.in-addr.arpa.', 'api.test.']);
  assert.ok(list.every((z) => z.rrsets === undefined));
  assert.equal((await call('DELETE', `${Z}/0=2F26.2.0.192.in-addr.arpa.`)).status, 204);
  assert.equal((await call('GET', `${Z}/0=2F26.2.0.192.in-addr.arpa.`)).status, 404);
});

test('rrsets=false, rrset_name/rrset_type filters, export text, notify', async () => {
  const noSets = (await call('GET', `${Z}/api.test.?rrsets=false`)).json();
  assert.equal(noSets.rrsets, undefined);
  const mx = (await call('GET', `${Z}/api.test.?rrset_name=api.test.&rrset_type=MX`)).json();
  assert.deepEqual(mx.rrsets.map((x: { name: string; type: string }) => `${x.name} ${x.type}`), ['api.test. MX']);
  const ex = await call('GET', `${Z}/api.test./export`);
  assert.equal(ex.status, 200);
  assert.match(ex.text, /^api\.test\.\t300\tIN\tMX\t10 mail\.api\.test\.$/m);
  assert.match(ex.text, /^_sip\._tcp\.api\.test\.\t300\tIN\tSRV\t10 60 5060 sip\.api\.test\.$/m);
  assert.deepEqual((await call('PUT', `${Z}/api.test./notify`)).json(), { result: 'Notification queued' });
});

test('metadata GET/PUT/POST/DELETE and SOA-EDIT-API kinds (INCREASE, EPOCH, none)', async () => {
  assert.deepEqual((await call('GET', `${Z}/api.test./metadata`)).json(), [{ kind: 'SOA-EDIT-API', metadata: ['DEFAULT'], type: 'Metadata' }]);
  const put = await call('PUT', `${Z}/api.test./metadata/ALSO-NOTIFY`, { metadata: ['192.0.2.53', "x'); DROP TABLE records; --"] });
  assert.equal(put.status, 200);
  assert.deepEqual((await call('GET', `${Z}/api.test./metadata/ALSO-NOTIFY`)).json().metadata, ['192.0.2.53', "x'); DROP TABLE records; --"]);
  assert.equal((await call('POST', `${Z}/api.test./metadata`, { kind: 'X-OURS', metadata: ['a'] })).status, 201);
  assert.equal((await call('PUT', `${Z}/api.test./metadata/NSEC3PARAM`, { metadata: ['1 0 1 ab'] })).status, 422);
  assert.equal((await call('PUT', `${Z}/api.test./metadata/NOT-A-KIND`, { metadata: ['x'] })).status, 422);
  assert.equal((await call('DELETE', `${Z}/api.test./metadata/X-OURS`)).status, 200, 'PowerDNS 4.7 answers 200 here');
  assert.deepEqual((await call('GET', `${Z}/api.test./metadata/X-OURS`)).json().metadata, []);

  assert.equal((await call('PUT', `${Z}/api.test.`, { soa_edit_api: 'INCREASE', account: 'other' })).status, 204);
  const s0 = await serialOf('api.test');
  await call('PATCH', `${Z}/api.test.`, { rrsets: [rrset('inc.api.test.', 'A', ['192.0.2.8'])] });
  assert.equal(await serialOf('api.test'), s0 + 1);
  await call('PUT', `${Z}/api.test.`, { soa_edit_api: 'EPOCH' });
  const t = Math.floor(Date.now() / 1000);
  await call('PATCH', `${Z}/api.test.`, { rrsets: [rrset('inc.api.test.', 'A', ['192.0.2.9'])] });
  assert.ok(Math.abs((await serialOf('api.test')) - t) <= 2);
  await call('PUT', `${Z}/api.test.`, { soa_edit_api: '' });
  const s1 = await serialOf('api.test');
  await call('PATCH', `${Z}/api.test.`, { rrsets: [rrset('inc.api.test.', 'A', ['192.0.2.10'])] });
  assert.equal(await serialOf('api.test'), s1, 'no SOA-EDIT-API: serial left alone');
  const z = (await call('GET', `${Z}/api.test.?rrsets=false`)).json();
  assert.equal(z.account, 'other');
  assert.equal(z.soa_edit_api, '');
});

test('concurrent writes: racing creations give one 201 and 409s; parallel PATCHes all apply, one serial bump each', async () => {
  const creates = await Promise.all(Array.from({ length: 5 }, () => call('POST', Z, { name: 'race.test.', kind: 'Native', nameservers: ['ns1.race.test.'] })));
  assert.deepEqual(creates.map((r) => r.status).sort(), [201, 409, 409, 409, 409]);
  const s0 = await serialOf('race.test');
  const patches = await Promise.all(Array.from({ length: 6 }, (_, i) => call('PATCH', `${Z}/race.test.`, { rrsets: [rrset(`h${i}.race.test.`, 'A', [`192.0.2.${i + 1}`])] })));
  assert.deepEqual(patches.map((r) => r.status), [204, 204, 204, 204, 204, 204]);
  assert.equal(await serialOf('race.test'), s0 + 6);
  assert.equal((await rows('race.test')).filter((r) => r.type === 'A').length, 6);
});
