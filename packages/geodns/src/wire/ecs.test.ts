import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ecsLength, parseEcs, writeEcs } from './ecs.js';
import type { Ecs } from './types.js';

test('ECS round trips: written option parses back to the same value', () => {
  const table: Ecs[] = [
    { family: 1, sourcePrefix: 24, scopePrefix: 0, address: '192.0.2.0' },
    { family: 1, sourcePrefix: 0, scopePrefix: 0, address: '0.0.0.0' },
    { family: 1, sourcePrefix: 32, scopePrefix: 24, address: '198.51.100.7' },
    { family: 2, sourcePrefix: 56, scopePrefix: 48, address: '2001:db8:12:3400::' },
    { family: 2, sourcePrefix: 128, scopePrefix: 0, address: '2001:db8::1' },
  ];
  for (const ecs of table) {
    const buf = Buffer.alloc(64);
    const end = writeEcs(buf, 0, ecs, ecs.scopePrefix);
    assert.equal(end, ecsLength(ecs));
    assert.equal(buf.readUInt16BE(0), 8);
    assert.equal(buf.readUInt16BE(2), end - 4);
    assert.deepEqual(parseEcs(buf, 4, end - 4, false), ecs);
  }
});

test('writeEcs clears address bits past the source prefix and truncates the address', () => {
  const buf = Buffer.alloc(64);
  const end = writeEcs(buf, 0, { family: 1, sourcePrefix: 20, scopePrefix: 0, address: '10.1.255.255' }, 12);
  assert.deepEqual([...buf.subarray(0, end)], [0, 8, 0, 7, 0, 1, 20, 12, 10, 1, 0xf0]);
  assert.throws(() => writeEcs(buf, 0, { family: 1, sourcePrefix: 8, scopePrefix: 0, address: '2001:db8::' }, 0));
});

test('a response may carry a scope; a query may not', () => {
  const data = Buffer.from([0, 1, 24, 16, 192, 0, 2]);
  assert.match(parseEcs(data, 0, data.length, true) as string, /scope prefix must be 0/);
  assert.deepEqual(parseEcs(data, 0, data.length, false), { family: 1, sourcePrefix: 24, scopePrefix: 16, address: '192.0.2.0' });
  const wide = Buffer.from([0, 1, 24, 33, 192, 0, 2]);
  assert.match(parseEcs(wide, 0, wide.length, false) as string, /scope prefix 33/);
});
