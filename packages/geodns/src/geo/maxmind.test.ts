// The tree walk of maxmind.ts (locate) against mmdb-lib's findAddressInTree,
// and GeoIpService.locate against its lookup: the same pointer and prefix for
// every address tried, and equal records mean equal fields (what the LUA
// answer cache keys on, stages/dynamic-cache.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Reader, type Response } from 'maxmind';
import { createLogger } from '@geoedge/shared';
import { openMmdb, type Located } from './maxmind.js';
import { parseAddress } from './ip.js';
import { createGeoIpService } from './geoip-service.js';
import { defaultCityDatabase } from './default-db.js';

const TD = fileURLToPath(new URL('../../src/geo/testdata/', import.meta.url));
const GOOD = readdirSync(TD).filter((f) => f.endsWith('.mmdb') && !/Broken|Invalid|broken/.test(f));
const METADATA = Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1');

/**
 * The same database with its search tree re-encoded in records of `size` bits
 * (the test databases all use 28): the record values (node numbers, data
 * pointers) stay, only the node layout and metadata.record_size change.
 */
function withRecordSize(buf: Buffer, size: 24 | 32): Buffer {
  const md = new Reader<Response>(buf).metadata;
  assert.equal(md.recordSize, 28);
  const get = (n: number, side: number): number => {
    const o = n * 7;
    return side === 0 ? (((buf[o + 3]! & 0xf0) << 20) | (buf[o]! << 16) | (buf[o + 1]! << 8) | buf[o + 2]!) >>> 0 : (((buf[o + 3]! & 0x0f) << 24) | (buf[o + 4]! << 16) | (buf[o + 5]! << 8) | buf[o + 6]!) >>> 0;
  };
  const tree = Buffer.alloc(md.nodeCount * (size / 4));
  for (let n = 0; n < md.nodeCount; n++) {
    for (let side = 0; side < 2; side++) {
      const v = get(n, side);
      if (size === 32) tree.writeUInt32BE(v, n * 8 + side * 4);
      else tree.writeUIntBE(v, n * 6 + side * 3, 3);
    }
  }
  const rest = Buffer.from(buf.subarray(md.nodeCount * 7));
  const m = rest.lastIndexOf(METADATA);
  const at = rest.indexOf(Buffer.from('record_size\xa1\x1c', 'latin1'), m);
  assert.ok(at > m, 'record_size is a one-octet uint16 in the metadata');
  rest[at + 12] = size;
  return Buffer.concat([tree, rest]);
}

/** IPv4 addresses spread over the space (every /8, several spots in each), some IPv6 ones, and the test data's own networks. */
function addresses(): string[] {
  const out: string[] = [];
  for (let a = 0; a < 256; a++) for (let i = 0; i < 40; i++) out.push(`${a}.${(i * 37 + a) & 255}.${(i * 101) & 255}.${(i * 13) & 255}`);
  out.push('81.2.69.142', '81.2.69.160', '1.128.0.5', '89.160.20.112', '216.160.83.56', '2.125.160.216', '67.43.156.1', '202.196.224.1', '::1', '::');
  for (let i = 0; i < 400; i++) out.push(`2${(i % 16).toString(16)}${((i * 7) % 256).toString(16).padStart(2, '0')}:${(i * 977 % 65536).toString(16)}::${i.toString(16)}`);
  out.push('2001:218::1', '2001:480::1', '2a02:d300::1', '::ffff:81.2.69.142', '::81.2.69.142');
  return out;
}

test('locate walks the tree as mmdb-lib does: same data pointer and prefix (record sizes 24, 28, 32; IPv4 and IPv6 trees)', async () => {
  const sizes = new Set<number>();
  let compared = 0;
  const dir = mkdtempSync(join(tmpdir(), 'mmdb-sizes-'));
  const files = [...GOOD.map((f) => join(TD, f)), defaultCityDatabase()];
  for (const f of GOOD) {
    for (const size of [24, 32] as const) {
      const out = join(dir, `${size}-${f}`);
      writeFileSync(out, withRecordSize(readFileSync(join(TD, f)), size));
      files.push(out);
    }
  }
  for (const path of files) {
    const buf = readFileSync(path);
    const reader = new Reader<Response>(buf) as unknown as { findAddressInTree(ip: string): [number | null, number]; metadata: { recordSize: number; ipVersion: number } };
    sizes.add(reader.metadata.recordSize);
    const r = await openMmdb(path);
    assert.equal(r.kind, 'ok', path);
    if (r.kind !== 'ok') continue;
    const at: Located = { pointer: -1, prefix: -1 };
    for (const ip of addresses()) {
      const bytes = parseAddress(ip)!;
      if (reader.metadata.ipVersion === 4 && bytes.length === 16) continue;
      const [pointer, prefix] = reader.findAddressInTree(ip);
      r.db.locate(bytes, at);
      assert.deepEqual([at.pointer, at.prefix], [pointer ?? 0, prefix], `${path} ${ip}`);
      compared++;
    }
  }
  rmSync(dir, { recursive: true });
  assert.deepEqual([...sizes].sort(), [24, 28, 32], 'every record size tried');
  assert.ok(compared > 50_000, `${compared} addresses compared`);
});

test('GeoIpService.locate gives lookup\'s record and prefix, and a lookup after it the same answer; place gives lookup\'s country and continent; equal records have equal fields (one database, and City + ASN)', async () => {
  const log = createLogger({ name: 'test', level: 'silent' });
  for (const files of [[defaultCityDatabase()], [join(TD, 'GeoIP2-City-Test.mmdb'), join(TD, 'GeoLite2-ASN-Test.mmdb')], [join(TD, 'GeoLite2-ASN-Test.mmdb'), join(TD, 'GeoIP2-City-Test.mmdb')]]) {
    const svc = createGeoIpService({ files, log, watch: false });
    await svc.start();
    const byRecord = new Map<number | string, string>();
    let shared = 0;
    for (const ip of addresses()) {
      const g = svc.lookup(ip);
      const spot = svc.locate(ip);
      assert.deepEqual(spot && { ...spot }, g && { record: g.record, prefix: g.prefix }, ip);
      // A lookup right after locate (the chain's order: locate, miss, evaluate) reuses that walk.
      if (spot) assert.deepEqual(svc.lookup(ip), g, `${ip}: lookup after locate`);
      // place: lookup's country, continent, prefix and record, right after locate (the
      // selective read) and for an address not located last (lookup's answer).
      const placeOf = (x: typeof g) => x && { ...(x.country !== undefined ? { country: x.country } : {}), ...(x.continent !== undefined ? { continent: x.continent } : {}), prefix: x.prefix, record: x.record };
      svc.locate(ip);
      assert.deepEqual(svc.place(ip), placeOf(g), `${ip}: place after locate`);
      assert.deepEqual(svc.place(ip), placeOf(g), `${ip}: place again`);
      svc.locate('192.0.2.1');
      assert.deepEqual(svc.place(ip), placeOf(g), `${ip}: place without locate`);
      if (!g) continue;
      const { prefix: _p, network: _n, record, ...fields } = g;
      const text = JSON.stringify(fields);
      const seen = byRecord.get(record);
      if (seen !== undefined) { shared++; assert.equal(text, seen, `${ip}: record ${record} with other fields`); }
      byRecord.set(record, text);
    }
    assert.ok(shared > 100, `${shared} addresses met a record already seen`);
    assert.equal(svc.locate('not an address'), undefined);
    await svc.close();
  }
});
