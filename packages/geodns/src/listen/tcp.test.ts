import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientKey } from './tcp.js';

test('clientKey: an IPv4 address, IPv4-mapped IPv6 as IPv4, IPv6 by its /64', () => {
  const table: Array<[string, string]> = [
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:DB8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1:2', '0:0:0:0::/64'.replace(/^0/, 'fe80')],
  ];
  for (const [addr, want] of table) assert.equal(clientKey(addr), want, addr);
  assert.equal(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), 'one /64');
  assert.notEqual(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'), 'another /64');
});
