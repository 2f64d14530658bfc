// The engine as the TCP plane, over a fake libc: one client descriptor from
// accept to close — accepted, its first bytes read, the upstream connected,
// the two relayed with the head in front — without ever leaving the engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeLibc } from './fake-libc.js';
import { createEngine } from './engine.js';
import { UpstreamServer } from '../upstream/server.js';
import type { LinkStats } from './plane.js';

test('accept → read the first bytes → connect → attach: the client fd is relayed as accepted, bytes not consumed by the reader follow the head', async () => {
  const lib = new FakeLibc();
  const watch = lib.watch();
  const engine = createEngine(lib.libc(), { splice: false, onError: (e) => { throw e; } }, watch, 'x64');
  const accepted: number[] = [];
  const bound = await engine.listen({ host: '127.0.0.1', port: 443 }, { reusePort: false, onAccept: (fd) => accepted.push(fd), onError: () => {} });
  const lfd = [...lib.backlog.keys()][0]!;
  lib.incoming(lfd);
  watch.turn();
  const client = accepted[0]!;
  const C = lib.peer(client);
  let first = '';
  engine.read(client, { onBytes: (b) => { first += b.toString(); engine.read(client, undefined); }, onEnd() {} });
  C.write('hello ');
  watch.turn();
  C.write('world');
  assert.equal(first, 'hello ');
  let up: number | undefined;
  const server = new UpstreamServer({ host: '192.0.2.1', port: 80, address: '192.0.2.1:80', weight: 1, backup: false });
  assert.equal(engine.connect(server, 1000, { connected: (fd, failure) => { assert.equal(failure, undefined); up = fd; } }), undefined);
  const U = lib.peer([...lib.sockets.keys()].pop()!);
  U.connected();
  watch.turn();
  assert.equal(up, U.fd);
  const closed: LinkStats[] = [];
  const link = engine.attach(client, up!, Buffer.from(`HDR ${first}`), { idleMs: 60_000, onClose: (s) => closed.push(s) });
  assert.ok(link);
  assert.equal(U.read(), 'HDR hello world', 'the head, then what the reader left in the socket');
  U.write('reply');
  U.end();
  watch.turn();
  assert.equal(C.read(), 'reply');
  C.end();
  watch.turn();
  assert.deepEqual(closed, [{ toUpstream: 5, toClient: 5, reason: 'done' }]);
  assert.ok(C.closed && U.closed);
  bound.close();
  assert.equal(watch.watching, false, 'an idle engine keeps no process alive');
});

test('an upstream given by name: connect_timeout bounds the name look-up too; a late answer is dropped, a quick one connects', async () => {
  const lib = new FakeLibc();
  const watch = lib.watch();
  const pending: Array<(a: { address: string }) => void> = [];
  const engine = createEngine(lib.libc(), { splice: false, onError: (e) => { throw e; }, resolve: () => new Promise((r) => pending.push(r)) }, watch, 'x64');
  const server = new UpstreamServer({ host: 'backend.internal', port: 80, address: 'backend.internal:80', weight: 1, backup: false });
  // A resolver that does not answer: the connect fails within its timeout, not when getaddrinfo gives up.
  const results: Array<{ fd?: number; failure?: string; ms: number }> = [];
  const t0 = performance.now();
  assert.equal(engine.connect(server, 100, { connected: (fd, failure) => results.push({ fd, failure, ms: performance.now() - t0 }) }), undefined);
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(results.length, 1);
  assert.match(results[0]!.failure!, /resolve backend\.internal: timed out after 100 ms/);
  assert.ok(results[0]!.ms < 240, `failed after ${results[0]!.ms} ms`);
  // The answer arriving later opens nothing and reports nothing more.
  const sockets = lib.sockets.size;
  pending.shift()!({ address: '192.0.2.7' });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(results.length, 1);
  assert.equal(lib.sockets.size, sockets, 'no socket opened for a connect already failed');
  // An answer in time: connected to the address it named.
  let up: number | undefined;
  engine.connect(server, 1000, { connected: (fd, failure) => { assert.equal(failure, undefined); up = fd; } });
  pending.shift()!({ address: '192.0.2.7' });
  await new Promise((r) => setTimeout(r, 10));
  const U = lib.peer([...lib.sockets.keys()].pop()!);
  U.connected();
  watch.turn();
  assert.equal(up, U.fd);
});
