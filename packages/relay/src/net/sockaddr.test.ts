import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSockaddr, sockaddr } from './sockaddr.js';

test('sockaddr and parseSockaddr round-trip IPv4 and IPv6 in RFC 5952 form', () => {
  for (const [ip, want] of [
    ['192.0.2.7', '192.0.2.7'], ['::1', '::1'], ['::', '::'], ['2001:db8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['fe80::1:2:3:4', 'fe80::1:2:3:4'], ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'], ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
  ] as const) {
    const sa = sockaddr(ip, 4321)!;
    assert.deepEqual(parseSockaddr(sa), { address: want, port: 4321, family: ip.includes(':') ? 6 : 4 }, ip);
  }
  assert.equal(sockaddr('example.org', 1), undefined);
  assert.equal(sockaddr('300.1.1.1', 1), undefined);
});
