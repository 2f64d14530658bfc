// alias.* config keys, and the ALIAS cache against a loopback UDP responder:
// first ask → nothing yet (SERVFAIL upstream), then the records with the
// resolver's TTL aging, a failure answer, the refresh after maxCacheSeconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { TYPE } from '@geoedge/dnsdata';
import { ConfigError, createLogger } from '@geoedge/shared';
import { loadConfig } from '../config.js';
import { decodeMessage } from '../wire/decode.js';
import { encodeResponse } from '../wire/message.js';
import { createAliasResolver } from './resolver.js';

test('alias.resolver must be IP:port; defaults keep expansion off', () => {
  const d = loadConfig(undefined, {});
  assert.deepEqual(d.alias, { resolver: [], timeoutMs: 2000, maxCacheSeconds: 60, maxEntries: 100_000 });
  assert.throws(() => loadConfig(undefined, { alias: { resolver: ['resolver.example:53'] } } as never),
    (e: unknown) => e instanceof ConfigError && /\/alias\/resolver\/0: .*IP address/.test(e.message));
  assert.throws(() => loadConfig(undefined, { alias: { resolver: ['127.0.0.1'] } } as never), ConfigError);
  assert.throws(() => loadConfig(undefined, { alias: { resolver: [], bogus: 1 } } as never), ConfigError);
  assert.deepEqual(loadConfig(undefined, { alias: { resolver: ['[::1]:5353'] } } as never).alias.resolver, ['[::1]:5353']);
});

test('the cache: nothing, then the answer with an aging TTL, failures as failures, refresh after maxCacheSeconds', async () => {
  let version = 1;
  const asked: string[] = [];
  const srv = createSocket('udp4');
  srv.on('message', (msg, rinfo) => {
    const d = decodeMessage(msg);
    if (!d.ok) return;
    const q = d.message.questions[0]!;
    asked.push(`${q.name} ${q.type}`);
    const nx = q.name.startsWith('nope.');
    const answer = nx || q.type !== TYPE.A ? [] : [{ name: q.name, type: TYPE.A, class: 1, ttl: 300, data: { kind: 'a' as const, address: `198.51.100.${version}` } }];
    srv.send(encodeResponse({ id: d.message.id, flags: 0x8180 | (nx ? 3 : 0), question: msg.subarray(12, msg.length - (d.message.opt ? 11 : 0)), answer, authority: [], additional: [] }, 512), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => srv.bind(0, '127.0.0.1', r));
  let t = 1_000_000;
  const a = createAliasResolver({
    resolvers: [{ host: '127.0.0.1', port: (srv.address() as AddressInfo).port }],
    timeoutMs: 1000, maxCacheSeconds: 10, maxEntries: 100, log: createLogger({ name: 't', level: 'silent' }), now: () => t,
  });
  // Waits until no fetch is running (loopback replies take well under a second, even on a loaded machine).
  const settle = async () => {
    const n = asked.length;
    for (let i = 0; i < 100 && asked.length === n; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
  };
  try {
    assert.equal(a.lookup('lb.example.net.', TYPE.A), undefined, 'not fetched yet');
    await settle();
    assert.deepEqual(a.lookup('lb.example.net.', TYPE.A), { ok: true, records: [{ kind: 'a', address: '198.51.100.1' }], ttl: 300 });
    t += 4_000;
    assert.equal((a.lookup('lb.example.net.', TYPE.A) as { ttl: number }).ttl, 296, 'the TTL ages with the entry');
    assert.deepEqual(a.lookup('lb.example.net.', TYPE.AAAA), undefined);
    await settle();
    assert.deepEqual(a.lookup('lb.example.net.', TYPE.AAAA), { ok: true, records: [], ttl: 30 }, 'no such type: empty');
    a.lookup('nope.example.net.', TYPE.A);
    await settle();
    assert.deepEqual(a.lookup('nope.example.net.', TYPE.A), { ok: false }, 'NXDOMAIN is a failure');
    version = 2;
    t += 7_000; // past maxCacheSeconds: the stale answer is served while the refresh runs
    assert.equal((a.lookup('lb.example.net.', TYPE.A) as { records: Array<{ address: string }> }).records[0]!.address, '198.51.100.1');
    await settle();
    assert.equal((a.lookup('lb.example.net.', TYPE.A) as { records: Array<{ address: string }> }).records[0]!.address, '198.51.100.2');
    assert.equal(asked.filter((x) => x === 'lb.example.net. 1').length, 2, 'one fetch per refresh, not one per query');
  } finally {
    await a.close();
    srv.close();
  }
});
