import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamGroup } from './group.js';
import { Attempts } from './connect.js';
import type { UpstreamConfig } from '../config.js';

function group(hosts: string[], tries: number, maxFails = 1): UpstreamGroup {
  return new UpstreamGroup({
    name: 'g', balance: 'round_robin', proxyProtocol: 'none', tlvs: true, connectTimeoutMs: 100, tries, maxFails, failTimeoutMs: 10_000, transparent: false,
    servers: hosts.map((h) => ({ host: h, port: 80, address: `${h}:80`, weight: 1, backup: false })),
  } satisfies UpstreamConfig);
}

test('Attempts: distinct servers up to tries, each active while tried, failures feed passive health', () => {
  const g = group(['192.0.2.1', '192.0.2.2', '192.0.2.3'], 2);
  const at = new Attempts(g, '198.51.100.7');
  const first = at.next()!;
  assert.equal(first.active, 1);
  assert.ok(first.sockaddr, 'an IP literal has its sockaddr ready');
  at.failed(first);
  assert.equal(first.active, 0);
  assert.equal(first.available(Date.now()), false, 'max_fails 1: marked down');
  const second = at.next()!;
  assert.notEqual(second, first);
  assert.equal(at.current, second);
  assert.equal(second.active, 1);
  at.failed(second);
  assert.equal(at.next(), undefined, 'tries 2: no third server');
  assert.equal(at.code, 'ERR_UPSTREAM_CONNECT');
  assert.deepEqual(g.servers.map((s) => s.active), [0, 0, 0]);
});

test('Attempts: a group with nothing to pick says ERR_NO_UPSTREAM; a success leaves the server active', () => {
  const none = new Attempts(group([], 3), '198.51.100.7');
  assert.equal(none.next(), undefined);
  assert.equal(none.code, 'ERR_NO_UPSTREAM');
  const g = group(['192.0.2.1'], 3);
  const at = new Attempts(g, '198.51.100.7');
  const s = at.next()!;
  at.failed(s);
  assert.equal(at.next(), undefined, 'the one server was tried: never twice for one connection');
  const ok = new Attempts(group(['192.0.2.9'], 1), '198.51.100.7');
  assert.equal(ok.next()!.active, 1, 'stays counted until the connection ends');
});
