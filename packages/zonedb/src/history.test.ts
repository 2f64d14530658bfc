import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capSide, MAX_SIDE_CHARS, type HistoryRecord } from './history.js';

const rec = (i: number): HistoryRecord => ({ name: `h${i}.example.org`, type: 'TXT', content: `"${'x'.repeat(200)}"`, ttl: 60, prio: 0, disabled: 0 });

test('a side under the cap is stored whole', () => {
  const side = { records: [rec(1), rec(2)] };
  assert.deepEqual(JSON.parse(capSide(side)), side);
});

test('a side over the cap keeps the first records and counts the rest, staying under the cap', () => {
  const records = Array.from({ length: 10_000 }, (_, i) => rec(i)); // ~2.6 MB of JSON
  const text = capSide({ records });
  assert.ok(text.length <= MAX_SIDE_CHARS, String(text.length));
  const side = JSON.parse(text) as { records: HistoryRecord[]; omitted: number };
  assert.ok(side.records.length > 1000);
  assert.equal(side.records.length + side.omitted, 10_000);
  assert.deepEqual(side.records[0], records[0]);
});
