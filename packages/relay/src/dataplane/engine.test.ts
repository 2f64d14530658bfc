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
