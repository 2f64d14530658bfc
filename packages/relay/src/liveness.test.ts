// The /healthz decision: a loop timer or an engine probe older than the stall
// limit is unhealthy, and says which; and the probe really goes through the
// engine's loop (a stalled engine leaves the poke unanswered).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verdict, createLiveness } from './liveness.js';
import { dataPlane } from './dataplane/engine.js';

test('verdict: loop and engine stamps against the stall limit', () => {
  const now = 100_000;
  assert.equal(verdict({ loopAt: now - 500, pokedAt: now - 500, answeredAt: now - 499 }, now, 3000), undefined);
  assert.equal(verdict({ loopAt: now - 500, pokedAt: now - 2000, answeredAt: now - 3000 }, now, 3000), undefined, 'a poke younger than the limit');
  assert.match(verdict({ loopAt: now - 500, pokedAt: now - 3500, answeredAt: now - 9000 }, now, 3000)!, /^data plane engine has not turned for 3500 ms/);
  assert.match(verdict({ loopAt: now - 4000, pokedAt: 0, answeredAt: 0 }, now, 3000)!, /^event loop has not turned for 4000 ms/);
  assert.equal(verdict({ loopAt: now, pokedAt: 0, answeredAt: 0 }, now, 3000), undefined, 'no engine (streams)');
});

test('the probe goes through the engine: healthy while it turns, unhealthy while it is stalled, healthy again after', async () => {
  const engine = dataPlane({ splice: false });
  const live = createLiveness(engine, 300, 50);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await sleep(400);
  assert.equal(live.unhealthy(), undefined);
  engine.stall(1200);
  await sleep(700);
  assert.match(live.unhealthy() ?? '', /^data plane engine has not turned/);
  await sleep(1000);
  assert.equal(live.unhealthy(), undefined);
  live.close();
});
