import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { probeMmdb, probeMmdbBuffer } from './mmdb-probe.js';

const TESTDATA = new URL('../../src/jobs/testdata/', import.meta.url).pathname;
const read = (n: string) => readFileSync(join(TESTDATA, n));

test('good databases of each kind pass the probe', () => {
  for (const [file, type] of [['GeoLite2-City-Test.mmdb', 'GeoLite2-City'], ['GeoLite2-Country-Test.mmdb', 'GeoLite2-Country'], ['GeoLite2-ASN-Test.mmdb', 'GeoLite2-ASN'], ['GeoIP2-City-Test.mmdb', 'GeoIP2-City']] as const) {
    const r = probeMmdbBuffer(read(file));
    assert.equal(r.kind, 'ok', file);
    if (r.kind === 'ok') assert.equal(r.databaseType, type);
  }
});

test('broken databases are refused with the reason', () => {
  const nodes = probeMmdbBuffer(read('GeoIP2-City-Test-Invalid-Node-Count.mmdb'));
  assert.equal(nodes.kind, 'error');
  assert.match(nodes.kind === 'error' ? nodes.message : '', /search tree \(100000 nodes\) does not fit/);
  const ptrs = probeMmdbBuffer(read('MaxMind-DB-test-broken-pointers-24.mmdb'));
  assert.equal(ptrs.kind, 'error');
  assert.match(ptrs.kind === 'error' ? ptrs.message : '', /corrupt MaxMind DB: (node \d+ points outside|data record of node \d+ does not decode)/);
});

test('garbage, empty and cut-off files are refused, never thrown', async () => {
  const city = read('GeoLite2-City-Test.mmdb');
  for (const buf of [Buffer.alloc(0), randomBytes(5000), Buffer.from('<html>oops</html>'), city.subarray(0, city.length >> 1), city.subarray(city.length >> 1)]) {
    const r = probeMmdbBuffer(buf);
    assert.equal(r.kind, 'error');
  }
  const missing = await probeMmdb(join(TESTDATA, 'absent.mmdb'));
  assert.match(missing.kind === 'error' ? missing.message : '', /cannot read .*ENOENT/);
});
