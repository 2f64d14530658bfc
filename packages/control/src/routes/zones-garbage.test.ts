// Garbage into every input surface of the zone API: malformed and oversized
// bodies, wrong shapes and types, names and contents that do not parse, SQL
// metacharacters in every string field, junk zone ids, and random mutations
// of a valid PATCH. Each gets a clear 4xx {"error"}, never a 5xx, and the
// database holds exactly what it held before (or, for accepted strings, the
// string verbatim).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '@geoedge/shared';
import { migrate } from '@geoedge/zonedb';
import { scratchDatabase, type ScratchDb } from '@geoedge/zonedb/testing';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { createControlMetrics } from '../metrics.js';

const KEY = 'garbage-test-key';
const Z = '/api/v1/servers/localhost/zones';
const BODY_LIMIT = 32 * 1024;
let s: ScratchDb;
let app: FastifyInstance;

before(async () => {
  s = await scratchDatabase('garbage');
  assert.ok((await migrate(s.db)).ok);
  const config = loadConfig(undefined, { apiKey: KEY }, {});
  config.bodyLimit = BODY_LIMIT;
  app = await buildApp({ config, log: createLogger({ name: 'test', level: 'silent' }), metrics: createControlMetrics(), updaterProblem: 'none', db: s.db });
  const r = await call('POST', Z, { name: 'g.test.', kind: 'Native', nameservers: ['ns1.g.test.'] });
  assert.equal(r.statusCode, 201);
});
after(async () => {
  await app?.close();
  await s?.drop();
});

function call(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown, contentType = 'application/json') {
  return app.inject({
    method, url, headers: { 'x-api-key': KEY, ...(body !== undefined ? { 'content-type': contentType } : {}) },
    ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
}

async function dbState(): Promise<string> {
  const tables = ['domains', 'records', 'comments', 'domainmetadata'];
  const out: unknown[] = [];
  for (const t of tables) out.push(await s.db.query(`SELECT * FROM ${t} ORDER BY id`));
  return JSON.stringify(out);
}

/** Sends, expects a 4xx with an {"error": string} body, and the database unchanged. */
async function refused(method: 'POST' | 'PATCH' | 'PUT' | 'GET' | 'DELETE', url: string, body: unknown, status: number | RegExp, contentType?: string) {
  const before = await dbState();
  const r = await call(method, url, body, contentType);
  const what = `${method} ${url} ${String(typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 120)} → ${r.statusCode} ${r.body.slice(0, 200)}`;
  if (typeof status === 'number') assert.equal(r.statusCode, status, what);
  else assert.match(String(r.statusCode), status, what);
  const err = r.json().error;
  assert.equal(typeof err, 'string', what);
  assert.ok(err.length > 0, what);
  assert.equal(await dbState(), before, `database changed: ${what}`);
  return err as string;
}

const rr = (name: string, type: string, contents: string[], extra: Record<string, unknown> = {}) =>
  ({ rrsets: [{ name, type, ttl: 60, changetype: 'REPLACE', records: contents.map((content) => ({ content, disabled: false })), ...extra }] });

test('malformed JSON, empty bodies, wrong content type, oversized bodies', async () => {
  for (const body of ['{', '{"rrsets": [', '{"rrsets": [}', 'nul', '\u0000', '{"a":1}}', "{'rrsets': []}"]) {
    const err = await refused('PATCH', `${Z}/g.test.`, body, 400);
    assert.match(err, /JSON/);
    await refused('POST', Z, body, 400);
  }
  await refused('PATCH', `${Z}/g.test.`, '', 400);
  await refused('PATCH', `${Z}/g.test.`, 'rrsets=1', 415, 'application/x-www-form-urlencoded');
  const huge = JSON.stringify(rr('big.g.test.', 'TXT', [`"${'x'.repeat(200)}"`]).rrsets.map(() => null)).padEnd(BODY_LIMIT + 10, ' ');
  await refused('PATCH', `${Z}/g.test.`, huge, 413);
  const many = { rrsets: Array.from({ length: 2000 }, (_, i) => rr(`n${i}.g.test.`, 'A', ['192.0.2.1']).rrsets[0]) };
  await refused('PATCH', `${Z}/g.test.`, many, 413);
});

test('wrong shapes and types in PATCH, POST, PUT and metadata bodies', async () => {
  const P = `${Z}/g.test.`;
  for (const body of [[], null, 5, '"str"', { rrsets: null }, { rrsets: {} }, { rrsets: [null] }, { rrsets: [5] }, { rrsets: [[]] },
    { rrsets: [{ name: 'a.g.test.' }] }, { rrsets: [{ type: 'A' }] }, { rrsets: [{ name: ['a.g.test.'], type: 'A', changetype: 'REPLACE' }] },
    rr('a.g.test.', 'A', ['192.0.2.1'], { ttl: '60' }), rr('a.g.test.', 'A', ['192.0.2.1'], { ttl: -1 }), rr('a.g.test.', 'A', ['192.0.2.1'], { ttl: 1.5 }),
    rr('a.g.test.', 'A', ['192.0.2.1'], { ttl: 2 ** 40 }), rr('a.g.test.', 'A', ['192.0.2.1'], { records: 'x' }), rr('a.g.test.', 'A', ['192.0.2.1'], { records: [5] }),
    rr('a.g.test.', 'A', ['192.0.2.1'], { records: [{ content: 5 }] }), rr('a.g.test.', 'A', ['192.0.2.1'], { records: [{ content: '192.0.2.1', disabled: 'no' }] }),
rr('a.g.test.', 'A', ['192.0.2.1'], { comments: [{ content: 5 }] }),
    rr('a.g.test.', 'A', ['192.0.2.1'], { comments: [{ content: 'c', account: 'a', modified_at: 'now' }] }),
    rr('a.g.test.', 'A', ['192.0.2.1'], { changetype: 7 }), rr('a.g.test.', 'A', ['192.0.2.1'], { type: null })]) {
    await refused('PATCH', P, body, /^4(00|22)$/);
  }
  for (const body of [{}, { name: 5 }, { name: 'x.test' }, { name: 'x.test.' }, { name: 'x.test.', nameservers: 'ns1.x.test.' },
    { name: 'x.test.', nameservers: ['ns1.x.test'] }, { name: 'x.test.', masters: ['not-an-ip'] }, { name: 'x.test.', masters: "1.2.3.4" },
    { name: 'x.test.', account: 'a'.repeat(41) }, { name: 'x.test.', dnssec: true }, { name: 'x.test.', api_rectify: 'yes' },
    { name: 'x.test.', nameservers: ['ns1.x.test.'], rrsets: [{ name: 'x.test.', type: 'NS', ttl: 60, records: [{ content: 'ns2.x.test.' }] }] },
    { name: 'x.test.', rrsets: [{ name: 'y.test.', type: 'A', ttl: 60, records: [{ content: '192.0.2.1' }] }] }, [], null]) {
    await refused('POST', Z, body, /^4(00|22)$/);
  }
  for (const body of [{ masters: [1] }, { account: 5 }, { soa_edit_api: ['x'] }, { api_rectify: 1 }, 'x', []]) {
    await refused('PUT', `${Z}/g.test.`, body, /^4(00|22)$/);
  }
  for (const [url, body] of [[`${P}/metadata/ALSO-NOTIFY`, { metadata: 'x' }], [`${P}/metadata/ALSO-NOTIFY`, { metadata: [1] }], [`${P}/metadata/ALSO-NOTIFY`, {}],
    [`${P}/metadata/${'X-'.padEnd(40, 'A')}`, { metadata: ['x'] }], [`${P}/metadata/NOPE`, { metadata: ['x'] }]] as const) {
    await refused('PUT', url, body, 422);
  }
  await refused('POST', `${P}/metadata`, { kind: 5, metadata: ['x'] }, 422);
  await refused('POST', `${P}/metadata`, { kind: 'ALSO-NOTIFY', metadata: [null] }, 422);
});

test('names and contents that do not parse: 422 naming the record', async () => {
  const P = `${Z}/g.test.`;
  const longLabel = `${'a'.repeat(64)}.g.test.`;
  const longName = `${Array.from({ length: 60 }, () => 'abcd').join('.')}.g.test.`;
  for (const name of ['a..g.test.', '.g.test.', longLabel, longName, 'a\\999.g.test.', 'a\\', '', '.', 'g.test..', 'a b.g.test']) {
    await refused('PATCH', P, rr(name, 'A', ['192.0.2.1']), 422);
  }
  const bad: Array<[string, string]> = [
    ['A', '999.1.1.1'], ['A', '192.0.2.1 extra'], ['A', ''], ['AAAA', 'zz::1'], ['AAAA', '1:2:3'], ['MX', 'mail.g.test.'], ['MX', '70000 mail.g.test.'],
    ['SRV', '1 2 mail.g.test.'], ['CAA', '0 issue'], ['TXT', '"unterminated'], ['CNAME', 'two words.'], ['NS', '-'],
    ['SOA', 'ns1.g.test. h.g.test. x 1 2 3 4'], ['LUA', 'A "("'], ['LUA', 'NOTATYPE "1"'], ['LUA', 'A unquoted'], ['DS', '1 2 3 zz'], ['TYPE65280', '\\# 3 00'],
  ];
  for (const [type, content] of bad) {
    const err = await refused('PATCH', P, rr(`b.g.test.`, type, [content]), 422);
    if (type !== 'SOA') assert.match(err, /^(Record b\.g\.test\.\/|RRset )/, `${type} ${content}: ${err}`);
  }
});

test('SQL metacharacters in every string field are stored verbatim, never executed', async () => {
  const evil = "x'); DROP TABLE records; -- \\ \" ` %_ ;";
  // Names cannot hold them at all (PowerDNS's rule: letters, digits, '-', '_', '/').
  for (const bad of ["o'reilly.g.test.", 'a\\;drop.g.test.', 'a\\032b.g.test.', "x';--.g.test."]) {
    assert.match(await refused('PATCH', `${Z}/g.test.`, rr(bad, 'A', ['192.0.2.1']), 422), /contains unsupported characters/);
  }
  const name = 'meta.g.test.';
  const r = await call('PATCH', `${Z}/g.test.`, {
    rrsets: [{
      name, type: 'TXT', ttl: 60, changetype: 'REPLACE', records: [{ content: `"${evil.replace(/["\\]/g, (c) => `\\${c}`)}"`, disabled: false }],
      comments: [{ content: evil, account: "bob'; --" }],
    }, {
      name: 'lua.g.test.', type: 'LUA', ttl: 60, changetype: 'REPLACE', records: [{ content: `TXT "[['); DROP TABLE records; --]]"`, disabled: false }],
    }],
  });
  assert.equal(r.statusCode, 204, r.body);
  assert.match(await refused('POST', Z, { name: "it's.test.", kind: 'Native', nameservers: ['ns1.g.test.'] }, 422), /contains unsupported characters/);
  assert.match(await refused('POST', Z, { name: 'its.test.', kind: 'Native', nameservers: ["ns1'x.g.test."] }, 422), /non-hostname content/);
  const zone = await call('POST', Z, { name: 'its.test.', kind: 'Native', account: "a'; DROP TABLE domains; --", soa_edit_api: "DEFAULT'--", nameservers: ['ns1.g.test.'] });
  assert.equal(zone.statusCode, 201, zone.body);
  const meta = await call('PUT', `${Z}/g.test./metadata/X-${encodeURIComponent("EVIL'--")}`, { metadata: [evil] });
  assert.equal(meta.statusCode, 200, meta.body);

  const tables = await s.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()');
  assert.ok(Number(tables[0].n) >= 7, 'no table dropped');
  const stored = await s.db.query<{ name: string; content: string }>("SELECT name, content FROM records WHERE type IN ('TXT', 'LUA') ORDER BY name");
  assert.deepEqual(stored.map((x) => x.name), ['lua.g.test', 'meta.g.test']);
  const comment = await s.db.query<{ comment: string; account: string }>('SELECT comment, account FROM comments');
  assert.deepEqual(comment, [{ comment: evil, account: "bob'; --" }]);
  const dom = await s.db.query<{ account: string }>("SELECT account FROM domains WHERE name = 'its.test'");
  assert.deepEqual(dom, [{ account: "a'; DROP TABLE domains; --" }]);
  const md = await s.db.query<{ kind: string; content: string }>("SELECT kind, content FROM domainmetadata WHERE kind LIKE 'X-%'");
  assert.deepEqual(md, [{ kind: "X-EVIL'--", content: evil }]);
  // And it reads back through the API as written.
  const got = (await call('GET', `${Z}/g.test.?rrset_name=${encodeURIComponent(name)}`)).json();
  assert.equal(got.rrsets[0].comments[0].content, evil);
  assert.equal((await call('GET', `${Z}/its.test.?rrsets=false`)).json().account, "a'; DROP TABLE domains; --");
});

test('junk zone ids and servers: 404, never 500', async () => {
  for (const id of ['%00', '=ZZ', '=', '..', 'a..b', encodeURIComponent('x'.repeat(300)), encodeURIComponent("' OR 1=1 --"), '%E2%80%8B', '=00']) {
    const r = await call('GET', `${Z}/${id}`);
    assert.equal(r.statusCode, 404, `${id} → ${r.statusCode} ${r.body}`);
    assert.equal(typeof r.json().error, 'string');
  }
  assert.equal((await call('GET', '/api/v1/servers/other/zones')).statusCode, 404);
  // A long but valid zone name (over fastify's default 100-character parameter limit) is a normal zone.
  const long = `${Array.from({ length: 12 }, () => 'label-abcdefgh').join('.')}.test.`;
  assert.equal((await call('POST', Z, { name: long, kind: 'Native', nameservers: ['ns1.g.test.'] })).statusCode, 201);
  assert.equal((await call('GET', `${Z}/${long}`)).statusCode, 200);
  assert.equal((await call('DELETE', `${Z}/${long}`)).statusCode, 204);
  assert.equal((await call('GET', `${Z}/g.test.?rrset_name=nodot`)).statusCode, 422);
});

test('random mutations of a valid PATCH: never a 5xx; refused ones change nothing', async () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const junk = [null, true, 0, -1, 1e309, '', 'x', "'", '"', '\\', '.', '..', '\u0000', 'A', 'LUA', 'REPLACE', 'DELETE', 'EXTEND', 'PRUNE', [], {}, [null], '192.0.2.1', 'g.test.', '*.g.test.'];
  for (let i = 0; i < 150; i++) {
    const body = structuredClone(rr(`m${i}.g.test.`, 'A', ['192.0.2.1'])) as unknown as Record<string, unknown>;
    const set = (body.rrsets as Array<Record<string, unknown>>)[0];
    const keys = ['name', 'type', 'ttl', 'changetype', 'records', 'comments'];
    for (let k = 0; k < 1 + rand(3); k++) set[keys[rand(keys.length)]] = junk[rand(junk.length)];
    const before = await dbState();
    const r = await call('PATCH', `${Z}/g.test.`, body);
    assert.ok(r.statusCode < 500, `${JSON.stringify(body)} → ${r.statusCode} ${r.body}`);
    if (r.statusCode >= 400) {
      assert.equal(typeof r.json().error, 'string');
      assert.equal(await dbState(), before, JSON.stringify(body));
    }
  }
});
