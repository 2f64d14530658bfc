import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneEpochs, ANY_ZONE } from './zone-epochs.js';
import { buildZoneSet } from '../zones/zone-set.js';
import { buildZone, type ZoneData } from '../zones/zone.js';
import { parseMasterFile } from '@geoedge/dnsdata';

function zone(origin: string, serial = 1): ZoneData {
  const text = `@ 60 IN SOA ns hm ${serial} 1 1 1 1\n@ 60 IN NS ns\nns 60 IN A 192.0.2.1\n`;
  const r = buildZone(origin, parseMasterFile(text, { origin, file: 't' }).records, 'test');
  assert.ok(r.ok);
  return r.zone;
}

test('only the zones whose object changed move on, plus slot 0 for cross-zone answers', () => {
  const e = new ZoneEpochs();
  const a = zone('a.example.'), b = zone('b.example.');
  e.update(buildZoneSet([a, b]));
  const sa = e.slot('a.example.'), sb = e.slot('b.example.');
  const before = [e.gen[sa], e.gen[sb], e.gen[ANY_ZONE]];
  assert.equal(e.update(buildZoneSet([zone('a.example.', 2), b])), 1);
  assert.equal(e.gen[sa], before[0]! + 1);
  assert.equal(e.gen[sb], before[1]);
  assert.equal(e.gen[ANY_ZONE], before[2]! + 1);
});

test('adding or removing a zone moves the zone that enclosed its names', () => {
  const e = new ZoneEpochs();
  const p = zone('example.'), other = zone('other.');
  e.update(buildZoneSet([p, other]));
  const sp = e.slot('example.'), so = e.slot('other.');
  const g = () => [e.gen[sp], e.gen[so]];
  const g0 = g();
  const child = zone('sub.example.');
  e.update(buildZoneSet([p, other, child]));
  assert.deepEqual(g(), [g0[0]! + 1, g0[1]], 'sub.example. added: example. answered its names until now');
  e.update(buildZoneSet([p, other]));
  assert.deepEqual(g(), [g0[0]! + 2, g0[1]], 'removed: example. answers them again');
});

test('slots of zones long gone are recycled by a reset that makes every stamp stale', () => {
  const e = new ZoneEpochs();
  const keep = zone('keep.');
  e.update(buildZoneSet([keep]));
  const stamp = { slot: e.slot('keep.'), gen: e.gen[e.slot('keep.')] };
  for (let i = 0; i < 1100; i++) {
    const z = zone(`z${i}.`);
    e.update(buildZoneSet([keep, z]));
    e.slot(`z${i}.`);
  }
  e.update(buildZoneSet([keep]));
  assert.ok(e.resets >= 1);
  assert.notEqual(e.gen[stamp.slot], stamp.gen, 'an answer stamped before the reset is stale');
});
