// PowerDNS 4.7 as the oracle for geoctl's DNSSEC API (issue 19).
//   1. One database, two servers: keys geoctl creates are listed identically by
//      pdns_server's own API on that database (list, single key with privatekey,
//      CDS after PUBLISH-CDS, the zone's dnssec field), and keys PowerDNS creates
//      (its API and pdnsutil) are listed identically by geoctl.
//   2. Two databases (control-pdns-oracle-harness): the same requests to both;
//      rectify, NSEC3 settings, `"dnssec": true/false` leave identical rows
//      (ordername and auth included), and imported keys list identically.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '@geoedge/shared';
import { migrate } from '@geoedge/zonedb';
import { scratchDatabase, sharedMariaDb, runProgram, type ScratchDb } from '@geoedge/zonedb/testing';
import { buildApp, loadConfig, createControlMetrics } from '@geoedge/control';
import { tempDir, type Proc } from './helpers/index.js';
import { KEY, Z, rec, startOracle, startPdnsApi, type Oracle } from './control-pdns-oracle-harness.js';

let db: ScratchDb;
let tmp: { dir: string; remove(): void };
let pdns: { proc: Proc; base: string };
let app: FastifyInstance;
let ours: string;
let oracle: Oracle;

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method,
    headers: { 'X-API-Key': KEY, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? '' : JSON.parse(text) };
}

/** GET on both servers over the one database: same status and body. */
async function sameOnBoth(path: string): Promise<any> {
  const [p, o] = await Promise.all([call(pdns.base, 'GET', path), call(ours, 'GET', path)]);
  assert.equal(o.status, p.status, `${path}: ${JSON.stringify(o.body)} vs ${JSON.stringify(p.body)}`);
  assert.deepEqual(o.body, p.body, path);
  return o.body;
}

before(async () => {
  db = await scratchDatabase('dnssec_oracle');
  assert.ok((await migrate(db.db)).ok);
  tmp = tempDir('pdns-dnssec');
  pdns = await startPdnsApi(db, tmp.dir);
  // pdnsutil on the same database (its config in the same directory).
  const server = await sharedMariaDb();
  await writeFile(join(tmp.dir, 'pdns.conf'), ['launch=gmysql', `gmysql-host=${server.host}`, `gmysql-port=${server.port}`, 'gmysql-user=root', 'gmysql-password=', `gmysql-dbname=${db.name}`, 'gmysql-dnssec=yes', ''].join('\n'));
  const config = loadConfig(undefined, { apiKey: KEY }, {});
  app = await buildApp({ config, log: createLogger({ name: 'dnssec-oracle', level: 'silent' }), metrics: createControlMetrics(), updaterProblem: 'none', db: db.db });
  await app.listen({ host: '127.0.0.1', port: 0 });
  ours = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  oracle = await startOracle();
});
after(async () => {
  await app?.close();
  await pdns?.proc.stop();
  tmp?.remove();
  await db?.drop();
  await oracle?.close();
});

test('keys created through geoctl are listed identically by PowerDNS on the same database', async () => {
  const z = 'geoctl-keys.test.';
  const made = await call(ours, 'POST', Z, { name: z, kind: 'Native', nameservers: [`ns1.${z}`], dnssec: true });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.equal(made.body.dnssec, true);
  const posted = [];
  for (const body of [
    { keytype: 'zsk', active: true, algorithm: 'ECDSAP256SHA256' },
    { keytype: 'ksk', active: false, algorithm: 'rsasha256', bits: 2048 },
    { keytype: 'zsk', active: false, published: false, algorithm: 'ed25519' },
    { keytype: 'csk', active: false, algorithm: 15 },
  ]) {
    const r = await call(ours, 'POST', `${Z}/${z}/cryptokeys`, body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.match(r.body.privatekey, /^Private-key-format: v1\.2\n/);
    posted.push(r.body);
  }
  const list = await sameOnBoth(`${Z}/${z}/cryptokeys`);
  assert.equal(list.length, 5);
  assert.deepEqual(list.map((k: any) => k.keytype), ['zsk', 'csk', 'csk', 'csk', 'ksk'], 'ECDSA split into KSK+ZSK, the rest CSKs (per algorithm), KSKs listed last');
  for (const k of list) await sameOnBoth(`${Z}/${z}/cryptokeys/${k.id}`);
  assert.equal((await call(ours, 'PUT', `${Z}/${z}/metadata/PUBLISH-CDS`, { metadata: ['2, 4'] })).status, 200);
  const withCds = await sameOnBoth(`${Z}/${z}/cryptokeys`);
  assert.equal(withCds.find((k: any) => k.keytype === 'ksk').cds.length, 2);
  assert.equal(withCds.find((k: any) => k.keytype === 'zsk').cds, undefined);
  assert.equal((await call(ours, 'PUT', `${Z}/${z}/cryptokeys/${posted[1].id}`, { active: true, published: true })).status, 204);
  assert.equal((await call(ours, 'DELETE', `${Z}/${z}/cryptokeys/${posted[3].id}`)).status, 204);
  await sameOnBoth(`${Z}/${z}/cryptokeys`);
  await sameOnBoth(`${Z}/${z}`);
  await sameOnBoth(`${Z}`);
  // pdnsutil accepts the keys geoctl made, and shows the tags geoctl lists.
  const check = await runProgram('pdnsutil', [`--config-dir=${tmp.dir}`, 'check-zone', z]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /0 errors/);
  const show = await runProgram('pdnsutil', [`--config-dir=${tmp.dir}`, 'show-zone', z]);
  assert.equal(show.code, 0, show.stderr);
  for (const k of await sameOnBoth(`${Z}/${z}/cryptokeys`)) assert.match(show.stdout, new RegExp(`ID = ${k.id} \\(${k.keytype.toUpperCase()}\\), flags = ${k.flags}, tag = \\d+, algo = `));
});

test('keys created by PowerDNS (its API and pdnsutil) are listed identically by geoctl', async () => {
  const z = 'pdns-keys.test.';
  assert.equal((await call(pdns.base, 'POST', Z, { name: z, kind: 'Native', nameservers: [`ns1.${z}`], dnssec: true })).status, 201);
  for (const body of [{ keytype: 'zsk', active: true, algorithm: 'ecdsa256' }, { keytype: 'ksk', active: false, algorithm: 'rsasha256', bits: 2048 }]) {
    assert.equal((await call(pdns.base, 'POST', `${Z}/${z}/cryptokeys`, body)).status, 201);
  }
  const r = await runProgram('pdnsutil', [`--config-dir=${tmp.dir}`, 'add-zone-key', z, 'zsk', 'inactive', 'unpublished', 'ed25519']);
  assert.equal(r.code, 0, r.stderr);
  const list = await sameOnBoth(`${Z}/${z}/cryptokeys`);
  assert.equal(list.length, 4);
  for (const k of list) await sameOnBoth(`${Z}/${z}/cryptokeys/${k.id}`);
  await sameOnBoth(`${Z}/${z}`);
});

const RRSETS = [
  { name: 'www.sec.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.1')] },
  { name: 'a.b.c.sec.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.1')] },
  { name: '*.wild.sec.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.1')] },
  { name: 'sub.sec.test.', type: 'NS', ttl: 60, changetype: 'REPLACE', records: [rec('ns.sub.sec.test.')] },
  { name: 'sub.sec.test.', type: 'DS', ttl: 60, changetype: 'REPLACE', records: [rec('1 13 2 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')] },
  { name: 'ns.sub.sec.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.2')] },
  { name: 'ns.sub.sec.test.', type: 'AAAA', ttl: 60, changetype: 'REPLACE', records: [rec('2001:db8::2')] },
  { name: 'x.y.sub.sec.test.', type: 'TXT', ttl: 60, changetype: 'REPLACE', records: [rec('"below the cut"')] },
  { name: 'nods.sec.test.', type: 'NS', ttl: 60, changetype: 'REPLACE', records: [rec('ns.other.net.')] },
  { name: 'Upper.Case.sec.test.', type: 'TXT', ttl: 60, changetype: 'REPLACE', records: [rec('"x"')] },
];

test('rectify, NSEC3 settings and dnssec on/off leave the rows PowerDNS leaves (ordername, auth, ENTs, serial)', async () => {
  const P = `${Z}/sec.test.`;
  await oracle.same('POST', Z, { name: 'sec.test.', kind: 'Native', nameservers: ['ns1.sec.test.'], rrsets: RRSETS });
  await oracle.sameRows('sec.test');
  await oracle.same('PUT', P, { dnssec: true });
  await oracle.sameRows('sec.test');
  await oracle.same('PUT', `${P}/rectify`);
  await oracle.sameRows('sec.test');
  await oracle.same('PATCH', P, { rrsets: [{ name: 'new.deep.sec.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.9')] }] });
  await oracle.sameRows('sec.test');
  let i = 0;
  for (const body of [{ nsec3param: '1 0 1 AB' }, { nsec3param: '1 1 0 -' }, { nsec3param: '1 0 0 -', nsec3narrow: true }, { nsec3param: '' }, { dnssec: false }]) {
    await oracle.same('PUT', P, body);
    await oracle.same('GET', P);
    await oracle.sameRows('sec.test');
    await oracle.same('PUT', `${P}/rectify`);
    await oracle.sameRows('sec.test');
    // A change in each mode: a new ENT chain, a delegation with glue, a name below it, a deletion.
    i++;
    await oracle.same('PATCH', P, { rrsets: [
      { name: `x${i}.e${i}.ent.sec.test.`, type: 'TXT', ttl: 60, changetype: 'REPLACE', records: [rec(`"${i}"`)] },
      { name: `d${i}.sec.test.`, type: 'NS', ttl: 60, changetype: 'REPLACE', records: [rec(`ns.d${i}.sec.test.`)] },
      { name: `ns.d${i}.sec.test.`, type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.53')] },
      { name: `deep.below.d${i}.sec.test.`, type: 'TXT', ttl: 60, changetype: 'REPLACE', records: [rec('"below"')] },
      { name: i === 1 ? 'www.sec.test.' : `x${i - 1}.e${i - 1}.ent.sec.test.`, type: i === 1 ? 'A' : 'TXT', changetype: 'DELETE' },
    ] });
    await oracle.sameRows('sec.test');
  }
  await oracle.same('POST', Z, { name: 'n3.test.', kind: 'Native', nameservers: ['ns1.n3.test.'], dnssec: true, nsec3param: '1 0 1 ab', nsec3narrow: false,
    rrsets: [{ name: 'a.b.n3.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.1')] }] });
  await oracle.sameRows('n3.test');
  await oracle.same('GET', `${Z}/n3.test.`);
  await oracle.same('GET', `${Z}/n3.test./export`);
  await oracle.same('GET', `${Z}?dnssec=false`);
});

test('an imported key lists identically; bad input is refused where PowerDNS refuses it', async () => {
  await oracle.same('POST', Z, { name: 'imp.test.', kind: 'Native', nameservers: ['ns1.imp.test.'] });
  const P = `${Z}/imp.test.`;
  const gen = await call(ours, 'POST', `${Z}/geoctl-keys.test./cryptokeys`, { keytype: 'ksk', algorithm: 'rsasha256', bits: 1024 });
  const ed = await call(ours, 'POST', `${Z}/geoctl-keys.test./cryptokeys`, { keytype: 'zsk', algorithm: 'ed25519' });
  await oracle.same('POST', `${P}/cryptokeys`, { keytype: 'ksk', active: true, privatekey: gen.body.privatekey });
  await oracle.same('POST', `${P}/cryptokeys`, { keytype: 'zsk', active: true, published: false, privatekey: ed.body.privatekey });
  const [zsk, ksk] = (await oracle.same('GET', `${P}/cryptokeys`)).body as Array<{ id: number }>;
  await oracle.same('GET', `${P}/cryptokeys/${ksk!.id}`);
  await oracle.same('PUT', `${P}/cryptokeys/${zsk!.id}`, { active: false });
  await oracle.same('GET', `${P}/cryptokeys`);
  await oracle.same('GET', P);
  for (const cds of [['2'], ['2, 4'], ['1,2'], ['']]) {
    await oracle.same('PUT', `${P}/metadata/PUBLISH-CDS`, { metadata: cds });
    await oracle.same('GET', `${P}/cryptokeys`);
  }
  await oracle.same('DELETE', `${P}/metadata/PUBLISH-CDS`);
  await oracle.same('DELETE', `${P}/cryptokeys/${zsk!.id}`);
  await oracle.same('GET', `${P}/cryptokeys`);
  for (const [method, path, body] of [
    ['PUT', `${P}/cryptokeys/${ksk!.id}`, { published: false }], ['PUT', `${P}/cryptokeys/99`, { active: true }], ['DELETE', `${P}/cryptokeys/99`, undefined],
    ['GET', `${P}/cryptokeys/99`, undefined], ['GET', `${Z}/nope.test./cryptokeys`, undefined],
    ['POST', `${P}/cryptokeys`, {}], ['POST', `${P}/cryptokeys`, { keytype: 'KSK' }], ['POST', `${P}/cryptokeys`, { keytype: 'ksk', bits: 'x' }],
    ['POST', `${P}/cryptokeys`, { keytype: 'ksk', algorithm: 'foo' }], ['POST', `${P}/cryptokeys`, { keytype: 'ksk', algorithm: 'ecdsa256', bits: 384 }],
    ['POST', `${P}/cryptokeys`, { keytype: 'zsk', privatekey: 'garbage' }], ['POST', `${P}/cryptokeys`, { keytype: 'zsk', privatekey: 7 }],
    ['POST', `${P}/cryptokeys`, { keytype: 'zsk', privatekey: ed.body.privatekey, algorithm: 'ed25519' }],
    ['PUT', P, { nsec3param: '2 0 1 ab' }], ['PUT', `${Z}/sec.test.`, { nsec3param: '1 0 1 ab' }],
    ['POST', Z, { name: 'n3x.test.', kind: 'Native', nsec3param: '1 0 1 ab' }],
  ] as const) {
    const r = await oracle.both(method, path, body);
    assert.equal(r.ours.status, r.pdns.status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.ours.body)} vs ${JSON.stringify(r.pdns.body)}`);
    if (r.ours.status === 422) assert.match((r.ours.body as { error: string }).error, /\S/);
  }
  const mine = async (method: 'POST' | 'PUT', path: string, body: unknown) => (await oracle.both(method, path, body)).ours as { status: number; body: any };
  const garbage = await mine('POST', `${P}/cryptokeys`, { keytype: 'zsk', privatekey: 'garbage' });
  assert.match(garbage.body.error, /^Key 'privatekey' could not be parsed: /);
  const unknown = await mine('POST', `${P}/cryptokeys`, { keytype: 'zsk', algorithm: 'RSASHA1' });
  assert.equal(unknown.status, 422);
  assert.match(unknown.body.error, /allowed: RSASHA256 \(8\), ECDSAP256SHA256 \(13\), ED25519 \(15\)/);
  // Where PowerDNS answers 500 (a key that does not fit the curve, an unparsable salt), we answer 422 naming it.
  const curve = await mine('POST', `${P}/cryptokeys`, { keytype: 'zsk', privatekey: 'Private-key-format: v1.2\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: AAAA\n' });
  assert.equal(curve.status, 422);
  assert.match(curve.body.error, /privatekey/);
  const salt = await mine('PUT', `${Z}/n3.test.`, { nsec3param: '1 0 1 zz' });
  assert.equal(salt.status, 422);
  assert.match(salt.body.error, /salt/);
});
