import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as R from './reverse.js';

test('createReverse formats per the PowerDNS documentation', () => {
  const q = '5.0.0.127.in-addr.arpa.';
  assert.equal(R.createReverse(q, '%1%.%2%.%3%.%4%.static.example.com'), '127.0.0.5.static.example.com');
  assert.equal(R.createReverse(q, '%5%.static.example.com'), '127-0-0-5.static.example.com');
  assert.equal(R.createReverse('15.0.0.127.in-addr.arpa.', '%6%.static.example.com'), '7f00000f.static.example.com');
  assert.equal(R.createReverse('10.10.10.10.in-addr.arpa.', '%5%.x', new Map([['10.10.10.10', 'quad10.example.com.']])), 'quad10.example.com.');
  assert.equal(R.createReverse('arpa.', '%1%'), 'unknown');
});

test('createReverse6 formats per the PowerDNS documentation', () => {
  const nib = (addr: string) => addr.replace(/:/g, '').split('').reverse().join('.') + '.ip6.arpa.';
  const q = nib('2001000a000b00000000000000000001');
  assert.equal(R.createReverse6(q, '%33%.static6.example.com'), '2001-a-b--1.static6.example.com');
  assert.equal(R.createReverse6(nib('2002000a000b00000000000000000001'), '%34%.%35%.static6.example.com'), '2002.000a.static6.example.com');
  assert.equal(R.createReverse6(q, '%33%', new Map([['2001:a:b::1', 'ex.example.com.']])), 'ex.example.com.');
  assert.equal(R.createReverse6('1.0.ip6.arpa.', '%33%'), 'unknown');
});

test('createForward and createForward6 parse the names createReverse makes', () => {
  const w = 'static.example.com.'; // the zone: labels are taken relative to its apex, as PowerDNS does
  assert.equal(R.createForward('127.0.0.5.static.example.com.', w), '127.0.0.5');
  assert.equal(R.createForward('ip40414243.static.example.com.', w), '64.65.66.67');
  assert.equal(R.createForward('ip-10-1-2-3.static.example.com.', w), '10.1.2.3');
  assert.equal(R.createForward('1-2-3-999.static.example.com.', w), '0.0.0.0');
  assert.equal(R.createForward('garbage.static.example.com.', w), '0.0.0.0');
  assert.equal(R.createForward('127.0.0.5.static.example.com.', 'other.example.'), '0.0.0.0'); // not in the zone
  assert.equal(R.createForward('1.2.3.4.sub.static.example.com.', w), '1.2.3.4'); // ≥ 4 labels: the first four
  const w6 = 'static6.example.com.';
  assert.equal(R.createForward6('2001-a-b--1.static6.example.com.', w6), '2001:a:b::1');
  assert.equal(R.createForward6('2001.db8.6.5.4.3.2.1.static6.example.com.', w6), '2001:db8:6:5:4:3:2:1');
  assert.equal(R.createForward6('ip20010002000300040005000600070db8.static6.example.com.', w6), '2001:2:3:4:5:6:7:db8');
  assert.equal(R.createForward6('nonsense.static6.example.com.', w6), '::');
});

test('closestMagic candidates come from the leading labels', () => {
  assert.deepEqual(R.magicCandidates('192-0-2-1.192-0-2-2.198-51-100-1.magic.v4.powerdns.org.'), ['192.0.2.1', '192.0.2.2', '198.51.100.1']);
  assert.deepEqual(R.magicCandidates('magic.example.org.'), []);
});
