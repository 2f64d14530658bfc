// geoctl as a process: `geoip update` against a loopback server speaking
// MaxMind's protocol, `serve` on a real socket, `migrate` on the run's MariaDB,
// and exit codes for bad configuration.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { sharedMariaDb } from '@geoedge/zonedb/testing';
import { REPO_ROOT, tempDir, freePort, startProcess } from './helpers/index.js';
import { startFakeMaxmind, ACCOUNT_ID, LICENSE_KEY, md5hex, type FakeMaxmind } from '@geoedge/control/testing';

const GEOCTL = join(REPO_ROOT, 'packages', 'control', 'dist', 'main.js');
const CITY = readFileSync(join(REPO_ROOT, 'packages', 'control', 'src', 'jobs', 'testdata', 'GeoLite2-City-Test.mmdb'));
const API_KEY = 'geoctl-process-test-key-9f3a';

function geoctl(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GEOIPUPDATE_') && k !== 'GEOCTL_API_KEY'));
    const child = spawn(process.execPath, [GEOCTL, ...args], { env: { ...clean, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const fakes: FakeMaxmind[] = [];
const dirs: Array<{ remove: () => void }> = [];
after(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  dirs.forEach((d) => d.remove());
});

async function geoipSetup() {
  const fake = await startFakeMaxmind({ 'GeoLite2-City': { mmdb: CITY, date: '2024-05-03' } });
  fakes.push(fake);
  const t = tempDir('geoctl');
  dirs.push(t);
  const conf = join(t.dir, 'GeoIP.conf');
  writeFileSync(conf, `# as geoipupdate reads it\nAccountID ${ACCOUNT_ID}\nLicenseKey ${LICENSE_KEY}\nEditionIDs GeoLite2-City\nHost ${fake.url}\nRetryFor 0\n`);
  const db = join(t.dir, 'db');
  return { fake, dir: t.dir, conf, db };
}

test('geoctl geoip update: installs, then finds it current; the exit code tells', async () => {
  const { fake, conf, db } = await geoipSetup();
  const first = await geoctl(['geoip', 'update', '--geoip-conf', conf, '--geoip-dir', db]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, `GeoLite2-City: updated (md5 ${md5hex(CITY)}, released 2024-05-03)\n`);
  assert.deepEqual(readFileSync(join(db, 'GeoLite2-City.mmdb')), CITY);
  const second = await geoctl(['geoip', 'update', '--geoip-conf', conf, '--geoip-dir', db]);
  assert.equal(second.code, 0);
  assert.match(second.stdout, /^GeoLite2-City: unchanged/);
  assert.equal(fake.downloads(), 1);
});

test('geoctl geoip update: a wrong license key fails with exit 1 and does not print the key', async () => {
  const { conf, db } = await geoipSetup();
  const r = await geoctl(['geoip', 'update', '--geoip-conf', conf, '--geoip-dir', db], { GEOIPUPDATE_LICENSE_KEY: 'WrongKeyFromEnv123' });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /GeoLite2-City: error \(ERR_GEOIP_HTTP_401: server answered 401 \(check AccountID and LicenseKey\)/);
  assert.ok(!`${r.stdout}${r.stderr}`.includes('WrongKeyFromEnv123'));
  assert.ok(!existsSync(join(db, 'GeoLite2-City.mmdb')));
});

test('geoctl geoip update: a broken GeoIP.conf is exit 2 naming line and key', async () => {
  const { dir } = await geoipSetup();
  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, 'AccountID 1\nLicenseKey k\nEditionIDs GeoLite2-City\nRetryFor forever\n');
  const r = await geoctl(['geoip', 'update', '--geoip-conf', bad]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.conf:4: RetryFor: "forever" is not a valid duration/);
});

test('geoctl serve: the API on a socket, key required, manual GeoIP update, clean SIGTERM', async () => {
  const { conf, db } = await geoipSetup();
  const port = await freePort();
  const cfg = join(db, '..', 'geoctl.yaml');
  writeFileSync(cfg, `listen: 127.0.0.1:${port}\ngeoip:\n  conf: ${conf}\n  dir: ${db}\n`);
  const p = startProcess(process.execPath, [GEOCTL, 'serve', '--config', cfg], { env: { ...process.env, LOG_LEVEL: 'info', GEOCTL_API_KEY: API_KEY } });
  try {
    await p.waitForLine(/Server listening/, 10_000);
    const base = `http://127.0.0.1:${port}`;
    const anon = await fetch(`${base}/api/v1/servers/localhost`);
    assert.equal(anon.status, 401);
    assert.deepEqual(await anon.json(), { error: 'Unauthorized' });
    const s = await fetch(`${base}/api/v1/servers/localhost`, { headers: { 'X-API-Key': API_KEY } });
    assert.equal(s.status, 200);
    assert.equal(((await s.json()) as { daemon_type: string }).daemon_type, 'authoritative');
    const up = await fetch(`${base}/api/v1/geoip/update`, { method: 'POST', headers: { 'X-API-Key': API_KEY } });
    assert.equal(up.status, 200);
    assert.equal(((await up.json()) as { editions: Array<{ result: string }> }).editions[0]!.result, 'updated');
    const st = (await (await fetch(`${base}/api/v1/geoip/status`, { headers: { 'X-API-Key': API_KEY } })).json()) as { editions: Array<{ md5: string }>; schedule: string; next_run: string };
    assert.equal(st.editions[0]!.md5, md5hex(CITY));
    assert.equal(st.schedule, '17 5 * * 3,6');
    assert.ok(Date.parse(st.next_run) > Date.now(), 'the scheduler has a next run');
    // A route that reads its body refuses a malformed one; geoip/update takes none and ignores it.
    const bad = await fetch(`${base}/api/v1/lua/check`, { method: 'POST', headers: { 'X-API-Key': API_KEY, 'content-type': 'application/json' }, body: '{"oops' });
    assert.equal(bad.status, 400);
    const stray = await fetch(`${base}/api/v1/geoip/update`, { method: 'POST', headers: { 'X-API-Key': API_KEY, 'content-type': 'application/json' }, body: '' });
    assert.equal(stray.status, 200);
    assert.equal(((await stray.json()) as { editions: Array<{ result: string }> }).editions[0]!.result, 'unchanged');
    const exit = await p.stop(5000);
    assert.equal(exit.code, 0);
    const logs = [...p.stdout, ...p.stderr].join('\n');
    assert.match(logs, /api auth failed/);
    assert.ok(!logs.includes(API_KEY), 'the key is never logged');
  } finally {
    if (p.alive()) await p.stop(1000);
  }
});

test('geoctl serve: bad config is exit 2 naming the key; --help documents the flags', async () => {
  const r = await geoctl(['serve', '--listen', 'localhost', '--api-key', 'sha256:xyz']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /\/listen: must be host:port/);
  assert.match(r.stderr, /\/apiKey: sha256: must be followed by 64 hex digits/);
  const h = await geoctl(['--help']);
  assert.equal(h.code, 0);
  for (const flag of ['--config', '--listen', '--db', '--api-key', '--geoip-dir', '--geoip-conf', 'geoip update', 'migrate']) assert.ok(h.stdout.includes(flag), flag);
  const unknown = await geoctl(['frobnicate']);
  assert.equal(unknown.code, 2);
});

test('geoctl migrate: creates the PowerDNS schema on MariaDB, then finds it current', async () => {
  const name = `geoctl_migrate_${process.pid}`;
  const server = await sharedMariaDb();
  const admin = (sql: string) => new Promise<number | null>((resolve) => spawn('mysql', ['--no-defaults', '-uroot', `-h${server.host}`, `-P${server.port}`, '-e', sql], { stdio: 'ignore' }).on('close', resolve));
  if ((await admin(`CREATE DATABASE ${name}`)) !== 0) assert.fail(`cannot create a database on the run's MariaDB (${server.url})`);
  try {
    const url = `${server.url}/${name}`;
    const first = await geoctl(['migrate', '--db', url]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^schema created \(version \d+; created domains, records/);
    const second = await geoctl(['migrate', '--db', url]);
    assert.equal(second.code, 0);
    assert.match(second.stdout, /^schema current/);
    const gone = await geoctl(['migrate', '--db', `${server.url}/${name}_absent`]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /ERR_DB_UNKNOWN_DATABASE/);
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name}`);
  }
});

test('geoctl geoip update over https through an HTTP proxy (CONNECT): the proxy never sees the credentials', async () => {
  const { fake, dir, db } = await geoipSetup();
  const testdata = join(REPO_ROOT, 'packages', 'control', 'src', 'jobs', 'testdata');
  // A TLS front for the fake MaxMind API, named "localhost" as its certificate says.
  const front = createHttpsServer({ key: readFileSync(join(testdata, 'tls-localhost.key')), cert: readFileSync(join(testdata, 'tls-localhost.crt')) }, (req, res) => {
    const up = httpRequest(`${fake.url}${req.url}`, { headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    up.end();
  });
  const seen: string[] = [];
  const proxy = createHttpServer((req, res) => {
    // Plain http targets (the storage redirect) come as absolute URIs.
    seen.push(`GET ${req.url} ${req.headers.authorization ?? ''}`);
    httpRequest(req.url!, { headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    }).on('error', () => res.destroy()).end();
  });
  const tunnels = new Set<{ destroy(): void }>();
  proxy.on('connect', (req, sock, head) => {
    seen.push(`CONNECT ${req.url}`);
    tunnels.add(sock);
    const [host, port] = (req.url ?? '').split(':');
    const up = netConnect(Number(port), host === 'localhost' ? '127.0.0.1' : host!, () => {
      sock.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(sock);
      sock.pipe(up);
    });
    tunnels.add(up);
    up.on('error', () => sock.destroy());
    sock.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  try {
    const conf = join(dir, 'tls.conf');
    writeFileSync(conf, `AccountID ${ACCOUNT_ID}\nLicenseKey ${LICENSE_KEY}\nEditionIDs GeoLite2-City\nHost localhost:${(front.address() as AddressInfo).port}\nProxy 127.0.0.1:${(proxy.address() as AddressInfo).port}\nRetryFor 0\n`);
    const r = await geoctl(['geoip', 'update', '--geoip-conf', conf, '--geoip-dir', db], { NODE_EXTRA_CA_CERTS: join(testdata, 'tls-localhost.crt') });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /GeoLite2-City: updated/);
    assert.equal(seen.filter((l) => l.startsWith('CONNECT localhost:')).length, 2, seen.join('\n'));
    assert.ok(seen.some((l) => l.startsWith('GET http://127.0.0.1:') && l.endsWith(' ')), 'the storage download went through the proxy, without credentials');
    assert.ok(!seen.join('\n').includes('Basic'), 'credentials only travel inside TLS');
  } finally {
    // Tunnelled sockets are detached from the servers; end them here or close() waits on them.
    for (const t of tunnels) t.destroy();
    front.closeAllConnections();
    proxy.closeAllConnections();
    await new Promise((r) => front.close(r));
    await new Promise((r) => proxy.close(r));
  }
});

test('geoctl serve runs the update on its schedule', async () => {
  const { conf, db } = await geoipSetup();
  const port = await freePort();
  const cfg = join(db, '..', 'every-second.yaml');
  writeFileSync(cfg, `listen: 127.0.0.1:${port}\ngeoip:\n  conf: ${conf}\n  dir: ${db}\n  schedule: "* * * * * *"\n`);
  const p = startProcess(process.execPath, [GEOCTL, 'serve', '--config', cfg], { env: { ...process.env, LOG_LEVEL: 'info', GEOCTL_API_KEY: API_KEY } });
  try {
    await p.waitForLine(/geoip database updated/, 10_000);
    assert.deepEqual(readFileSync(join(db, 'GeoLite2-City.mmdb')), CITY);
    await p.waitForLine(/geoip database up to date/, 10_000);
  } finally {
    await p.stop(5000);
  }
});

test('--check: ok for a good config; a bad GeoIP.conf (file or GEOIPUPDATE_* variables), migrate without --db, a bad key: exit 2 naming it; nothing started', async () => {
  const d = tempDir('geoctl-check');
  dirs.push(d);
  const good = await geoctl(['serve', '--check', '--config', join(REPO_ROOT, 'deploy', 'geoctl', 'ns1.yaml'), '--geoip-conf', join(REPO_ROOT, 'deploy', 'geoctl', 'GeoIP.conf')]);
  assert.equal(good.code, 0, good.stderr);
  assert.equal(good.stdout, 'geoctl: config ok\n');
  const bare = await geoctl(['serve', '--check']);
  assert.equal(bare.code, 0, 'serve without a GeoIP.conf runs with updates off, so the check passes');
  writeFileSync(join(d.dir, 'GeoIP.conf'), 'AccountID not-a-number\nLicenseKey x\nEditionIDs GeoLite2-City\n');
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['serve', '--check', '--geoip-conf', join(d.dir, 'GeoIP.conf')], {}, /geoip: .*AccountID/],
    [['serve', '--check', '--geoip-conf', join(d.dir, 'missing.conf')], {}, /geoip: .*missing\.conf/],
    [['serve', '--check'], { GEOIPUPDATE_ACCOUNT_ID: 'x1', GEOIPUPDATE_LICENSE_KEY: 'k', GEOIPUPDATE_EDITION_IDS: 'GeoLite2-City' }, /geoip: .*ACCOUNT_ID|geoip: .*AccountID/],
    [['geoip', 'update', '--check'], {}, /geoip: no GeoIP\.conf given/],
    [['migrate', '--check'], {}, /\/db: required for migrate/],
    [['serve', '--check', '--listen', 'nowhere'], {}, /\/listen/],
  ];
  for (const [args, env, names] of cases) {
    const r = await geoctl(args, env);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, names, args.join(' '));
    assert.doesNotMatch(r.stdout, /config ok/);
  }
});
