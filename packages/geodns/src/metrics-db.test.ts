// The database gauges: values read on scrape, and cluster aggregation by the
// worst worker (min of up, max of staleness) instead of prom-client's sum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from './metrics.js';

test('geodns_db_up and geodns_db_staleness_seconds follow the source status and aggregate by the worst worker', async () => {
  const m = createMetrics();
  let status = { up: true, stalenessSeconds: 0.4 };
  m.watchDb(() => status);
  const read = async () => {
    const all = (await m.registry.getMetricsAsJSON()) as unknown as Array<{ name: string; aggregator: string; values: Array<{ value: number }> }>;
    const get = (n: string) => all.find((x) => x.name === n)!;
    return { up: get('geodns_db_up'), stale: get('geodns_db_staleness_seconds') };
  };
  let r = await read();
  assert.equal(r.up.values[0]!.value, 1);
  assert.equal(r.stale.values[0]!.value, 0.4);
  assert.equal(r.up.aggregator, 'min');
  assert.equal(r.stale.aggregator, 'max');
  status = { up: false, stalenessSeconds: 42 };
  r = await read();
  assert.equal(r.up.values[0]!.value, 0);
  assert.equal(r.stale.values[0]!.value, 42);
  const text = await m.registry.metrics();
  assert.match(text, /^geodns_db_staleness_seconds 42$/m);
});

test('without a database the db gauges are not exported', async () => {
  const text = await createMetrics().registry.metrics();
  assert.doesNotMatch(text, /geodns_db_/);
});
