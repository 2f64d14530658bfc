import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Strikes } from './strikes.js';

test('a record is refused after its second time-limit hit in a row, not after the first', () => {
  const s = new Strikes();
  assert.equal(s.hit('bad', 'z1.'), false, 'never answered: no retry');
  assert.equal(s.refuse('bad', 'z1.'), undefined, 'the first hit is free');
  s.hit('bad', 'z1.');
  assert.match(s.refuse('bad', 'z1.') ?? '', /time limit hit 2 times in a row/);
  s.clear('bad');
  assert.doesNotMatch(s.refuse('bad', 'z1.') ?? '', /in a row/, 'a clean evaluation forgets the record (its zone stays refused)');
});

test('a zone whose records hit the limit twice is refused; other zones are not', () => {
  const s = new Strikes();
  s.hit('a', 'evil.');
  s.hit('b', 'evil.');
  assert.match(s.refuse('c', 'evil.') ?? '', /records of zone evil\. hit the time limit 2 times/);
  assert.equal(s.refuse('c', 'good.'), undefined);
});

test('a known-good record gets one retry and its first hit does not count against its zone', () => {
  const s = new Strikes();
  s.clear('ok');
  assert.equal(s.hit('ok', 'z.'), true, 'retry once');
  s.clear('ok');
  assert.equal(s.hit('ok', 'z.'), true);
  s.clear('ok');
  assert.equal(s.refuse('other', 'z.'), undefined, 'two hiccups of a good record do not close the zone');
  assert.equal(s.hit('ok', 'z.'), true);
  assert.equal(s.hit('ok', 'z.'), false, 'the second hit in a row is no hiccup');
});
