import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DynamicCache } from './dynamic-cache.js';
import { ZoneEpochs } from './zone-epochs.js';
import type { AnswerDeps } from './lua.js';

const base: AnswerDeps = { cacheable: true, address: false, health: false, crossZone: false, sig: '' };
/** Deps of an answer that read the GeoIP data record `record` (by default one per network). */
const geoDeps = (network: string, prefix: number, record: number | string = `${network}/${prefix}`): AnswerDeps => ({ ...base, geo: { prefix, record } });

/** A GeoLookup.locate over a table of networks (longest match first), counting its calls. */
function geoOf(nets: Array<[string, number, number | string]>) {
  const calls = { n: 0 };
  const toInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const sorted = [...nets].sort((a, b) => b[1] - a[1]);
  return {
    calls,
    locate(ip: string) {
      calls.n++;
      for (const [net, prefix, record] of sorted) {
        const span = 2 ** (32 - prefix);
        if (Math.floor(toInt(ip) / span) === Math.floor(toInt(net) / span)) return { record, prefix };
      }
      return undefined;
    },
  };
}
/** Networks whose record is `net/prefix` (one record per network), as geoDeps's default. */
const netsOf = (...nets: Array<[string, number]>) => geoOf(nets.map(([n, p]) => [n, p, `${n}/${p}`]));
const noGeo = { locate: () => undefined };
const mustNotLocate = { locate: () => assert.fail('no GeoIP lookup needed') };

/** The cache with set(key, address, deps, value, slot): the value's JSON is its identity. */
function setup<T>(maxEntries?: number) {
  const zones = new ZoneEpochs();
  const ep = { health: 0, geo: 0 };
  const cache = new DynamicCache<T>(zones, { health: () => ep.health, geo: () => ep.geo }, maxEntries);
  const c = {
    get: cache.get.bind(cache),
    set: (key: string, address: string, deps: AnswerDeps, value: T, slot: number) => cache.set(key, address, deps, JSON.stringify(value), () => value, slot),
    get size() { return cache.size; },
  };
  return { c, cache, zones, ep, za: zones.slot('a.example.'), zb: zones.slot('b.example.') };
}

test('geo-keyed answers are shared within a network and not across; a GeoIP swap ends them', () => {
  const { c, ep, za } = setup<string>();
  const geo = netsOf(['81.2.69.0', 24], ['89.160.16.0', 20]);
  assert.equal(c.set('www|1', '81.2.69.142', geoDeps('81.2.69.0', 24), 'EU', za)?.scope, 24);
  assert.equal(c.get('www|1', '81.2.69.7', geo)?.value, 'EU');
  assert.equal(c.get('www|1', '89.160.20.1', geo), undefined);
  ep.health++; // a health flap: this answer read no check
  assert.equal(c.get('www|1', '81.2.69.8', geo)?.value, 'EU');
  ep.geo++;
  assert.equal(c.get('www|1', '81.2.69.9', geo), undefined);
});

test('address-keyed, client-independent and uncacheable answers', () => {
  const { c, za } = setup<string>();
  c.set('a|1', '192.0.2.1', { ...base, address: true }, 'x', za);
  assert.equal(c.get('a|1', '192.0.2.1', noGeo)?.value, 'x');
  assert.equal(c.get('a|1', '192.0.2.2', noGeo), undefined);
  assert.equal(c.set('b|1', '192.0.2.1', base, 'all', za)?.scope, 0);
  assert.equal(c.get('b|1', '198.51.100.9', mustNotLocate)?.value, 'all');
  assert.equal(c.set('r|1', '192.0.2.1', { ...base, cacheable: false }, 'rnd', za), undefined);
  assert.equal(c.get('r|1', '192.0.2.1', noGeo), undefined);
});

test('a change of the zone ends its answers, every kind of them; another zone keeps its own', () => {
  const { c, zones, za, zb } = setup<string>();
  c.set('all.a|1', '192.0.2.1', base, 'old', za);
  c.set('geo.a|1', '81.2.69.1', geoDeps('81.2.69.0', 24), 'old', za);
  c.set('geo.a|1', '81.2.70.1', geoDeps('81.2.70.0', 24), 'old', za);
  c.set('who.a|1', '192.0.2.1', { ...base, address: true }, 'old', za);
  c.set('all.b|1', '192.0.2.1', base, 'b', zb);
  const geo = netsOf(['81.2.69.0', 24], ['81.2.70.0', 24]);
  // The network answer was also remembered per address by a get.
  assert.equal(c.get('geo.a|1', '81.2.70.9', geo)?.value, 'old');
  zones.gen[za]!++;
  assert.equal(c.get('all.a|1', '192.0.2.1', noGeo), undefined);
  assert.equal(c.get('geo.a|1', '81.2.69.9', geo), undefined);
  assert.equal(c.get('geo.a|1', '81.2.70.9', geo), undefined, 'nor the copy kept per address');
  assert.equal(c.get('who.a|1', '192.0.2.1', noGeo), undefined);
  assert.equal(c.get('all.b|1', '192.0.2.1', noGeo)?.value, 'b');
});

test('answers that read health state end with a health change; others stay', () => {
  const { c, ep, za } = setup<string>();
  c.set('up|1', '192.0.2.1', { ...base, health: true }, 'up', za);
  c.set('plain|1', '192.0.2.1', base, 'plain', za);
  ep.health++;
  assert.equal(c.get('up|1', '192.0.2.1', noGeo), undefined);
  assert.equal(c.get('plain|1', '192.0.2.1', noGeo)?.value, 'plain');
});

test('a network answer found once is then served to that address without a GeoIP lookup', () => {
  const { c, za } = setup<string>();
  const geo = netsOf(['81.2.69.0', 24]);
  c.set('www|1', '81.2.69.142', geoDeps('81.2.69.0', 24), 'EU', za);
  assert.deepEqual(c.get('www|1', '81.2.69.7', geo), { value: 'EU', scope: 24 });
  assert.deepEqual(c.get('www|1', '81.2.69.7', geo), { value: 'EU', scope: 24 }, 'the network scope, not the source prefix');
  assert.equal(geo.calls.n, 1);
});

test('equal answers of one name share one stored value; each keeps its own scope', () => {
  const { c, za } = setup<{ bytes: string }>();
  const a = c.set('www|1', '81.2.69.1', geoDeps('81.2.69.0', 24), { bytes: 'EU-PoP' }, za);
  const b = c.set('www|1', '81.2.70.1', geoDeps('81.2.70.0', 24), { bytes: 'EU-PoP' }, za);
  const d = c.set('www|1', '81.3.0.1', geoDeps('81.3.0.0', 16), { bytes: 'EU-PoP' }, za);
  const e = c.set('www|1', '8.8.8.8', geoDeps('8.8.0.0', 17), { bytes: 'US-PoP' }, za);
  assert.equal(a?.value, b?.value, 'same answer: one stored value');
  assert.equal(a?.value, d?.value, 'same answer in a network of another size: still one stored value');
  assert.deepEqual([a?.scope, b?.scope, d?.scope], [24, 24, 16], 'each network its own scope');
  assert.equal(e?.value.bytes, 'US-PoP');
  const geo = netsOf(['81.2.69.0', 24], ['81.2.70.0', 24], ['81.3.0.0', 16], ['8.8.0.0', 17]);
  assert.deepEqual(c.get('www|1', '81.2.70.9', geo), { value: { bytes: 'EU-PoP' }, scope: 24 });
  assert.deepEqual(c.get('www|1', '81.3.7.0', geo), { value: { bytes: 'EU-PoP' }, scope: 16 });
  assert.equal(c.get('www|1', '8.8.8.9', geo)?.value.bytes, 'US-PoP');
  const x = c.set('h|1', '192.0.2.1', { ...base, address: true }, { bytes: 'h' }, za);
  assert.equal(c.set('h|1', '192.0.2.2', { ...base, address: true }, { bytes: 'h' }, za)?.value, x?.value);
  assert.equal(x?.scope, undefined);
});

test('GeoIP answers are kept per data record: another network with the same record shares the answer under its own scope, another record never does', () => {
  const { c, za } = setup<string>();
  // Two networks of one record (say "GB, London"), one of another record next door.
  const geo = geoOf([['81.2.69.0', 24, 7001], ['81.2.96.0', 20, 7001], ['81.2.70.0', 23, 7002]]);
  assert.deepEqual(c.set('www|1', '81.2.69.0', geoDeps('81.2.69.0', 24, 7001), 'London', za), { value: 'London', scope: 24 });
  assert.deepEqual(c.get('www|1', '81.2.97.0', geo), { value: 'London', scope: 20 }, 'same record, another network: its own prefix as scope');
  assert.equal(c.get('www|1', '81.2.70.0', geo), undefined, 'another record (a client somewhere else) does not get the London answer');
  assert.equal(c.get('www|1', '81.2.71.0', geo), undefined);
  assert.deepEqual(c.set('www|1', '81.2.70.0', geoDeps('81.2.70.0', 23, 7002), 'Paris', za), { value: 'Paris', scope: 23 });
  assert.deepEqual(c.get('www|1', '81.2.71.128', geo), { value: 'Paris', scope: 23 });
  assert.deepEqual(c.get('www|1', '81.2.69.9', geo), { value: 'London', scope: 24 });
  assert.equal(c.get('www|1', '192.0.2.1', geo), undefined, 'an address the databases do not place: no answer shared');
});

test('a flood of client addresses and names is bounded by maxEntries; a hot name survives', () => {
  const { c, za } = setup<string>(10_000);
  c.set('hot|1', '192.0.2.1', base, 'hot', za);
  for (let i = 0; i < 200_000; i++) {
    const name = `n${i % 5000}|1`;
    c.set(name, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, { ...base, address: true }, 'x', za);
    if (i % 1000 === 0) assert.equal(c.get('hot|1', '192.0.2.9', noGeo)?.value, 'hot');
    if (i % 10_000 === 0) assert.ok(c.size <= 10_000 + 20_000 * 3 + 2, `size ${c.size} at ${i}`);
  }
  assert.ok(c.size <= 10_000 + 2, `size ${c.size}`);
});

test('an answer already stored for the name is not made (compiled) again', () => {
  const { cache, za } = setup<string>();
  let made = 0;
  const make = (v: string) => () => { made++; return v; };
  for (let i = 0; i < 1000; i++) cache.set('www|1', `10.0.${i >> 8}.${i & 255}`, geoDeps(`10.0.${i >> 8}.${i & 255}`, 32), i % 5 === 0 ? 'EU' : 'US', make(i % 5 === 0 ? 'EU' : 'US'), za);
  assert.equal(made, 2, 'one compile per distinct answer');
  assert.equal(cache.get('www|1', '10.0.0.5', netsOf(['10.0.0.5', 32]))?.value, 'EU');
});

test('under a flood of new subnets record answers stop being copied per address; returning subnets are copied again', () => {
  const { c, za } = setup<string>();
  const geo = geoOf([['10.0.0.0', 8, 1]]);
  c.set('www|1', '10.0.0.0', geoDeps('10.0.0.0', 8, 1), 'A', za);
  const before = c.size;
  for (let i = 1; i <= 16_000; i++) assert.equal(c.get('www|1', `10.${i >> 8}.${i & 255}.0`, geo)?.value, 'A');
  // 256 copies to learn from, then one in 16
  assert.ok(c.size - before <= 256 + 16_000 / 16 + 1, `${c.size - before} copies for 16,000 subnets never seen again`);
  // 100 subnets that keep coming back: copies pay off again, and then no tree walk is needed.
  const back = Array.from({ length: 100 }, (_, i) => `10.200.${i}.0`);
  for (let round = 0; round < 40; round++) for (const a of back) assert.equal(c.get('www|1', a, geo)?.value, 'A');
  const walks = geo.calls.n;
  for (const a of back) assert.deepEqual(c.get('www|1', a, geo), { value: 'A', scope: 8 });
  assert.equal(geo.calls.n, walks, 'every returning subnet answered from its copy');
});

test('under a flood of new subnets answers that read the address (pickwhashed) stop being stored per address; returning subnets are stored and served again', () => {
  const { c, za } = setup<string>();
  const addrDeps: AnswerDeps = { ...base, address: true };
  /** One query as the chain makes it: the cache first, an evaluation on a miss. */
  let evaluations = 0;
  /** The answer for an address: one of three, as a pickwhashed over three. */
  const pick = (a: string) => `p${a.split('.').reduce((x, o) => x + Number(o), 0) % 3}`;
  const ask = (a: string) => c.get('www|1', a, noGeo)?.value ?? (evaluations++, c.set('www|1', a, addrDeps, pick(a), za)!.value);
  const before = c.size;
  for (let i = 1; i <= 16_000; i++) assert.equal(ask(`10.${i >> 8}.${i & 255}.0`), pick(`10.${i >> 8}.${i & 255}.0`));
  assert.equal(evaluations, 16_000);
  // 256 stored to learn from, then one in 16 (plus the shared values)
  assert.ok(c.size - before <= 256 + 16_000 / 16 + 4, `${c.size - before} entries for 16,000 subnets never seen again`);
  // 100 subnets that keep coming back: the map pays again, and they are no longer evaluated.
  const back = Array.from({ length: 100 }, (_, i) => `10.200.${i}.0`);
  for (let round = 0; round < 40; round++) for (const a of back) ask(a);
  const n = evaluations;
  for (const a of back) assert.deepEqual(c.get('www|1', a, noGeo), { value: pick(a), scope: undefined });
  assert.equal(evaluations, n, 'every returning subnet answered from the map');
});
