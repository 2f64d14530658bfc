import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DynamicCache } from './dynamic-cache.js';

const base = { cacheable: true, address: false, health: false };

test('geo-keyed answers are shared within a network and not across', () => {
  let epoch = 1;
  const c = new DynamicCache<string>(() => epoch);
  const netOf = (ip: string) => () => (ip.startsWith('81.2.69.') ? '81.2.69.0/24' : '89.160.20.0/20');
  assert.equal(c.set('www|1', '81.2.69.142', { ...base, geo: { network: '81.2.69.0', prefix: 24 } }, 'EU')?.scope, 24);
  assert.equal(c.get('www|1', '81.2.69.7', netOf('81.2.69.7'))?.value, 'EU');
  assert.equal(c.get('www|1', '89.160.20.1', netOf('89.160.20.1')), undefined);
  epoch = 2; // health change or GeoIP swap
  assert.equal(c.get('www|1', '81.2.69.7', netOf('81.2.69.7')), undefined);
});

test('address-keyed, client-independent and uncacheable answers', () => {
  const c = new DynamicCache<string>(() => 0);
  c.set('a|1', '192.0.2.1', { ...base, address: true }, 'x');
  assert.equal(c.get('a|1', '192.0.2.1', () => undefined)?.value, 'x');
  assert.equal(c.get('a|1', '192.0.2.2', () => undefined), undefined);
  assert.equal(c.set('b|1', '192.0.2.1', base, 'all')?.scope, 0);
  assert.equal(c.get('b|1', '198.51.100.9', () => assert.fail('no GeoIP lookup needed'))?.value, 'all');
  assert.equal(c.set('r|1', '192.0.2.1', { ...base, cacheable: false }, 'rnd'), undefined);
  assert.equal(c.get('r|1', '192.0.2.1', () => undefined), undefined);
});

test('a network answer found once is then served to that address without a GeoIP lookup, and still dies with the epoch', () => {
  let epoch = 1;
  const c = new DynamicCache<string>(() => epoch);
  let lookups = 0;
  const net = () => { lookups++; return '81.2.69.0/24'; };
  c.set('www|1', '81.2.69.142', { ...base, geo: { network: '81.2.69.0', prefix: 24 } }, 'EU');
  assert.deepEqual(c.get('www|1', '81.2.69.7', net), { value: 'EU', scope: 24 });
  assert.deepEqual(c.get('www|1', '81.2.69.7', net), { value: 'EU', scope: 24 }, 'the network scope, not the source prefix');
  assert.equal(lookups, 1);
  epoch = 2;
  assert.equal(c.get('www|1', '81.2.69.7', net), undefined);
});

test('with an identity, equal answers of one name share one stored value (scope kept apart)', () => {
  const c = new DynamicCache<{ bytes: string }>(() => 0, (v) => v.bytes);
  const geo = (network: string, prefix: number) => ({ ...base, geo: { network, prefix } });
  const a = c.set('www|1', '81.2.69.1', geo('81.2.69.0', 24), { bytes: 'EU-PoP' });
  const b = c.set('www|1', '81.2.70.1', geo('81.2.70.0', 24), { bytes: 'EU-PoP' });
  const d = c.set('www|1', '81.3.0.1', geo('81.3.0.0', 16), { bytes: 'EU-PoP' });
  const e = c.set('www|1', '8.8.8.8', geo('8.8.0.0', 17), { bytes: 'US-PoP' });
  assert.equal(a, b, 'same answer, same scope: one stored value');
  assert.notEqual(a, d, 'same bytes but another scope: kept apart');
  assert.equal(d?.scope, 16);
  assert.equal(e?.value.bytes, 'US-PoP');
  assert.equal(c.get('www|1', '81.2.70.9', () => '81.2.70.0/24')?.value.bytes, 'EU-PoP');
  assert.equal(c.get('www|1', '8.8.8.9', () => '8.8.0.0/17')?.value.bytes, 'US-PoP');
  const x = c.set('h|1', '192.0.2.1', { ...base, address: true }, { bytes: 'h' });
  assert.equal(c.set('h|1', '192.0.2.2', { ...base, address: true }, { bytes: 'h' }), x);
  assert.equal(x?.scope, undefined);
});
