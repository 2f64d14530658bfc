import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerCache } from './answer-cache.js';

test('cache keeps hot keys across generations and bounds its size', () => {
  const c = new AnswerCache<number>(10);
  c.set('hot', 1);
  for (let i = 0; i < 1000; i++) {
    c.set(`k${i}`, i);
    assert.equal(c.get('hot'), 1, `hot key lost at ${i}`);
    assert.ok(c.size <= 20, `size ${c.size} exceeds two generations`);
  }
  assert.equal(c.get('k0'), undefined);
  assert.equal(c.get('k999'), 999);
});
