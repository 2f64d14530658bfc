import { test } from 'node:test';
import assert from 'node:assert/strict';
import { burtle, dnsNameHash } from './burtle.js';
import * as P from './pick.js';

const addrs = Array.from({ length: 4000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.${(i * 7) & 255}`);
let seed = 1;
const rand: P.Rand = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };

test('burtle is lookup2: deterministic, 32-bit, length- and initval-sensitive', () => {
  const a = burtle(Uint8Array.from([192, 0, 2, 1]));
  assert.equal(a, burtle(Uint8Array.from([192, 0, 2, 1])));
  assert.ok(Number.isInteger(a) && a >= 0 && a < 2 ** 32);
  assert.notEqual(a, burtle(Uint8Array.from([192, 0, 2, 2])));
  assert.notEqual(burtle(new Uint8Array(12)), burtle(new Uint8Array(13)));
  assert.notEqual(burtle(Uint8Array.from([1, 2, 3]), 0), burtle(Uint8Array.from([1, 2, 3]), 1));
  assert.equal(dnsNameHash('WWW.Example.COM.'), dnsNameHash('www.example.com'));
  assert.notEqual(dnsNameHash('a.example.com.'), dnsNameHash('b.example.com.'));
});

test('pickhashed: same client same answer, clients spread over all entries', () => {
  const items = ['a', 'b', 'c'];
  assert.equal(P.pickHashed('192.0.2.1', items), P.pickHashed('192.0.2.1', items));
  const counts = new Map<string, number>();
  for (const a of addrs) counts.set(P.pickHashed(a, items), (counts.get(P.pickHashed(a, items)) ?? 0) + 1);
  for (const i of items) assert.ok(counts.get(i)! > addrs.length / 3 * 0.8, `${i}: ${counts.get(i)}`);
  assert.throws(() => P.pickHashed('192.0.2.1', []), /cannot be empty/);
});

test('pickwhashed and pickwrandom follow the weights; zero sum is an error', () => {
  const items: P.Weighted = [[15, 'small'], [100, 'big']];
  let big = 0;
  for (const a of addrs) if (P.pickWeightedHashed(a, items) === 'big') big++;
  const share = big / addrs.length;
  assert.ok(share > 0.8 && share < 0.93, `share ${share}`);
  let rbig = 0;
  for (let i = 0; i < 4000; i++) if (P.pickWeightedRandom(items, rand) === 'big') rbig++;
  assert.ok(rbig / 4000 > 0.8 && rbig / 4000 < 0.93);
  assert.equal(P.pickWeightedHashed('192.0.2.1', [[0, 'never'], [1, 'always']]), 'always');
  assert.throws(() => P.pickWeightedHashed('192.0.2.1', [[0, 'x']]), /sum of items cannot be zero/);
  assert.throws(() => P.pickWeightedRandom([], rand), /cannot be empty/);
});

test('picknamehashed depends on the name only', () => {
  const items: P.Weighted = [[1, 'a'], [1, 'b'], [1, 'c'], [1, 'd']];
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(P.pickWeightedNameHashed(`host${i}.example.com.`, items));
  assert.equal(seen.size, 4);
  assert.equal(P.pickWeightedNameHashed('x.example.com.', items), P.pickWeightedNameHashed('X.EXAMPLE.COM.', items));
});

test('pickchashed: removing an entry only moves the clients that were on it', () => {
  const full: P.Weighted = [[100, 'a'], [100, 'b'], [100, 'c']];
  const less: P.Weighted = [[100, 'a'], [100, 'c']];
  let moved = 0, onB = 0;
  for (const a of addrs) {
    const before = P.pickConsistentHashed(a, full);
    const after = P.pickConsistentHashed(a, less);
    if (before === 'b') onB++;
    else if (before !== after) moved++;
  }
  assert.equal(moved, 0);
  assert.ok(onB > addrs.length / 3 * 0.7 && onB < addrs.length / 3 * 1.3, `onB ${onB}`);
});

test('pickrandomsample returns n distinct entries, at most all of them', () => {
  const items = ['a', 'b', 'c', 'd', 'e'];
  const s = P.pickRandomSample(3, items, rand);
  assert.equal(s.length, 3);
  assert.equal(new Set(s).size, 3);
  assert.ok(s.every((x) => items.includes(x)));
  assert.equal(P.pickRandomSample(10, items, rand).length, 5);
  assert.deepEqual(P.pickRandomSample(0, items, rand), []);
});

test('weighted lists are walked in PowerDNS order (libstdc++ unordered_map iteration)', () => {
  const n = (k: number) => P.powerdnsOrder(Array.from({ length: k }, (_, i) => i + 1)).join(',');
  // observed on pdns_server 4.7.3: 4 entries reversed; 20 entries = 20..14 then 1..13
  assert.equal(n(4), '4,3,2,1');
  assert.equal(n(20), '20,19,18,17,16,15,14,1,2,3,4,5,6,7,8,9,10,11,12,13');
  assert.equal(n(1), '1');
  // the cumulative walk uses that order: with equal weights, hash % 4 = 0 picks the LAST entry
  const items: P.Weighted = [[1, 'a'], [1, 'b'], [1, 'c'], [1, 'd']];
  for (const a of addrs.slice(0, 200)) {
    const r = P.addressHash(a) % 4;
    assert.equal(P.pickWeightedHashed(a, items), ['d', 'c', 'b', 'a'][r]);
  }
});
