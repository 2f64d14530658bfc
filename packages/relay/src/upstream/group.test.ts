import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamGroup } from './group.js';
import type { UpstreamConfig } from '../config.js';

function cfg(balance: UpstreamConfig['balance'], servers: Array<[string, number, boolean?]>): UpstreamConfig {
  return {
    name: 'g', balance, proxyProtocol: 'none', tlvs: true, connectTimeoutMs: 100, tries: 2, maxFails: 2, failTimeoutMs: 1000, transparent: false,
    servers: servers.map(([a, w, b]) => ({ host: a, port: 1, address: `${a}:1`, weight: w, backup: b ?? false })),
  };
}
const count = (g: UpstreamGroup, n: number, ip = (i: number) => `10.0.${i >> 8}.${i & 255}`) => {
  const c: Record<string, number> = {};
  for (let i = 0; i < n; i++) { const s = g.pick(ip(i), new Set())!; c[s.cfg.host] = (c[s.cfg.host] ?? 0) + 1; }
  return c;
};

test('round-robin follows weights and is smooth', () => {
  const g = new UpstreamGroup(cfg('round_robin', [['a', 3], ['b', 1]]));
  assert.deepEqual(count(g, 400), { a: 300, b: 100 });
  const seq = Array.from({ length: 4 }, () => g.pick('x', new Set())!.cfg.host).join('');
  assert.ok(!seq.includes('aaaa') && seq.includes('b'), seq);
});

test('least connections prefers the idle server', () => {
  const g = new UpstreamGroup(cfg('least_conn', [['a', 1], ['b', 1]]));
  g.servers[0]!.active = 5;
  assert.equal(g.pick('x', new Set())!.cfg.host, 'b');
  g.servers[1]!.active = 9;
  assert.equal(g.pick('x', new Set())!.cfg.host, 'a');
});

test('hash: same client → same server; removing a server moves only its clients', () => {
  const g = new UpstreamGroup(cfg('hash', [['a', 1], ['b', 1], ['c', 1]]));
  const before = Array.from({ length: 300 }, (_, i) => g.pick(`198.51.${i >> 8}.${i & 255}`, new Set())!.cfg.host);
  assert.deepEqual(before, Array.from({ length: 300 }, (_, i) => g.pick(`198.51.${i >> 8}.${i & 255}`, new Set())!.cfg.host));
  const c = count(g, 3000);
  for (const k of ['a', 'b', 'c']) assert.ok(c[k]! > 600, JSON.stringify(c));
  g.servers[2]!.downUntil = Date.now() + 10_000;
  const after = Array.from({ length: 300 }, (_, i) => g.pick(`198.51.${i >> 8}.${i & 255}`, new Set())!.cfg.host);
  before.forEach((b, i) => { if (b !== 'c') assert.equal(after[i], b); else assert.notEqual(after[i], 'c'); });
});

test('passive health: max_fails marks down for fail_timeout; backups only when primaries are down', () => {
  const g = new UpstreamGroup(cfg('round_robin', [['a', 1], ['bk', 1, true]]));
  const a = g.servers[0]!;
  const now = Date.now();
  assert.equal(a.failed(now, 2, 1000), false);
  assert.equal(a.failed(now, 2, 1000), true);
  assert.equal(g.pick('x', new Set(), now)!.cfg.host, 'bk');
  assert.equal(g.pick('x', new Set(), now + 1001)!.cfg.host, 'a');
  assert.equal(g.pick('x', new Set([a]), now + 1001)!.cfg.host, 'bk');
  a.checkUp = false;
  assert.equal(g.pick('x', new Set(), now + 5000)!.cfg.host, 'bk');
  // Reload keeps the state of a server that stays.
  const g2 = new UpstreamGroup(cfg('round_robin', [['a', 1], ['c', 1]]), g);
  assert.equal(g2.servers[0]!.checkUp, false);
  assert.equal(g2.servers[1]!.checkUp, true);
});

test('reload: connections opened before it count down the same live figure (active back to 0, least_conn balanced again)', () => {
  const g1 = new UpstreamGroup(cfg('least_conn', [['a', 1], ['b', 1]]));
  const open = [0, 1, 2, 3].map(() => g1.pick('x', new Set())!);
  open.forEach((s) => s.active++);
  const g2 = new UpstreamGroup(cfg('least_conn', [['a', 1], ['b', 1]]), g1);
  assert.deepEqual(g2.servers.map((s) => s.active), [2, 2]);
  // The old connections end on the servers they were opened on (the old group's objects).
  open.forEach((s) => s.active--);
  assert.deepEqual(g2.servers.map((s) => s.active), [0, 0]);
  // least_conn over the new group: 4 new connections, 2 each.
  for (let i = 0; i < 4; i++) g2.pick('x', new Set())!.active++;
  assert.deepEqual(g2.servers.map((s) => s.active), [2, 2]);
});
