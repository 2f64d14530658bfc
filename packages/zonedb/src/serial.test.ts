import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dateSerial, increaseSerial, soaSerialOf, withSerial } from './serial.js';

const NOW = new Date(2024, 4, 20, 12, 0, 0); // local time, as PowerDNS's localtime()

test('DEFAULT: today\'s YYYYMMDD01 when larger, else serial + 1', () => {
  assert.equal(dateSerial(NOW, 1), 2024052001);
  assert.equal(increaseSerial(0, 'DEFAULT', '', NOW), 2024052001);
  assert.equal(increaseSerial(2024051999, 'DEFAULT', '', NOW), 2024052001);
  assert.equal(increaseSerial(2024052001, 'DEFAULT', '', NOW), 2024052002);
  assert.equal(increaseSerial(2099010101, 'default', '', NOW), 2099010102);
});

test('INCREASE, EPOCH, SOA-EDIT-INCREASE, unknown kinds', () => {
  assert.equal(increaseSerial(41, 'INCREASE', '', NOW), 42);
  assert.equal(increaseSerial(0xffffffff, 'INCREASE', '', NOW), 0, 'wraps like a uint32');
  assert.equal(increaseSerial(5, 'EPOCH', '', NOW), Math.floor(NOW.getTime() / 1000));
  assert.equal(increaseSerial(5, 'SOA-EDIT-INCREASE', '', NOW), 6);
  assert.equal(increaseSerial(5, 'SOA-EDIT-INCREASE', 'EPOCH', NOW), Math.floor(NOW.getTime() / 1000));
  assert.equal(increaseSerial(5, 'INCEPTION-INCREMENT', '', NOW), 5, 'not an API kind: left alone, as PowerDNS does');
  assert.equal(increaseSerial(5, '', '', NOW), 5);
});

test('SOA content serial read and replaced', () => {
  const soa = 'ns1.example.org h.example.org 7 10800 3600 604800 3600';
  assert.equal(soaSerialOf(soa), 7);
  assert.equal(withSerial(soa, 8), 'ns1.example.org h.example.org 8 10800 3600 604800 3600');
  assert.equal(soaSerialOf('ns1 h'), undefined);
  assert.equal(soaSerialOf('a b x 1 2 3 4'), undefined);
});

test('SOA-EDIT INCEPTION-INCREMENT and INCREMENT-WEEKS count weeks from Thursday 00:00 UTC, as PowerDNS', () => {
  const tz = process.env.TZ;
  process.env.TZ = 'UTC'; // PowerDNS formats inception in local time; pin it
  try {
    const thu = new Date(Date.UTC(2026, 11, 3, 8, 30)); // a Thursday: inception is today
    const sat = new Date(Date.UTC(2026, 11, 5, 23, 0)); // two days on: still +2
    const sun = new Date(Date.UTC(2026, 11, 6, 1, 0)); // past <inception+2>99: unchanged
    const wed = new Date(Date.UTC(2026, 11, 2, 8, 30)); // the week began on 2026-11-26
    const edit = (s: number, now: Date) => increaseSerial(s, 'SOA-EDIT', 'INCEPTION-INCREMENT', now);
    assert.equal(edit(2026112001, thu), 2026120301, 'older than <inceptionday>00: becomes <inceptionday>01');
    assert.equal(edit(2026120300, thu), 2026120302, '<inceptionday>00 and 01 are kept for inception: 02');
    assert.equal(edit(2026120301, thu), 2026120302);
    assert.equal(edit(2026120302, thu), 2026120303, 'later ones count up');
    assert.equal(edit(2026120302, sat), 2026120303);
    assert.equal(edit(2026120599, sat), 2026120600);
    assert.equal(edit(2026120600, sun), 2026120600, 'past <inception + 2 days>99: left alone');
    assert.equal(edit(2026120302, wed), 2026120302, 'past 2026112899: left alone');
    assert.equal(edit(2026112601, wed), 2026112602);
    assert.equal(increaseSerial(2026120302, 'SOA-EDIT-INCREASE', 'INCEPTION-INCREMENT', wed), 2026120303, 'at least serial + 1');
    const weeks = Math.floor(thu.getTime() / 1000 / (7 * 86400));
    assert.equal(increaseSerial(10, 'SOA-EDIT', 'INCREMENT-WEEKS', thu), 10 + weeks);
    assert.equal(increaseSerial(10, 'SOA-EDIT', 'INCREMENT-WEEKS', wed), 10 + weeks - 1, 'Wednesday is still the previous week');
  } finally {
    if (tz === undefined) delete process.env.TZ; else process.env.TZ = tz;
  }
});
