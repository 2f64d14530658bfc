import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInSlices } from './slices.js';

function* busy(ms: number, steps: number): Generator<void, string> {
  for (let i = 0; i < steps; i++) {
    const until = performance.now() + ms;
    while (performance.now() < until) { /* work */ }
    yield;
  }
  return 'done';
}

test('runInSlices lets timers run between slices and returns the result', async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const r = await runInSlices(busy(1, 200)); // ~200 ms of work
  clearInterval(timer);
  assert.equal(r, 'done');
  assert.ok(ticks >= 5, `the event loop ran ${ticks} times meanwhile`);
});

test('runInSlices gives up between slices once stop() is true', async () => {
  let n = 0;
  const r = await runInSlices(busy(1, 1000), () => ++n >= 3);
  assert.equal(r, undefined);
});
