import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTtl } from './ttl.js';

test('parseTtl reads seconds and BIND units', () => {
  const cases: [string, number][] = [
    ['0', 0], ['3600', 3600], ['1h', 3600], ['1H30m', 5400], ['2d', 172800], ['1w', 604800],
    ['1w2d3h4m5s', 788645], ['1h30', 3630], ['4294967295', 4294967295],
  ];
  for (const [text, want] of cases) assert.equal(parseTtl(text), want, text);
});

test('parseTtl rejects bad values', () => {
  for (const t of ['', 'h', '1x', '-1', '1.5', '4294967296', '1 h']) assert.throws(() => parseTtl(t), /time value/, t);
  assert.throws(() => parseTtl('2147483648', 2147483647), /over 2147483647/);
  assert.equal(parseTtl('2147483647', 2147483647), 2147483647);
});
