import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToIpv4, bytesToIpv6, ipv6ToBytes } from '@geoedge/dnsdata';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './addr.js';

const v6 = (text: string): Buffer | null => {
  const b = Buffer.alloc(16);
  return parseIPv6(text, b, 0) ? b : null;
};

test('IPv4 text ↔ octets', () => {
  const b = Buffer.alloc(6);
  assert.ok(parseIPv4('192.0.2.255', b, 2));
  assert.deepEqual([...b], [0, 0, 192, 0, 2, 255]);
  assert.equal(formatIPv4(b, 2), '192.0.2.255');
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1..2.3', '1.2.3.4 ', 'a.b.c.d', '1.2.3.-4']) {
    assert.equal(parseIPv4(bad, b, 0), false, bad);
  }
});

test('IPv6 text forms parse to the same octets', () => {
  const want = Buffer.from('20010db8000000000000000000000001', 'hex');
  for (const t of ['2001:db8::1', '2001:DB8:0:0:0:0:0:1', '2001:0db8::0:1', '2001:db8:0::0:0:1']) assert.deepEqual(v6(t), want, t);
  assert.deepEqual(v6('::'), Buffer.alloc(16));
  assert.deepEqual(v6('::1'), Buffer.from('00000000000000000000000000000001', 'hex'));
  assert.deepEqual(v6('1::'), Buffer.from('00010000000000000000000000000000', 'hex'));
  assert.deepEqual(v6('::ffff:192.0.2.1'), Buffer.from('00000000000000000000ffffc0000201', 'hex'));
  for (const bad of ['', ':', ':::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::', '1:', ':1', '1.2.3.4', '::1.2.3', '1:2:3:4:5:6:7:8::']) {
    assert.equal(v6(bad), null, bad);
  }
});

test('IPv6 output is RFC 5952 canonical', () => {
  const table: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group stays
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['2001:db8:12:3400::', '2001:db8:12:3400::'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longer run wins
    ['::ffff:c000:0201', '::ffff:192.0.2.1'], // IPv4-mapped: dotted tail, as glibc
    ['::c000:0201', '::192.0.2.1'],
    ['::1:c000:0201', '::1:c000:201'],
  ];
  for (const [input, out] of table) assert.equal(formatIPv6(v6(input)!, 0), out, input);
});

test('addresses print the same as dnsdata prints them', () => {
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8;
  for (let i = 0; i < 2000; i++) {
    // Sparse groups so zero runs of every length and position occur.
    const b = Buffer.alloc(16);
    for (let g = 0; g < 8; g++) if (rnd() % 3 === 0) b.writeUInt16BE(rnd() & 0xffff, 2 * g);
    const text = formatIPv6(b, 0);
    assert.equal(text, bytesToIpv6(b), [...b].join(','));
    assert.deepEqual(ipv6ToBytes(text), b);
    assert.equal(formatIPv4(b, 0), bytesToIpv4(b.subarray(0, 4)));
  }
});
