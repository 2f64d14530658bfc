import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DynamicCache } from './dynamic-cache.js';
import { ZoneEpochs } from './zone-epochs.js';
import type { AnswerDeps } from './lua.js';

const base: AnswerDeps = { cacheable: true, address: false, health: false, crossZone: false, sig: '' };
const geoDeps = (network: string, prefix: number): AnswerDeps => ({ ...base, geo: { network, prefix } });

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
  const netOf = (ip: string) => () => (ip.startsWith('81.2.69.') ? '81.2.69.0/24' : '89.160.20.0/20');
  assert.equal(c.set('www|1', '81.2.69.142', geoDeps('81.2.69.0', 24), 'EU', za)?.scope, 24);
  assert.equal(c.get('www|1', '81.2.69.7', netOf('81.2.69.7'))?.value, 'EU');
  assert.equal(c.get('www|1', '89.160.20.1', netOf('89.160.20.1')), undefined);
  ep.health++; // a health flap: this answer read no check
  assert.equal(c.get('www|1', '81.2.69.7', netOf('81.2.69.7'))?.value, 'EU');
  ep.geo++;
  assert.equal(c.get('www|1', '81.2.69.7', netOf('81.2.69.7')), undefined);
});

test('address-keyed, client-independent and uncacheable answers', () => {
  const { c, za } = setup<string>();
  c.set('a|1', '192.0.2.1', { ...base, address: true }, 'x', za);
  assert.equal(c.get('a|1', '192.0.2.1', () => undefined)?.value, 'x');
  assert.equal(c.get('a|1', '192.0.2.2', () => undefined), undefined);
  assert.equal(c.set('b|1', '192.0.2.1', base, 'all', za)?.scope, 0);
  assert.equal(c.get('b|1', '198.51.100.9', () => assert.fail('no GeoIP lookup needed'))?.value, 'all');
  assert.equal(c.set('r|1', '192.0.2.1', { ...base, cacheable: false }, 'rnd', za), undefined);
  assert.equal(c.get('r|1', '192.0.2.1', () => undefined), undefined);
});

test('a change of the zone ends its answers, every kind of them; another zone keeps its own', () => {
  const { c, zones, za, zb } = setup<string>();
  c.set('all.a|1', '192.0.2.1', base, 'old', za);
  c.set('geo.a|1', '81.2.69.1', geoDeps('81.2.69.0', 24), 'old', za);
  c.set('geo.a|1', '81.2.70.1', geoDeps('81.2.70.0', 24), 'old', za);
  c.set('who.a|1', '192.0.2.1', { ...base, address: true }, 'old', za);
  c.set('all.b|1', '192.0.2.1', base, 'b', zb);
  // The network answer was also remembered per address by a get.
  assert.equal(c.get('geo.a|1', '81.2.70.9', () => '81.2.70.0/24')?.value, 'old');
  zones.gen[za]!++;
  assert.equal(c.get('all.a|1', '192.0.2.1', () => undefined), undefined);
  assert.equal(c.get('geo.a|1', '81.2.69.9', () => '81.2.69.0/24'), undefined);
  assert.equal(c.get('geo.a|1', '81.2.70.9', () => '81.2.70.0/24'), undefined, 'nor the copy kept per address');
  assert.equal(c.get('who.a|1', '192.0.2.1', () => undefined), undefined);
  assert.equal(c.get('all.b|1', '192.0.2.1', () => undefined)?.value, 'b');
});

test('answers that read health state end with a health change; others stay', () => {
  const { c, ep, za } = setup<string>();
  c.set('up|1', '192.0.2.1', { ...base, health: true }, 'up', za);
  c.set('plain|1', '192.0.2.1', base, 'plain', za);
  ep.health++;
  assert.equal(c.get('up|1', '192.0.2.1', () => undefined), undefined);
  assert.equal(c.get('plain|1', '192.0.2.1', () => undefined)?.value, 'plain');
});

test('a network answer found once is then served to that address without a GeoIP lookup', () => {
  const { c, za } = setup<string>();
  let lookups = 0;
  const net = () => { lookups++; return '81.2.69.0/24'; };
  c.set('www|1', '81.2.69.142', geoDeps('81.2.69.0', 24), 'EU', za);
  assert.deepEqual(c.get('www|1', '81.2.69.7', net), { value: 'EU', scope: 24 });
  assert.deepEqual(c.get('www|1', '81.2.69.7', net), { value: 'EU', scope: 24 }, 'the network scope, not the source prefix');
  assert.equal(lookups, 1);
});

test('equal answers of one name share one stored value (scope kept apart)', () => {
  const { c, za } = setup<{ bytes: string }>();
  const a = c.set('www|1', '81.2.69.1', geoDeps('81.2.69.0', 24), { bytes: 'EU-PoP' }, za);
  const b = c.set('www|1', '81.2.70.1', geoDeps('81.2.70.0', 24), { bytes: 'EU-PoP' }, za);
  const d = c.set('www|1', '81.3.0.1', geoDeps('81.3.0.0', 16), { bytes: 'EU-PoP' }, za);
  const e = c.set('www|1', '8.8.8.8', geoDeps('8.8.0.0', 17), { bytes: 'US-PoP' }, za);
  assert.equal(a, b, 'same answer, same scope: one stored value');
  assert.notEqual(a, d, 'same bytes but another scope: kept apart');
  assert.equal(d?.scope, 16);
  assert.equal(e?.value.bytes, 'US-PoP');
  assert.equal(c.get('www|1', '81.2.70.9', () => '81.2.70.0/24')?.value.bytes, 'EU-PoP');
  assert.equal(c.get('www|1', '8.8.8.9', () => '8.8.0.0/17')?.value.bytes, 'US-PoP');
  const x = c.set('h|1', '192.0.2.1', { ...base, address: true }, { bytes: 'h' }, za);
  assert.equal(c.set('h|1', '192.0.2.2', { ...base, address: true }, { bytes: 'h' }, za), x);
  assert.equal(x?.scope, undefined);
});

test('a flood of client addresses and names is bounded by maxEntries; a hot name survives', () => {
  const { c, za } = setup<string>(10_000);
  c.set('hot|1', '192.0.2.1', base, 'hot', za);
  for (let i = 0; i < 200_000; i++) {
    const name = `n${i % 5000}|1`;
    c.set(name, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, { ...base, address: true }, 'x', za);
    if (i % 1000 === 0) assert.equal(c.get('hot|1', '192.0.2.9', () => undefined)?.value, 'hot');
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
  assert.equal(cache.get('www|1', '10.0.0.5', () => '10.0.0.5/32')?.value, 'EU');
});
