import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closestIndex, haversineKm } from './closest.js';

test('haversine distances match known great-circle figures', () => {
  const london = { lat: 51.5074, lon: -0.1278 }, paris = { lat: 48.8566, lon: 2.3522 };
  assert.ok(Math.abs(haversineKm(london, paris) - 343.5) < 3);
  const ny = { lat: 40.7128, lon: -74.006 };
  assert.ok(Math.abs(haversineKm(london, ny) - 5570) < 15);
  assert.equal(haversineKm(paris, paris), 0);
});

test('across the antimeridian: Fiji is closer to Samoa than to Perth', () => {
  const fiji = { lat: -17.7, lon: 178.0 }, samoa = { lat: -13.8, lon: -171.8 }, perth = { lat: -31.95, lon: 115.86 };
  assert.ok(haversineKm(fiji, samoa) < 1200);
  assert.equal(closestIndex(fiji, [perth, samoa]), 1);
});

test('candidates without a location rank last; none located gives -1', () => {
  const here = { lat: 50, lon: 8 };
  assert.equal(closestIndex(here, [undefined, { lat: -33, lon: 151 }]), 1);
  assert.equal(closestIndex(here, [undefined, undefined]), -1);
  assert.equal(closestIndex(here, [{ lat: 50, lon: 9 }, { lat: 50, lon: 9 }]), 0); // tie: first
});
