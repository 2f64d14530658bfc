import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ipv4ToBytes, bytesToIpv4, ipv6ToBytes, bytesToIpv6 } from './ip.js';

test('IPv6 text is canonical per RFC 5952 (inet_ntop style IPv4 tails)', () => {
  const cases: [string, string][] = [
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8::0001', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['2001:db8::192.0.2.1', '2001:db8::c000:201'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ];
  for (const [text, want] of cases) assert.equal(bytesToIpv6(ipv6ToBytes(text)), want, text);
});

test('random IPv6 octets round-trip', () => {
  for (let i = 0; i < 500; i++) {
    const b = randomBytes(16);
    if (i % 3 === 0) b.fill(0, 2, 2 + (i % 14));
    assert.deepEqual(ipv6ToBytes(bytesToIpv6(b)), b);
  }
});

test('bad addresses are rejected', () => {
  for (const a of ['1.2.3', '1.2.3.256', '01.2.3.4', '', 'x']) assert.throws(() => ipv4ToBytes(a), /not an IPv4/);
  for (const a of ['1.2.3.4', ':::', '1::2::3', 'fe80::1%eth0', 'g::1']) assert.throws(() => ipv6ToBytes(a), /not an IPv6/);
  assert.equal(bytesToIpv4(ipv4ToBytes('192.0.2.255')), '192.0.2.255');
});
