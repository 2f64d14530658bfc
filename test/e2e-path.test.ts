// The whole path, as deployed, on one machine: every host is a network
// namespace on one bridge (addresses only inside them). Two clients stand for
// two continents (ECS places them: 81.2.69.0/24 is in Europe, 8.8.8.0/24 in
// North America, in the bundled GeoLite2 City data); NS1 and NS2 each run
// geodns on their own private MariaDB, replicated with the deploy script;
// geoctl serves the zone API on NS1; two PoP relays forward TLS by SNI and DNS
// to the home entrance relay with PROXY v2; the entrance accepts PROXY only
// from the PoPs and forwards to the backend: nginx (Debian) terminating TLS
// behind `listen … ssl proxy_protocol` and logging $proxy_protocol_addr, and a
// geodns for DNS over UDP.
//   - each client gets its continent's PoP, and the backend logs its own address;
//   - a record changed through geoctl's API on NS1 is answered by NS2 within 2 s;
//   - a PoP relay stopped: its address is no longer handed out within one
//     ifportup check interval (+ its timeout) plus the TTL, and clients reach the other PoP;
//   - DNS over UDP through a PoP and the entrance; the entrance logs the client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '@geoedge/zonedb';
import { startPair, setupReplication, insertZone, createPdnsDb, type MariaDbInstance } from './helpers/zonedb.js';
import { REPO_ROOT, GEODNS_MAIN, tempDir } from './helpers/index.js';
import { createTestNet, netnsUnavailable, type TestNet, type HostProc } from './helpers/netns.js';

const RELAY_MAIN = join(REPO_ROOT, 'packages', 'relay', 'dist', 'main.js');
const GEOCTL_MAIN = join(REPO_ROOT, 'packages', 'control', 'dist', 'main.js');
const IP = {
  eu: '10.77.0.101', us: '10.77.0.102', ns1: '10.77.0.11', ns2: '10.77.0.12',
  popeu: '10.77.0.21', popus: '10.77.0.22', home: '10.77.0.31', back: '10.77.0.41',
};
const ECS = { eu: '81.2.69.0/24', us: '8.8.8.0/24' };
const API_KEY = `e2e-${Math.random().toString(36).slice(2, 12)}`;
const CHECK_INTERVAL_S = 1;
const CHECK_TIMEOUT_S = 1;
const WWW_TTL_S = 2;
// Each continent's PoP first, the other as the fallback group (PowerDNS ifportup
// groups: the first group with a live address wins).
const WWW_LUA = `A "ifportup(443, continent('EU') and {{'${IP.popeu}'},{'${IP.popus}'}} or {{'${IP.popus}'},{'${IP.popeu}'}}, {interval=${CHECK_INTERVAL_S}, timeout=${CHECK_TIMEOUT_S}})"`;

const skip = netnsUnavailable();
const tmp = tempDir('e2e');
let net: TestNet | undefined;
let primary: MariaDbInstance | undefined;
let replica: MariaDbInstance | undefined;
let db: Db | undefined;
const relays: Record<string, HostProc> = {};
let entrance: HostProc;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const socketUrl = (m: MariaDbInstance) => `mysql://root@localhost/pdns?socket=${join(m.dir, 'mysqld.sock')}`;

async function digShort(host: 'eu' | 'us', server: string, args: string[], tries = 1): Promise<string[]> {
  const r = await net!.run(host, ['dig', `@${server}`, '+short', '+time=1', `+tries=${tries}`, ...args], 10_000);
  return r.out.trim().split('\n').filter((l) => l && !l.startsWith(';'));
}

/** Polls until check() holds; returns the elapsed ms, throws with the last value after timeoutMs. */
async function until<T>(what: string, get: () => Promise<T>, check: (v: T) => boolean, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  let last: T | undefined;
  while (Date.now() - t0 <= timeoutMs) {
    last = await get();
    if (check(last)) return Date.now() - t0;
    await sleep(50);
  }
  throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
}

function relayConfig(name: string, cfg: unknown): string {
  const file = join(tmp.dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(cfg, null, 1));
  return file;
}

function startRelay(host: string, cfg: unknown): HostProc {
  const p = net!.spawn(host, [process.execPath, RELAY_MAIN, '--config', relayConfig(host, cfg)], { LOG_LEVEL: 'info' });
  relays[host] = p;
  return p;
}

const popConfig = {
  log_level: 'info',
  upstreams: {
    home: { servers: [`${IP.home}:8443`], proxy_protocol: 'v2' },
    homedns: { servers: [`${IP.home}:5353`], proxy_protocol: 'v2' },
  },
  listeners: [
    { name: 'https', listen: ['0.0.0.0:443'], routes: [{ match: { sni: ['www.example.org'] }, upstream: 'home' }, { close: true }] },
    { name: 'dns', protocol: 'udp', listen: ['0.0.0.0:53'], idle_timeout: '2s', routes: [{ upstream: 'homedns' }] },
  ],
};
const entranceConfig = {
  log_level: 'info',
  upstreams: {
    ingress: { servers: [`${IP.back}:443`], proxy_protocol: 'v2' },
    dns: { servers: [`${IP.back}:53`] },
  },
  listeners: [
    {
      name: 'from-pops', listen: ['0.0.0.0:8443'], proxy_protocol: { trusted: [`${IP.popeu}/32`, `${IP.popus}/32`] },
      routes: [{ match: { sni: ['www.example.org'] }, upstream: 'ingress' }, { close: true }],
    },
    { name: 'from-pops-dns', protocol: 'udp', listen: ['0.0.0.0:5353'], idle_timeout: '2s', proxy_protocol: { trusted: [`${IP.popeu}/32`, `${IP.popus}/32`] }, routes: [{ upstream: 'dns' }] },
  ],
};

function startBackend(): { nginx: HostProc; dns: HostProc; accessLog: string } {
  const dir = join(tmp.dir, 'nginx');
  mkdirSync(join(dir, 'logs'), { recursive: true });
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=www.example.org',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const accessLog = join(dir, 'access.log');
  writeFileSync(join(dir, 'nginx.conf'), `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 256; }
http {
  log_format pp '$proxy_protocol_addr $ssl_server_name';
  access_log ${accessLog} pp;
  server {
    listen ${IP.back}:443 ssl proxy_protocol;
    ssl_certificate ${dir}/cert.pem; ssl_certificate_key ${dir}/key.pem;
    location / { return 200 "hello $proxy_protocol_addr\\n"; }
  }
}`);
  const nginx = net!.spawn('back', ['nginx', '-p', dir, '-c', join(dir, 'nginx.conf')]);
  const zones = join(tmp.dir, 'backzones');
  mkdirSync(zones);
  writeFileSync(join(zones, 'svc.test.zone'), '$TTL 60\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.53\n@ TXT "backend-dns"\n');
  const dns = net!.spawn('back', [process.execPath, GEODNS_MAIN, '--zones', zones, '--listen', `${IP.back}:53`], { LOG_LEVEL: 'info' });
  return { nginx, dns, accessLog };
}

async function curlThrough(client: 'eu' | 'us', pop: string): Promise<string> {
  const r = await net!.run(client, ['curl', '-sk', '--max-time', '5', '--resolve', `www.example.org:443:${pop}`, 'https://www.example.org/'], 10_000);
  return r.out.trim();
}

let backend: ReturnType<typeof startBackend>;

before(async () => {
  if (skip) return;
  net = createTestNet(`e2e${process.pid % 10000}`, IP);
  ({ primary, replica } = await startPair());
  db = await createPdnsDb(primary);
  const z = await insertZone(db, 'example.org', [
    { name: 'example.org', type: 'SOA', content: 'ns1.example.org hostmaster.example.org 1 3600 600 86400 2' },
    { name: 'example.org', type: 'NS', content: 'ns1.example.org' },
    { name: 'example.org', type: 'NS', content: 'ns2.example.org' },
    { name: 'ns1.example.org', type: 'A', content: IP.ns1 },
    { name: 'ns2.example.org', type: 'A', content: IP.ns2 },
    { name: 'www.example.org', type: 'LUA', content: WWW_LUA, ttl: WWW_TTL_S },
    { name: 'edit.example.org', type: 'A', content: '192.0.2.1', ttl: 2 },
  ]);
  await db.execute("INSERT INTO domainmetadata (domain_id, kind, content) VALUES (?, 'ENABLE-LUA-RECORDS', '1'), (?, 'SOA-EDIT-API', 'DEFAULT')", [z.domainId, z.domainId]);
  const setup = await setupReplication(primary, replica, { password: `repl-${API_KEY}`, databases: ['pdns'] });
  assert.equal(setup.code, 0, setup.stdout + setup.stderr);

  // NS1 and NS2 reach their own database over its unix socket (a file: it crosses namespaces).
  const geodns = (host: 'ns1' | 'ns2', m: MariaDbInstance) => net!.spawn(host, [process.execPath, GEODNS_MAIN,
    '--db', socketUrl(m), '--db-cache', join(tmp.dir, `${host}.jsonl`), '--listen', `${IP[host]}:53`], { LOG_LEVEL: 'info' });
  const ns = [geodns('ns1', primary), geodns('ns2', replica)];
  const geoctl = net.spawn('ns1', [process.execPath, GEOCTL_MAIN, 'serve', '--db', socketUrl(primary), '--listen', `${IP.ns1}:8081`, '--geodns-address', `${IP.ns1}:53`],
    { LOG_LEVEL: 'info', GEOCTL_API_KEY: API_KEY });
  backend = startBackend();
  entrance = startRelay('home', entranceConfig);
  startRelay('popeu', popConfig);
  startRelay('popus', popConfig);
  await Promise.all([...[...ns, backend.dns].map((p) => p.waitFor(/geodns ready/, 30_000)), ...Object.values(relays).map((p) => p.waitFor(/relay listening/))]);
  await until('geoctl up', () => net!.run('ns1', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${IP.ns1}:8081/api/v1/servers/localhost`, '-H', `X-API-Key: ${API_KEY}`]), (r) => r.out === '200', 15_000);
  await until('nginx up', () => net!.run('back', ['bash', '-c', `exec 3<>/dev/tcp/${IP.back}/443`]), (r) => r.code === 0, 10_000);
  void geoctl;
});

after(async () => {
  net?.destroy();
  await db?.close().catch(() => {});
  await Promise.all([primary?.clean(), replica?.clean()]);
  tmp.remove();
});

test('each client gets its continent\'s PoP from its nameserver; TLS by SNI through PoP and entrance; the backend logs the client\'s own address', { skip }, async () => {
  // ifportup answers from background checks: the first queries start them.
  await until('EU client via NS1', () => digShort('eu', IP.ns1, ['www.example.org', 'A', `+subnet=${ECS.eu}`]), (a) => a.join() === IP.popeu, 15_000);
  await until('US client via NS2', () => digShort('us', IP.ns2, ['www.example.org', 'A', `+subnet=${ECS.us}`]), (a) => a.join() === IP.popus, 15_000);
  // Both nameservers agree (NS2 serves the replica's copy) once each has its own
  // ifportup results for every PoP: a check not done yet counts as down, so wait.
  await until('EU client via NS2', () => digShort('eu', IP.ns2, ['www.example.org', 'A', `+subnet=${ECS.eu}`]), (a) => a.join() === IP.popeu, 15_000);
  await until('US client via NS1', () => digShort('us', IP.ns1, ['www.example.org', 'A', `+subnet=${ECS.us}`]), (a) => a.join() === IP.popus, 15_000);

  assert.equal(await curlThrough('eu', IP.popeu), `hello ${IP.eu}`);
  assert.equal(await curlThrough('us', IP.popus), `hello ${IP.us}`);
  const log = readFileSync(backend.accessLog, 'utf8');
  assert.match(log, new RegExp(`^${IP.eu.replaceAll('.', '\\.')} www\\.example\\.org$`, 'm'));
  assert.match(log, new RegExp(`^${IP.us.replaceAll('.', '\\.')} www\\.example\\.org$`, 'm'));
  assert.doesNotMatch(log, /10\.77\.0\.(21|22|31) /, 'never a relay\'s address');
  // The entrance saw the PoP as the peer and the client in its PROXY header.
  await until('entrance access log', async () => entrance.output(), (o) => o.includes(`"proxied_client":"${IP.eu}:`), 5000);
});

test('a record changed through geoctl\'s API on NS1 is answered by NS2 within 2 s', { skip }, async () => {
  const body = JSON.stringify({ rrsets: [{ name: 'edit.example.org.', type: 'A', ttl: 2, changetype: 'REPLACE', records: [{ content: '192.0.2.77', disabled: false }] }] });
  const t0 = Date.now();
  const r = await net!.run('ns1', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PATCH', '-H', `X-API-Key: ${API_KEY}`, '-H', 'Content-Type: application/json',
    '--data', body, `http://${IP.ns1}:8081/api/v1/servers/localhost/zones/example.org.`]);
  assert.equal(r.out, '204', r.out);
  await until('NS2 answers the edit', () => digShort('us', IP.ns2, ['edit.example.org', 'A']), (a) => a.join() === '192.0.2.77', 2000 - (Date.now() - t0));
});

test('DNS over UDP through a PoP and the entrance to the backend; the entrance logs each client', { skip }, async () => {
  // Up to 3 tries, as a stub resolver would (on a loaded machine a datagram may wait out a second).
  assert.deepEqual(await digShort('eu', IP.popeu, ['svc.test', 'TXT'], 3), ['"backend-dns"']);
  assert.deepEqual(await digShort('us', IP.popus, ['svc.test', 'TXT'], 3), ['"backend-dns"']);
  // UDP sessions are logged when they end (idle_timeout 2 s).
  await until('entrance UDP session lines', async () => entrance.output(), (o) => o.includes(`"protocol":"udp"`) && o.includes(`"proxied_client":"${IP.us}:`), 8000);
});

test('a PoP relay stopped: the nameservers stop handing it out within one check interval, and the client reaches the other PoP', { skip }, async () => {
  relays.popeu!.kill();
  const gone = (a: string[]) => a.length > 0 && !a.includes(IP.popeu);
  const t1 = await until('NS1 drops the dead PoP', () => digShort('eu', IP.ns1, ['www.example.org', 'A', `+subnet=${ECS.eu}`]), gone, 10_000);
  const t2 = await until('NS2 drops the dead PoP', () => digShort('eu', IP.ns2, ['www.example.org', 'A', `+subnet=${ECS.eu}`]), gone, 10_000);
  // What a client sees: one check interval (plus the failing check's timeout) at
  // the nameserver, then at most the record's TTL in its resolver's cache.
  const bound = (CHECK_INTERVAL_S + CHECK_TIMEOUT_S + WWW_TTL_S) * 1000;
  assert.ok(t1 <= bound && t2 <= bound, `answers changed after ${t1} / ${t2} ms (bound ${bound} ms)`);
  assert.deepEqual(await digShort('eu', IP.ns1, ['www.example.org', 'A', `+subnet=${ECS.eu}`]), [IP.popus]);
  assert.equal(await curlThrough('eu', IP.popus), `hello ${IP.eu}`, 'the European client now reaches the backend through the American PoP');
});
