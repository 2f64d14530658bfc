// Whole-update tests against a loopback server speaking MaxMind's protocol.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createServer, get as httpGet } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@geoedge/shared';
import { createGeoipUpdater, type RunOutcome } from './geoip-update.js';
import type { GeoipConf } from './geoip-conf.js';
import { startFakeMaxmind, md5hex, ACCOUNT_ID, LICENSE_KEY, type FakeMaxmind } from './testing/fake-maxmind.js';

const TESTDATA = new URL('../../src/jobs/testdata/', import.meta.url).pathname;
const fixture = (name: string) => readFileSync(join(TESTDATA, name));
const CITY = fixture('GeoLite2-City-Test.mmdb');
const COUNTRY = fixture('GeoLite2-Country-Test.mmdb');
const ASN = fixture('GeoLite2-ASN-Test.mmdb');
const BROKEN = fixture('GeoIP2-City-Test-Invalid-Node-Count.mmdb');
const log = createLogger({ name: 'test', level: 'silent' });

const fakes: FakeMaxmind[] = [];
after(() => Promise.all(fakes.map((f) => f.close())));

async function setup(editions: Record<string, { mmdb: Buffer; date?: string }> = { 'GeoLite2-City': { mmdb: CITY } }) {
  const fake = await startFakeMaxmind(Object.fromEntries(Object.entries(editions).map(([k, v]) => [k, { mmdb: v.mmdb, date: v.date ?? '2024-05-03' }])));
  fakes.push(fake);
  const dir = mkdtempSync(join(tmpdir(), 'geoip-up-'));
  const conf = (over: Partial<GeoipConf> = {}): GeoipConf => ({
    accountId: ACCOUNT_ID,
    licenseKey: LICENSE_KEY,
    editionIds: Object.keys(editions),
    databaseDirectory: dir,
    url: fake.url,
    preserveFileTimes: false,
    lockFile: join(dir, '.geoipupdate.lock'),
    retryForMs: 0,
    parallelism: 1,
    verbose: false,
    ...over,
  });
  const updater = (over: Partial<GeoipConf> = {}, timeoutMs = 5000, deadlineMs?: number) =>
    createGeoipUpdater(conf(over), { log, initialBackoffMs: 10, timeoutMs, ...(deadlineMs ? { deadlineMs } : {}) });
  return { fake, dir, conf, updater };
}

function outcome(r: RunOutcome, i = 0) {
  assert.equal(r.kind, 'done');
  return r.kind === 'done' ? r.editions[i]! : assert.fail('not done');
}

const onlyDb = (dir: string) => readdirSync(dir).filter((f) => !f.startsWith('.'));

test('downloads, verifies and installs a new edition, speaking the protocol exactly', async () => {
  const { fake, dir, updater } = await setup();
  const r = await updater().run();
  const o = outcome(r);
  assert.equal(o.kind, 'updated', JSON.stringify(o));
  assert.ok(r.kind === 'done' && r.ok);
  assert.deepEqual(readFileSync(join(dir, 'GeoLite2-City.mmdb')), CITY);
  assert.deepEqual(onlyDb(dir), ['GeoLite2-City.mmdb'], 'no temporary file left behind');
  assert.ok(!existsSync(join(dir, '.geoipupdate.lock')), 'lock released');
  const [meta, dl, file] = fake.requests;
  assert.equal(meta!.path, '/geoip/updates/metadata?edition_id=GeoLite2-City');
  assert.equal(meta!.authorization, `Basic ${Buffer.from(`${ACCOUNT_ID}:${LICENSE_KEY}`).toString('base64')}`);
  assert.match(meta!.userAgent ?? '', /^geoipupdate\//);
  assert.equal(dl!.path, '/geoip/databases/GeoLite2-City/download?date=20240503&suffix=tar.gz');
  assert.equal(file!.server, 'storage');
  assert.equal(file!.authorization, undefined, 'credentials are not sent to the redirect target on another origin');
});

test('a second run compares MD5s and does not download again; a new release is fetched', async () => {
  const { fake, dir, updater } = await setup();
  assert.equal(outcome(await updater().run()).kind, 'updated');
  assert.equal(fake.downloads(), 1);
  const second = outcome(await updater().run());
  assert.deepEqual(second, { kind: 'unchanged', editionId: 'GeoLite2-City', md5: md5hex(CITY), date: '2024-05-03' });
  assert.equal(fake.downloads(), 1, 'unchanged MD5 means no download');
  fake.editions.set('GeoLite2-City', { mmdb: COUNTRY, date: '2024-05-07' });
  const third = outcome(await updater().run());
  assert.equal(third.kind, 'updated');
  assert.equal(fake.downloads(), 2);
  assert.deepEqual(readFileSync(join(dir, 'GeoLite2-City.mmdb')), COUNTRY);
});

/** Installs CITY, then makes the server offer COUNTRY in the given broken way. */
async function brokenRelease(mode: 'garbage' | 'truncated' | 'truncated-tar' | 'md5-mismatch', over: Partial<GeoipConf> = {}) {
  const s = await setup();
  copyFileSync(join(TESTDATA, 'GeoLite2-City-Test.mmdb'), join(s.dir, 'GeoLite2-City.mmdb'));
  s.fake.editions.set('GeoLite2-City', { mmdb: COUNTRY, date: '2024-05-07', mode });
  const o = outcome(await s.updater(over).run());
  assert.deepEqual(readFileSync(join(s.dir, 'GeoLite2-City.mmdb')), CITY, 'the installed database is untouched');
  assert.deepEqual(onlyDb(s.dir), ['GeoLite2-City.mmdb'], 'no temporary file left behind');
  return { ...s, o };
}

test('a garbage download never replaces the installed database', async () => {
  const { o } = await brokenRelease('garbage');
  assert.equal(o.kind, 'error');
  if (o.kind === 'error') {
    assert.equal(o.code, 'ERR_GEOIP_ARCHIVE');
    assert.match(o.message, /not a valid tar\.gz/);
  }
});

test('a connection that dies mid-download leaves the old file intact', async () => {
  const { o } = await brokenRelease('truncated');
  assert.equal(o.kind === 'error' && o.code, 'ERR_GEOIP_ARCHIVE');
});

test('a truncated tar inside a valid gzip is detected', async () => {
  const { o } = await brokenRelease('truncated-tar');
  assert.equal(o.kind, 'error');
  if (o.kind === 'error') assert.match(o.message, /archive is truncated \(inside GeoLite2-City_20240503\/GeoLite2-City\.mmdb\)/);
});

test('an MD5 mismatch is refused', async () => {
  const { o } = await brokenRelease('md5-mismatch');
  assert.equal(o.kind, 'error');
  if (o.kind === 'error') {
    assert.equal(o.code, 'ERR_GEOIP_MD5');
    assert.match(o.message, /does not match the server's/);
  }
});

test('transient archive failures are retried within RetryFor, then reported', async () => {
  const { fake, o } = await brokenRelease('garbage', { retryForMs: 300 });
  assert.equal(o.kind, 'error');
  assert.ok(fake.downloads() >= 2, `retried (downloads: ${fake.downloads()})`);
});

test('a download whose MD5 matches but is not a usable mmdb is refused without retrying', async () => {
  const { fake, dir, updater } = await setup();
  copyFileSync(join(TESTDATA, 'GeoLite2-City-Test.mmdb'), join(dir, 'GeoLite2-City.mmdb'));
  fake.editions.set('GeoLite2-City', { mmdb: BROKEN, date: '2024-05-07' });
  const o = outcome(await updater({ retryForMs: 10_000 }).run());
  assert.equal(o.kind, 'error');
  if (o.kind === 'error') {
    assert.equal(o.code, 'ERR_GEOIP_CORRUPT');
    assert.match(o.message, /unusable: corrupt MaxMind DB: search tree \(100000 nodes\) does not fit in the file/);
  }
  assert.equal(fake.downloads(), 1, 'a permanent problem is not retried');
  assert.deepEqual(readFileSync(join(dir, 'GeoLite2-City.mmdb')), CITY);
  assert.deepEqual(onlyDb(dir), ['GeoLite2-City.mmdb']);
});

test('429 then 200: the update retries with backoff and succeeds', async () => {
  const { fake, updater } = await setup();
  fake.metadataFaults.push({ status: 429, body: '{"code":"TOO_MANY_REQUESTS"}' }, { status: 503 });
  fake.downloadFaults.push({ status: 500 });
  const o = outcome(await updater({ retryForMs: 10_000 }).run());
  assert.equal(o.kind, 'updated', JSON.stringify(o));
  assert.equal(fake.requests.filter((r) => r.path.startsWith('/geoip/updates/metadata')).length, 4);
});

test('408/5xx retries stop when RetryFor is spent', async () => {
  const { fake, updater } = await setup();
  for (let i = 0; i < 100; i++) fake.metadataFaults.push({ status: i % 2 ? 408 : 502 });
  const o = outcome(await updater({ retryForMs: 150 }).run());
  assert.equal(o.kind, 'error');
  const tries = fake.requests.length;
  assert.ok(tries >= 2 && tries < 100, `tries: ${tries}`);
});

test('401 fails at once with a hint, without retrying', async () => {
  const { fake, dir, updater } = await setup();
  const o = outcome(await updater({ licenseKey: 'wrong', retryForMs: 10_000 }).run());
  assert.equal(o.kind, 'error');
  if (o.kind === 'error') {
    assert.equal(o.code, 'ERR_GEOIP_HTTP_401');
    assert.match(o.message, /check AccountID and LicenseKey/);
    assert.ok(!o.message.includes('wrong'), 'the license key is not repeated in the error');
  }
  assert.equal(fake.requests.length, 1);
  assert.deepEqual(onlyDb(dir), []);
});

test('other 4xx answers are permanent too', async () => {
  const { fake, updater } = await setup();
  const o = outcome(await updater({ editionIds: ['GeoIP2-Enterprise'], retryForMs: 10_000 }).run());
  assert.equal(o.kind === 'error' && o.code, 'ERR_GEOIP_HTTP_400');
  assert.equal(fake.requests.length, 1);
});

test('garbage metadata is a protocol error', async () => {
  const { fake, updater } = await setup();
  fake.metadataFaults.push({ status: 200, body: '<html>maintenance</html>' });
  const o = outcome(await updater().run());
  assert.equal(o.kind === 'error' && o.code, 'ERR_GEOIP_PROTOCOL');
  fake.metadataFaults.push({ status: 200, body: '{"databases":[{"edition_id":"GeoLite2-City","md5":"zz","date":"2024-05-03"}]}' });
  const bad = outcome(await updater().run());
  assert.match(bad.kind === 'error' ? bad.message : '', /is not an MD5/);
});

test('a legacy 304 from the download means the database is current', async () => {
  const { fake, dir, updater } = await setup();
  fake.editions.set('GeoLite2-City', { mmdb: CITY, date: '2024-05-03', mode: 'not-modified' });
  const o = outcome(await updater().run());
  assert.equal(o.kind, 'unchanged');
  assert.deepEqual(onlyDb(dir), []);
});

test('a stalled download times out instead of hanging', async () => {
  const { fake, dir, updater } = await setup();
  fake.editions.set('GeoLite2-City', { mmdb: CITY, date: '2024-05-03', mode: 'stall' });
  const o = outcome(await updater({}, 300).run());
  assert.equal(o.kind, 'error');
  assert.deepEqual(onlyDb(dir), []);
});

test('a download that trickles (never idle) ends at the edition deadline and frees the lock', { timeout: 60_000 }, async () => {
  const { fake, dir, updater } = await setup();
  // One byte every 100 ms: the 300 ms idle timeout never fires, the body would take minutes.
  fake.editions.set('GeoLite2-City', { mmdb: CITY, date: '2024-05-03', mode: 'trickle', trickleMs: 100 });
  const started = Date.now();
  // RetryFor 60 s: the deadline also ends the retries, not only the attempt in flight.
  const o = outcome(await updater({ retryForMs: 60_000 }, 300, 1500).run());
  const took = Date.now() - started;
  assert.equal(o.kind, 'error');
  if (o.kind === 'error') {
    assert.equal(o.code, 'ERR_GEOIP_DEADLINE');
    assert.match(o.message, /1500 ms/);
  }
  assert.ok(took >= 1400 && took < 10_000, `ended after ${took} ms`);
  assert.deepEqual(onlyDb(dir), [], 'no temporary file left');
  fake.editions.set('GeoLite2-City', { mmdb: CITY, date: '2024-05-03' });
  assert.equal(outcome(await updater().run()).kind, 'updated', 'the lock was released');
});

test('two runs never overlap: the lock file turns the second one away', async () => {
  const { fake, dir, updater } = await setup();
  let open!: () => void;
  fake.metadataGate = new Promise<void>((r) => (open = r));
  const first = updater().run();
  while (!fake.requests.length) await new Promise((r) => setTimeout(r, 5));
  assert.equal(readFileSync(join(dir, '.geoipupdate.lock'), 'utf8').trim(), String(process.pid));
  const second = await updater().run();
  assert.equal(second.kind, 'busy');
  if (second.kind === 'busy') assert.match(second.message, /another update is running/);
  open();
  assert.equal(outcome(await first).kind, 'updated');
  assert.equal(fake.requests.filter((r) => r.path.startsWith('/geoip/updates')).length, 1, 'the refused run asked nothing');
  assert.equal(outcome(await updater().run()).kind, 'unchanged', 'the lock is free again afterwards');
});

test('a lock left by a crashed run (dead pid) is taken over', async () => {
  const { dir, updater } = await setup();
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  writeFileSync(join(dir, '.geoipupdate.lock'), `${dead}\n`);
  assert.equal(outcome(await updater().run()).kind, 'updated');
});

test('Parallelism editions are fetched at once', async () => {
  const { fake, updater } = await setup({ 'GeoLite2-City': { mmdb: CITY }, 'GeoLite2-Country': { mmdb: COUNTRY }, 'GeoLite2-ASN': { mmdb: ASN } });
  let open!: () => void;
  fake.metadataGate = new Promise<void>((r) => (open = r));
  const run = updater({ parallelism: 3 }).run();
  const deadline = Date.now() + 3000;
  while (fake.requests.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.equal(fake.requests.length, 3, 'three metadata requests in flight together');
  open();
  const r = await run;
  assert.ok(r.kind === 'done' && r.ok && r.editions.every((e) => e.kind === 'updated'));
});

test('one failing edition does not stop the others, and the run reports failure', async () => {
  const { fake, dir, updater } = await setup({ 'GeoLite2-City': { mmdb: CITY }, 'GeoLite2-ASN': { mmdb: ASN } });
  fake.editions.set('GeoLite2-City', { mmdb: CITY, date: '2024-05-03', mode: 'garbage' });
  const r = await updater().run();
  assert.ok(r.kind === 'done' && !r.ok);
  assert.deepEqual(r.kind === 'done' && r.editions.map((e) => e.kind), ['error', 'updated']);
  assert.deepEqual(onlyDb(dir), ['GeoLite2-ASN.mmdb']);
});

test('a restarted updater learns the installed release date from the metadata, without downloading', async () => {
  const { fake, updater } = await setup();
  await updater().run();
  const fresh = updater();
  assert.equal((await fresh.status())[0]!.date, undefined, 'nothing known before the first run');
  await fresh.run();
  const [s] = await fresh.status();
  assert.equal(s!.date, '2024-05-03');
  assert.equal(s!.lastResult, 'unchanged');
  assert.equal(fake.downloads(), 1);
});

test('PreserveFileTimes sets the file time from Last-Modified; status reports each edition', async () => {
  const { updater } = await setup();
  const u = updater({ preserveFileTimes: true });
  await u.run();
  const st = statSync(join(u.conf.databaseDirectory, 'GeoLite2-City.mmdb'));
  assert.equal(st.mtime.toISOString(), '2024-05-03T00:00:00.000Z');
  const [s] = await u.status();
  assert.equal(s!.editionId, 'GeoLite2-City');
  assert.equal(s!.md5, md5hex(CITY));
  assert.equal(s!.date, '2024-05-03');
  assert.equal(s!.lastResult, 'updated');
  assert.ok(s!.lastSuccessAt && s!.lastAttemptAt);
});

test('through an HTTP proxy', async () => {
  const { fake, updater } = await setup();
  const seen: Array<{ url: string; auth: string | undefined }> = [];
  const proxy = createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers['proxy-authorization'] });
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    httpGet(req.url!, { headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    }).on('error', () => res.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  try {
    const proxyUrl = new URL(`http://u:p@127.0.0.1:${(proxy.address() as AddressInfo).port}`);
    const o = outcome(await updater({ proxy: proxyUrl }).run());
    assert.equal(o.kind, 'updated');
    assert.equal(seen.length, 3);
    assert.ok(seen[0]!.url.startsWith(`${fake.url}/geoip/updates/metadata`));
    assert.equal(seen[0]!.auth, `Basic ${Buffer.from('u:p').toString('base64')}`);
  } finally {
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
  }
});

test('disk full: a clear error, the old database intact, no temporary file', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to mount a tmpfs');
  const { fake, updater } = await setup();
  const dir = mkdtempSync(join(tmpdir(), 'geoip-full-'));
  // 32 KiB: room for the installed City file (6 pages) but not also a new one beside it.
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=32k', 'tmpfs', dir]);
  if (m.status !== 0) return t.skip(`mount failed: ${m.stderr}`);
  try {
    copyFileSync(join(TESTDATA, 'GeoLite2-City-Test.mmdb'), join(dir, 'GeoLite2-City.mmdb'));
    fake.editions.set('GeoLite2-City', { mmdb: COUNTRY, date: '2024-05-07' });
    const o = outcome(await updater({ databaseDirectory: dir, lockFile: join(dir, '.lock'), retryForMs: 10_000 }).run());
    assert.equal(o.kind, 'error');
    if (o.kind === 'error') {
      assert.equal(o.code, 'ERR_GEOIP_WRITE');
      assert.match(o.message, /no space left on device/i);
    }
    assert.equal(fake.downloads(), 1, 'a full disk is not retried');
    assert.deepEqual(readFileSync(join(dir, 'GeoLite2-City.mmdb')), CITY);
    assert.deepEqual(onlyDb(dir), ['GeoLite2-City.mmdb']);
  } finally {
    spawnSync('umount', [dir]);
  }
});
