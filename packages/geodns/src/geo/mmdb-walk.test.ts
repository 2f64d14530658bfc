// walkIpv4 against mmdb-lib's own lookups: every network the walk reports is one
// the reader finds at that prefix with data, the networks do not overlap, and
// an IPv4 address the reader knows lies in one of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Reader, type Response } from 'maxmind';
import { walkIpv4 } from './mmdb-walk.js';
import { toLocations } from './locations.js';

const TD = fileURLToPath(new URL('../../src/geo/testdata/', import.meta.url));
const dotted = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

for (const file of ['GeoIP2-City-Test.mmdb', 'GeoLite2-City-Test.mmdb', 'GeoLite2-Country-Test.mmdb']) {
  test(`walkIpv4 lists exactly the IPv4 networks mmdb-lib finds (${file})`, async () => {
    const buf = readFileSync(TD + file);
    const reader = new Reader<Response>(buf);
    const nets: Array<[number, number]> = [];
    await walkIpv4(buf, reader.metadata, (net, prefix) => nets.push([net, prefix]));
    assert.ok(nets.length > 3, `${nets.length} networks`);
    let end = -1;
    for (const [net, prefix] of [...nets].sort((a, b) => a[0] - b[0])) {
      const [rec, p] = reader.getWithPrefixLength(dotted(net));
      assert.ok(rec, `${dotted(net)}/${prefix} has data`);
      assert.equal(p, prefix, `${dotted(net)}: prefix`);
      assert.ok(net > end, 'no overlap');
      end = net + 2 ** (32 - prefix) - 1;
    }
    const [known] = reader.getWithPrefixLength('81.2.69.142');
    if (known) assert.ok(nets.some(([n, p]) => (p === 0 ? true : (0x5102458e >>> (32 - p)) === (n >>> (32 - p)))), '81.2.69.142 is inside a walked network');
  });
}

test('toLocations: one point per place, thinned to max by grid cells, each keeping a real place and its network', () => {
  const rec = (net: number, lat: number, lon: number) => ({ net, prefix: 24, fields: { lat, lon, country: 'XX' } });
  const records = [rec(1 << 8, 10, 10), rec(2 << 8, 10, 10), rec(3 << 8, 10.1, 10.1), rec(4 << 8, 50, 50), rec(5 << 8, -30, 100)];
  assert.deepEqual(toLocations(records, 10).map((l) => [l.client, l.lat]), [['0.0.1.0', 10], ['0.0.3.0', 10.1], ['0.0.4.0', 50], ['0.0.5.0', -30]]);
  const three = toLocations(records, 3);
  assert.equal(three.length, 3);
  assert.ok(three.every((l) => records.some((r) => r.fields.lat === l.lat && r.fields.lon === l.lon)), 'real places, not grid centres');
  assert.equal(toLocations([{ net: 0, prefix: 8, fields: { country: 'XX' } }], 5).length, 0, 'records without coordinates are no place');
});
