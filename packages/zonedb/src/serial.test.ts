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
