import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddress, maskAddress, netmaskMatch, normalizeAddress, parseAddress, parseNetmask } from './ip.js';

test('addresses round-trip to canonical text (RFC 5952)', () => {
  const cases: Array<[string, string]> = [
    ['192.0.2.1', '192.0.2.1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::', '::'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ['2001:0:1:1:1:1:1:1', '2001:0:1:1:1:1:1:1'],
  ];
  for (const [input, want] of cases) assert.equal(normalizeAddress(input), want, input);
});

test('garbage is not an address', () => {
  for (const bad of ['', '1.2.3', '1.2.3.256', 'example.com', '::g', '1.2.3.4/24', ' 1.2.3.4', '[::1]']) {
    assert.equal(parseAddress(bad), undefined, bad);
  }
});

test('masking keeps only the prefix bits', () => {
  assert.equal(formatAddress(maskAddress(parseAddress('81.2.69.142')!, 24)), '81.2.69.0');
  assert.equal(formatAddress(maskAddress(parseAddress('81.2.69.142')!, 20)), '81.2.64.0');
  assert.equal(formatAddress(maskAddress(parseAddress('2001:db8:abcd::1')!, 36)), '2001:db8:a000::');
  assert.equal(formatAddress(maskAddress(parseAddress('10.1.2.3')!, 0)), '0.0.0.0');
});

test('netmask parsing and matching, families never mix', () => {
  const m = parseNetmask('192.168.0.0/16')!;
  assert.ok(netmaskMatch(m, parseAddress('192.168.44.1')!));
  assert.ok(!netmaskMatch(m, parseAddress('192.169.0.1')!));
  assert.ok(!netmaskMatch(parseNetmask('0.0.0.0/0')!, parseAddress('::1')!));
  assert.ok(netmaskMatch(parseNetmask('::/0')!, parseAddress('2001:db8::1')!));
  assert.ok(netmaskMatch(parseNetmask('192.0.2.7')!, parseAddress('192.0.2.7')!));
  assert.equal(parseNetmask('192.0.2.0/33'), undefined);
  assert.equal(parseNetmask('192.0.2.0/x'), undefined);
  assert.equal(parseNetmask('nonsense/8'), undefined);
});
