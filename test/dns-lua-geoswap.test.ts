// LUA answers and a GeoIP database replaced under the running server (the
// updater's atomic rename): cached answers made from the old database are not
// served once the new one is in, and a corrupt replacement is refused while
// the old database keeps answering. Starts from MaxMind's small City test
// database, then swaps in the real GeoLite2 City file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dig, datas, startGeodns, tempDir, REPO_ROOT, type Geodns } from './helpers/index.js';
import { MMDB } from './helpers/pdns-lua.js';

const TESTDATA = join(REPO_ROOT, 'packages', 'geodns', 'src', 'geo', 'testdata');
const ZONE = 'swap.test';
let srv: Geodns;
let tmp: { dir: string; remove: () => void };
let dbPath: string;

before(async () => {
  tmp = tempDir('lua-geoswap');
  const zones = join(tmp.dir, 'zones');
  dbPath = join(tmp.dir, 'geo.mmdb');
  copyFileSync(join(TESTDATA, 'GeoIP2-City-Test.mmdb'), dbPath);
  mkdirSync(zones);
  writeFileSync(join(zones, `${ZONE}.zone`), [
    `$ORIGIN ${ZONE}.`, '$TTL 60', `@ IN SOA ns1.${ZONE}. hostmaster.${ZONE}. 1 3600 600 604800 30`, '@ IN NS ns1', 'ns1 IN A 192.0.2.53',
    `cc IN LUA TXT "countryCode()"`,
    `rc IN LUA TXT "regionCode()"`,
    '',
  ].join('\n'));
  srv = await startGeodns({ zonesDir: zones, args: ['--geoip', dbPath] });
});

after(async () => {
  await srv?.stop();
  tmp?.remove();
});

/** Replaces the database file the way the updater does: write beside it, then rename over it. */
function replaceDb(from: string): void {
  const next = join(tmp.dir, 'geo.mmdb.new');
  copyFileSync(from, next);
  renameSync(next, dbPath);
}

async function cc(subnet: string, rec = 'cc'): Promise<string[]> {
  return datas((await dig(srv, [`${rec}.${ZONE}`, 'TXT', `+subnet=${subnet}`])).answer, 'TXT');
}

async function until(subnet: string, want: string, ms: number, rec = 'cc'): Promise<void> {
  const t0 = Date.now();
  let last: string[] = [];
  while (Date.now() - t0 < ms) {
    last = await cc(subnet, rec);
    if (last.join() === want) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${subnet}: still ${last} after ${ms} ms, want ${want}`);
}

test('a swapped GeoIP database drops the cached LUA answers; a corrupt one is refused', async () => {
  // MaxMind's test database: 81.2.69.160/27 London, 89.160.20.128/25 Linköping (region E), nothing about 8.8.8.0.
  assert.deepEqual(await cc('81.2.69.160/27'), ['"gb"']);
  assert.deepEqual(await cc('89.160.20.128/25', 'rc'), ['"e"']);
  assert.deepEqual(await cc('8.8.8.0/24'), ['"--"']);
  // Asked again: now from the answer cache.
  assert.deepEqual(await cc('89.160.20.128/25', 'rc'), ['"e"']);
  assert.deepEqual(await cc('8.8.8.0/24'), ['"--"']);

  replaceDb(MMDB);
  await srv.waitForLog((l) => l.msg === 'geoip database swapped', 20_000);
  // GeoLite2 City: 8.8.8.0 is in the US, 89.160.20.0/24 in Stockholm county (AB).
  await until('8.8.8.0/24', '"us"', 5000);
  assert.deepEqual(await cc('89.160.20.128/25', 'rc'), ['"ab"'], 'the cached region from the old database is not served');
  assert.deepEqual(await cc('81.2.69.160/27'), ['"gb"']);

  // A corrupt replacement: logged, refused, the real database keeps answering.
  replaceDb(join(TESTDATA, 'GeoIP2-City-Test-Broken-Double-Format.mmdb'));
  const line = await srv.waitForLog((l) => /geoip database rejected/.test(l.msg), 20_000);
  assert.match(String(line.path), /geo\.mmdb$/);
  assert.deepEqual(await cc('8.8.8.0/24'), ['"us"']);
  assert.ok(srv.proc.alive());
});
