// Key rollovers through geoctl's cryptokeys API, step by step as deploy/README.md
// ("8. DNSSEC with geoctl") writes them, watched by a real validating resolver
// the whole time: Debian's unbound (cache on, trust anchor = the parent zone's
// DS) asks the server that signs online from the same gmysql database geoctl
// writes: geodns, then pdns_server 4.7 (the API and the documented steps checked
// independently of geodns's signer); GEOEDGE_DNSSEC_SIGNER=geodns or =pdns runs one. The parent zone `test.` holds the child's DS
// and is edited through geoctl too, so the "registrar" step is a real DS change
// with a TTL. Every 100 ms a query must come back NOERROR with AD: no validation gap.
// Proof that the probe can fail: a ZSK switch without pre-publishing gives SERVFAIL.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '@geoedge/shared';
import { migrate } from '@geoedge/zonedb';
import { scratchDatabase, sharedMariaDb, type ScratchDb } from '@geoedge/zonedb/testing';
import { buildApp, loadConfig, createControlMetrics } from '@geoedge/control';
import { startGeodns, buildQuery, dig, freePort, startProcess, tempDir, udpExchange, waitForAnswer, type Proc, type Server } from './helpers/index.js';

const KEY = 'rollover-key';
const Z = '/api/v1/servers/localhost/zones';
const CHILD = `${Z}/roll.test.`;
const TTL = 2; // every TTL in both zones (records, SOA minimum, so DNSKEY and DS too)
const WAIT = (TTL + 1) * 1000;
let db: ScratchDb;
let app: FastifyInstance;
let tmp: { dir: string; remove(): void };
/** The servers that sign from the database, one after the other: GEOEDGE_DNSSEC_SIGNER=geodns or =pdns for one. */
const SIGNERS = (process.env.GEOEDGE_DNSSEC_SIGNER ?? 'geodns,pdns').split(',');
let signer: Server & { stop(): Promise<void> };
let unbound: Proc;
let resolver: Server;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rec = (content: string) => ({ content, disabled: false });

async function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<any> {
  const r = await app.inject({ method, url, headers: { 'X-API-Key': KEY, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
  assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.body ? JSON.parse(r.body) : null;
}

const sha256Ds = (key: { ds: string[] }) => key.ds.find((d) => d.split(' ')[2] === '2')!;

/** One validated look-up through unbound: rcode and the AD flag. */
async function probe(name: string, type: string): Promise<{ rcode: number; ad: boolean } | undefined> {
  const reply = await udpExchange(resolver, buildQuery({ name, type, rd: true, edns: { payload: 1232, dnssecOk: true } }), 1500);
  if (!reply || reply.length < 12) return undefined;
  return { rcode: reply[3]! & 0x0f, ad: (reply[3]! & 0x20) !== 0 };
}

/** The parent's DS for roll.test. becomes `key`'s SHA-256 DS: waits until the signer serves only it, then its TTL. */
async function replaceDs(key: { ds: string[] }): Promise<void> {
  await call('PATCH', `${Z}/test.`, { rrsets: [{ name: 'roll.test.', type: 'DS', ttl: TTL, changetype: 'REPLACE', records: [rec(sha256Ds(key))] }] });
  // A database-polling server takes a moment to serve it.
  const want = [sha256Ds(key).replace(/\s+/g, '')];
  let served: string[] = [];
  for (let t = 0; t < 50 && served.join() !== want.join(); t++) {
    if (t) await sleep(100);
    served = (await dig(signer, ['roll.test.', 'DS'])).answer.map((r) => r.data.toLowerCase().replace(/\s+/g, '')); // dig splits long digests
  }
  assert.deepEqual(served, want, 'the parent serves only the new DS');
  await sleep(WAIT);
}

/** Runs `steps` while probing every 100 ms; resolves with the failures seen (the probe stops also when a step throws). */
async function watched(steps: () => Promise<void>): Promise<string[]> {
  const w = watch();
  let failures: string[] = [];
  try {
    await steps();
  } finally {
    failures = await w.stop();
  }
  return failures;
}

function watch(): { stop(): Promise<string[]> } {
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const [name, type] = i % 2 ? ['www.roll.test.', 'A'] : ['roll.test.', 'SOA'];
      const r = await probe(name, type);
      if (!r || r.rcode !== 0 || !r.ad) failures.push(`${new Date().toISOString()} ${name} ${type}: ${r ? `rcode ${r.rcode} ad ${r.ad}` : 'no answer'}`);
      await sleep(100);
    }
  })();
  return { async stop() { running = false; await loop; return failures; } };
}

async function startPdnsSigner(scratch: ScratchDb, dir: string): Promise<Server & { stop(): Promise<void> }> {
  const server = await sharedMariaDb();
  const at = { host: '127.0.0.1', port: await freePort() };
  const proc = startProcess('/usr/sbin/pdns_server', [
    '--no-config', '--daemon=no', '--guardian=no', `--socket-dir=${dir}`, `--config-dir=${dir}`,
    '--local-address=127.0.0.1', `--local-port=${at.port}`, '--launch=gmysql', `--gmysql-host=${server.host}`, `--gmysql-port=${server.port}`,
    '--gmysql-user=root', '--gmysql-password=', `--gmysql-dbname=${scratch.name}`, '--gmysql-dnssec=yes',
    // Every cache off: each answer follows the database at once, so the waits tested are the resolver's.
    '--cache-ttl=0', '--query-cache-ttl=0', '--negquery-cache-ttl=0', '--zone-metadata-cache-ttl=0', '--dnssec-key-cache-ttl=0', '--zone-cache-refresh-interval=0',
    '--security-poll-suffix=', '--disable-syslog', '--loglevel=4', '--webserver=no', '--api=no',
  ]);
  await proc.waitForLine(/ready to distribute questions/, 15_000);
  return { ...at, stop: async () => { await proc.stop(); } };
}

for (const SIGNER of SIGNERS) describe(`signed by ${SIGNER}`, () => {
  before(async () => {
    db = await scratchDatabase('rollover');
    assert.ok((await migrate(db.db)).ok);
    app = await buildApp({ config: loadConfig(undefined, { apiKey: KEY }, {}), log: createLogger({ name: 'rollover', level: 'silent' }), metrics: createControlMetrics(), updaterProblem: 'none', db: db.db });
    const soa = (zone: string) => ({ name: zone, type: 'SOA', ttl: TTL, changetype: 'REPLACE', records: [rec(`ns1.${zone} hostmaster.${zone} 1 10800 3600 604800 ${TTL}`)] });
    const ns = (zone: string) => ({ name: zone, type: 'NS', ttl: TTL, changetype: 'REPLACE', records: [rec(`ns1.${zone}`)] });
    // The child: a KSK (the CSK "dnssec": true makes) plus an active ZSK of the same algorithm.
    await call('POST', Z, { name: 'roll.test.', kind: 'Native', dnssec: true, rrsets: [soa('roll.test.'), ns('roll.test.'),
      { name: 'www.roll.test.', type: 'A', ttl: TTL, changetype: 'REPLACE', records: [rec('192.0.2.80')] }] });
    await call('POST', `${CHILD}/cryptokeys`, { keytype: 'zsk', active: true, algorithm: 'ECDSAP256SHA256' });
    const childKeys = await call('GET', `${CHILD}/cryptokeys`);
    assert.deepEqual(childKeys.map((k: { keytype: string }) => k.keytype), ['zsk', 'ksk']);
    await call('POST', Z, { name: 'test.', kind: 'Native', dnssec: true, rrsets: [soa('test.'), ns('test.'),
      { name: 'roll.test.', type: 'NS', ttl: TTL, changetype: 'REPLACE', records: [rec('ns1.roll.test.')] },
      { name: 'roll.test.', type: 'DS', ttl: TTL, changetype: 'REPLACE', records: [rec(sha256Ds(childKeys[1]))] }] });
    const [parentKey] = await call('GET', `${Z}/test./cryptokeys`);

    tmp = tempDir('rollover');
    signer = SIGNER === 'geodns' ? await startGeodns({ args: ['--db', db.url] }) : await startPdnsSigner(db, tmp.dir);

    const port = await freePort();
    const conf = join(tmp.dir, 'unbound.conf');
    writeFileSync(conf, [
      'server:', '  interface: 127.0.0.1', `  port: ${port}`, '  do-ip6: no', '  do-daemonize: no', '  use-syslog: no', '  logfile: ""',
      '  chroot: ""', '  username: ""', `  directory: "${tmp.dir}"`, `  pidfile: "${join(tmp.dir, 'unbound.pid')}"`,
      '  do-not-query-localhost: no', '  access-control: 127.0.0.0/8 allow', '  module-config: "validator iterator"',
      '  val-log-level: 2', '  verbosity: 1', '  qname-minimisation: no', '  harden-referral-path: no', '  target-fetch-policy: "0 0 0 0 0"',
      `  trust-anchor: "test. DS ${sha256Ds(parentKey)}"`,
      '  local-zone: "." refuse', '  local-zone: "test." transparent',
      'remote-control:', '  control-enable: no',
      'stub-zone:', '  name: "test."', `  stub-addr: 127.0.0.1@${signer.port}`,
      'stub-zone:', '  name: "roll.test."', `  stub-addr: 127.0.0.1@${signer.port}`, '',
    ].join('\n'));
    resolver = { host: '127.0.0.1', port };
    unbound = startProcess('/usr/sbin/unbound', ['-d', '-c', conf]);
    await waitForAnswer(resolver, 15_000);
  });
  after(async () => {
    await unbound?.stop();
    await signer?.stop();
    tmp?.remove();
    await db?.drop();
    await app?.close();
  });

  test('the signed child validates through unbound, and its DNSKEY and DS TTLs are the ones the waits assume', async () => {
    assert.deepEqual(await probe('www.roll.test.', 'A'), { rcode: 0, ad: true });
    const keys = await dig(signer, ['roll.test.', 'DNSKEY', '+dnssec']);
    assert.equal(keys.answer.filter((r) => r.type === 'DNSKEY').length, 2);
    for (const r of keys.answer) assert.ok(r.ttl <= TTL, `${r.type} TTL ${r.ttl}`);
    const ds = await dig(signer, ['roll.test.', 'DS']);
    assert.ok(ds.answer.every((r) => r.ttl <= TTL));
  });

  test('ZSK pre-publish rollover through the API: no validation gap', async () => {
    const [oldZsk] = (await call('GET', `${CHILD}/cryptokeys`)).filter((k: { keytype: string }) => k.keytype === 'zsk');
    let made = { id: 0 };
    const failures = await watched(async () => {
      made = await call('POST', `${CHILD}/cryptokeys`, { keytype: 'zsk', active: false, published: true, algorithm: 'ECDSAP256SHA256' });
      await sleep(WAIT);
      await call('PUT', `${CHILD}/cryptokeys/${made.id}`, { active: true });
      await call('PUT', `${CHILD}/cryptokeys/${oldZsk.id}`, { active: false });
      await sleep(WAIT);
      await call('DELETE', `${CHILD}/cryptokeys/${oldZsk.id}`);
      await sleep(WAIT);
    });
    assert.deepEqual(failures, []);
    const keys = await call('GET', `${CHILD}/cryptokeys`);
    assert.deepEqual(keys.map((k: { id: number; keytype: string }) => [k.id, k.keytype]), [[made.id, 'zsk'], [keys[1].id, 'ksk']]);
  });

  test('KSK double-signature rollover with the DS changed at the parent through the API: no validation gap', async () => {
    const [oldKsk] = (await call('GET', `${CHILD}/cryptokeys`)).filter((k: { keytype: string }) => k.keytype === 'ksk');
    const failures = await watched(async () => {
      const made = await call('POST', `${CHILD}/cryptokeys`, { keytype: 'ksk', active: false, published: true, algorithm: 'ECDSAP256SHA256' });
      await sleep(WAIT);
      await call('PUT', `${CHILD}/cryptokeys/${made.id}`, { active: true });
      const fresh = await call('GET', `${CHILD}/cryptokeys/${made.id}`);
      await replaceDs(fresh);
      await call('PUT', `${CHILD}/cryptokeys/${oldKsk.id}`, { active: false });
      await sleep(WAIT);
      await call('DELETE', `${CHILD}/cryptokeys/${oldKsk.id}`);
      await sleep(WAIT);
    });
    assert.deepEqual(failures, []);
    assert.deepEqual((await call('GET', `${CHILD}/cryptokeys`)).map((k: { keytype: string }) => k.keytype), ['zsk', 'ksk']);
  });

  test('denial set through the API validates: NXDOMAIN and NODATA with NSEC, then with NSEC3 (PUT nsec3param)', async () => {
    assert.deepEqual(await probe('nope.roll.test.', 'A'), { rcode: 3, ad: true });
    assert.deepEqual(await probe('www.roll.test.', 'TXT'), { rcode: 0, ad: true });
    await call('PUT', CHILD, { nsec3param: '1 0 0 -' });
    assert.equal((await call('GET', CHILD)).nsec3param, '1 0 0 -');
    let nsec3 = false;
    for (let t = 0; t < 50 && !nsec3; t++) {
      if (t) await sleep(100);
      nsec3 = (await dig(signer, ['nope3.roll.test.', 'A', '+dnssec'])).authority.some((r) => r.type === 'NSEC3');
    }
    assert.ok(nsec3, 'the signer answers with NSEC3 now');
    assert.deepEqual(await probe('nope3.roll.test.', 'A'), { rcode: 3, ad: true });
    assert.deepEqual(await probe('www.roll.test.', 'MX'), { rcode: 0, ad: true });
  });

  test('algorithm rollover (ECDSAP256SHA256 to ED25519, RFC 6781 §4.1.4) through the API, as deploy/README.md writes it: no validation gap', async () => {
    const old = await call('GET', `${CHILD}/cryptokeys`);
    const failures = await watched(async () => {
      // 1. New-algorithm KSK and ZSK, signing but not yet in DNSKEY: every RRset gets signatures of both
      //    algorithms before a validator sees the new algorithm (RFC 4035 §2.2).
      const ksk = await call('POST', `${CHILD}/cryptokeys`, { keytype: 'ksk', active: true, published: false, algorithm: 'ED25519' });
      const zsk = await call('POST', `${CHILD}/cryptokeys`, { keytype: 'zsk', active: true, published: false, algorithm: 'ED25519' });
      await sleep(WAIT);
      // 2. Publish them; then the DS at the parent moves to the new KSK.
      for (const k of [ksk, zsk]) await call('PUT', `${CHILD}/cryptokeys/${k.id}`, { active: true, published: true });
      await sleep(WAIT);
      await replaceDs(await call('GET', `${CHILD}/cryptokeys/${ksk.id}`));
      // 3. The old keys leave DNSKEY, still signing until caches have the new DNSKEY set; then they stop and go.
      for (const k of old) await call('PUT', `${CHILD}/cryptokeys/${k.id}`, { active: true, published: false });
      await sleep(WAIT);
      for (const k of old) await call('PUT', `${CHILD}/cryptokeys/${k.id}`, { active: false, published: false });
      await sleep(WAIT);
      for (const k of old) await call('DELETE', `${CHILD}/cryptokeys/${k.id}`);
      await sleep(WAIT);
    });
    assert.deepEqual(failures, []);
    const keys = await call('GET', `${CHILD}/cryptokeys`);
    assert.deepEqual(keys.map((k: { algorithm: string; active: boolean; published: boolean }) => [k.algorithm, k.active, k.published]), [['ED25519', true, true], ['ED25519', true, true]]);
    const sigs = (await dig(signer, ['www.roll.test.', 'A', '+dnssec'])).answer.filter((r) => r.type === 'RRSIG');
    assert.ok(sigs.length >= 1 && sigs.every((r) => r.data.split(/\s+/)[1] === '15'), `only ED25519 signatures now: ${sigs.map((r) => r.data).join(' | ')}`);
  });

  test('proof the probe can fail: switching ZSKs without pre-publishing the new one gives SERVFAIL', async () => {
    const [oldZsk] = (await call('GET', `${CHILD}/cryptokeys`)).filter((k: { keytype: string }) => k.keytype === 'zsk');
    const failures = await watched(async () => {
      await call('POST', `${CHILD}/cryptokeys`, { keytype: 'zsk', active: true, published: false, algorithm: 'ED25519' });
      await call('PUT', `${CHILD}/cryptokeys/${oldZsk.id}`, { active: false });
      await sleep(WAIT * 2);
    });
    assert.ok(failures.some((f) => f.includes('rcode 2')), `expected SERVFAIL, saw: ${failures.join('; ') || 'no failures'}`);
  });
});
