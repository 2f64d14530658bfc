import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createLogger } from '@geoedge/shared';
import { SeenFilter } from './seen-filter.js';
import { buildChain } from '../chain.js';
import { createMetrics } from '../metrics.js';
import { DEFAULT_ZONES } from '../config.js';
import { loadZoneText } from '../zones/file-source.js';
import { buildZoneSet } from '../zones/zone-set.js';
import { buildQuery } from '../wire/query-builder.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Peer } from '../server.js';

test('SeenFilter: a hash is new once, then seen; a newer hash in its slot takes it over', () => {
  const f = new SeenFilter(1024);
  assert.equal(f.seenBefore(5), false);
  assert.equal(f.seenBefore(5), true);
  assert.equal(f.seenBefore(5 + 1024), false, 'same slot, another hash');
  assert.equal(f.seenBefore(5), false, 'forgotten: its slot was taken');
  assert.equal(f.seenBefore(0), false);
  assert.equal(f.seenBefore(0), true, '0 is a hash like any other');
});

test('a flood of random names under a wildcard leaves nothing on the heap; a name asked again is then answered from the cache', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const file = join(DEFAULT_ZONES, 'example.com.zone');
  const loaded = loadZoneText(file, readFileSync(file, 'utf8'));
  assert.equal(loaded.kind, 'ok');
  const zones = buildZoneSet([loaded.kind === 'ok' ? loaded.zone : assert.fail()]);
  const metrics = createMetrics();
  const handle = buildChain({ snapshot: () => zones, log: createLogger({ name: 't', level: 'silent' }), metrics, logQueries: false, ednsPayload: 1232, chainLimit: 12 });
  const peer: Peer = { transport: 'udp', address: '192.0.2.1', port: 5353, localAddress: '127.0.0.1', ip: new Uint8Array([192, 0, 2, 1]), ipAt: 0, ipLen: 4 };
  const ask = (qname: string) => handle(buildQuery({ qname, qtype: 1, edns: {} }), peer)!;
  for (let i = 0; i < 2000; i++) ask(`warm${i}.wild.example.com`);
  gc();
  const before = process.memoryUsage().heapUsed;
  const N = 200_000;
  for (let i = 0; i < N; i++) assert.equal(ask(`n${i}x${(i * 2654435761) >>> 0}.wild.example.com`).readUInt16BE(6), 1);
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  // A map of "qname\0qtype" strings kept ~100 bytes a name (20 MB here, and up to a million names).
  assert.ok(grown < 4 * 1024 * 1024, `heap grew ${(grown / 1048576).toFixed(1)} MB over ${N} names asked once`);
  // Second sight compiles and stores; the third is a cache hit.
  const hits = metrics.answerCache.staticHit;
  ask('again.wild.example.com');
  ask('again.wild.example.com');
  assert.equal(metrics.answerCache.staticHit, hits);
  ask('again.wild.example.com');
  assert.equal(metrics.answerCache.staticHit, hits + 1);
});
