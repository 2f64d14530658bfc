// The accepting side over a fake libc: accept4 in batches with the peer and
// local addresses, the pause when out of descriptors, and reading a client's
// first bytes on its own descriptor (stop, FIN, reset).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeLibc } from './fake-libc.js';
import { Loop } from './loop.js';
import { Acceptor, ClientReader } from './listen.js';
import { EPOLLIN, EPOLLRDHUP } from './linux.js';
import type { ProxyAddress } from '../wire/proxy-types.js';

function setup() {
  const lib = new FakeLibc();
  const c = lib.libc();
  const watch = lib.watch();
  const loop = new Loop(c, watch, (e) => { throw e; });
  return { lib, c, loop, watch, acceptor: new Acceptor(loop), reader: new ClientReader(loop) };
}

test('accepted clients come with their peer and the listener\'s address; unlisten stops accepting', () => {
  const { lib, acceptor, watch } = setup();
  const got: Array<[number, ProxyAddress, ProxyAddress]> = [];
  const errors: string[] = [];
  const r = acceptor.listen('127.0.0.1', 8443, { reusePort: false, onAccept: (fd, peer, local) => got.push([fd, peer, local]), onError: (m) => errors.push(m) });
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.deepEqual(r.address, { address: '127.0.0.1', port: 8443, family: 4 });
  lib.incoming(r.fd, '198.51.100.7', 40001);
  lib.incoming(r.fd, '198.51.100.8', 40002);
  watch.turn();
  assert.deepEqual(got.map(([, p, l]) => [p.address, p.port, l.address, l.port]), [['198.51.100.7', 40001, '127.0.0.1', 8443], ['198.51.100.8', 40002, '127.0.0.1', 8443]]);
  assert.deepEqual(errors, []);
  acceptor.unlisten(r.fd);
  assert.equal(watch.watching, false);
});

test('out of descriptors: one error line, the listener rests (no spinning) and accepts again after 200 ms', async () => {
  const { lib, acceptor, watch } = setup();
  const got: number[] = [];
  const errors: string[] = [];
  const r = acceptor.listen('127.0.0.1', 8443, { reusePort: false, onAccept: (fd) => got.push(fd), onError: (m) => errors.push(m) });
  if (!r.ok) throw new Error(r.message);
  lib.acceptErrno = 24;
  lib.backlog.get(r.fd)!.push({ address: '198.51.100.7', port: 1 }, { address: '198.51.100.7', port: 2 });
  lib.backlog.get(r.fd)!.shift = function () { return undefined; }; // accept4 fails while the backlog is full
  lib.edge(r.fd);
  const turns = watch.turn(20);
  assert.equal(turns, 1, 'the listener left the epoll set: no busy loop');
  assert.deepEqual(errors, ['accept: EMFILE; accepting again in 200 ms']);
  delete (lib.backlog.get(r.fd) as { shift?: unknown }).shift;
  lib.acceptErrno = 11;
  await new Promise((res) => setTimeout(res, 260));
  watch.turn();
  assert.equal(got.length, 2, 'accepting again');
});

test("a client's first bytes go to its sink until it stops; the rest waits in the socket", () => {
  const { lib, c, reader, watch, loop } = setup();
  const fd = c.socket(2, 1, 0) as number;
  const s = lib.peer(fd);
  s.connecting = false;
  const chunks: string[] = [];
  const ends: Array<string | undefined> = [];
  const sink = { onBytes: (b: Buffer) => { chunks.push(b.toString()); if (chunks.length === 2) reader.read(fd, undefined); }, onEnd: (e: string | undefined) => ends.push(e) };
  s.write('PROXY TCP4 ');
  assert.ok(reader.read(fd, sink));
  assert.equal(loop.has(fd), true, 'the socket joined the epoll set, edge-triggered, for good');
  watch.turn();
  assert.deepEqual(chunks, ['PROXY TCP4 ']);
  s.write('198.51.100.7 ');
  s.write('more');
  watch.turn();
  assert.deepEqual(chunks, ['PROXY TCP4 ', '198.51.100.7 more']);
  const reads = s.recvCalls;
  s.write('after');
  // Another socket keeps the loop turning (a pending upstream connect, say).
  const other = c.socket(2, 1, 0) as number;
  loop.addEdge(other);
  loop.on(other, { onEvent() {} });
  s.end();
  watch.turn();
  assert.equal(s.recvCalls, reads, 'stopped: nothing more is read');
  assert.equal(Buffer.concat(s.rx).toString(), 'after', 'left in the socket for attach');
  assert.deepEqual(ends, []);
  assert.equal(loop.takeEarly(fd) & EPOLLRDHUP, EPOLLRDHUP, 'the FIN is remembered for attach');
});

test('a client that half-closes or resets while read: onEnd, once', () => {
  const { lib, c, reader, watch } = setup();
  const mk = () => { const fd = c.socket(2, 1, 0) as number; lib.peer(fd).connecting = false; return fd; };
  const a = mk(), b = mk();
  const ends: Array<[number, string | undefined]> = [];
  const sink = (fd: number) => ({ onBytes() {}, onEnd: (e: string | undefined) => ends.push([fd, e]) });
  reader.read(a, sink(a));
  reader.read(b, sink(b));
  lib.peer(a).write('GET');
  lib.peer(a).end();
  lib.peer(b).reset();
  watch.turn();
  watch.turn();
  assert.deepEqual(ends, [[a, undefined], [b, 'client_error:ECONNRESET']]);
});

test('prepare runs on the listening socket before bind; its failure refuses the listen and closes the socket', () => {
  const { lib, acceptor } = setup();
  const seen: Array<[number, boolean, boolean]> = [];
  const ok = acceptor.listen('::1', 8443, { reusePort: false, onAccept() {}, onError() {}, prepare: (fd, v6) => { seen.push([fd, v6, lib.bound.has(fd)]); return undefined; } });
  assert.ok(ok.ok);
  assert.deepEqual(seen.map(([, v6, bound]) => [v6, bound]), [[true, false]], 'IPv6, not bound yet');
  const refused = acceptor.listen('127.0.0.1', 8444, { reusePort: false, onAccept() {}, onError() {}, prepare: () => 'setsockopt(IP_TRANSPARENT) EPERM' });
  assert.deepEqual(refused, { ok: false, message: 'setsockopt(IP_TRANSPARENT) EPERM 127.0.0.1:8444' });
  assert.equal(lib.peer([...lib.sockets.keys()].pop()!).closed, true);
});

test('a short read marks the client read empty (once) and drops its readable flag; a later edge brings it back', () => {
  const { lib, c, reader, watch, loop } = setup();
  const fd = c.socket(2, 1, 0) as number;
  lib.peer(fd).connecting = false;
  const keep = c.socket(2, 1, 0) as number;
  loop.addEdge(keep);
  loop.on(keep, { onEvent() {} });
  reader.read(fd, { onBytes: () => reader.read(fd, undefined), onEnd() {} });
  lib.peer(fd).write('GET / HTTP/1.0');
  watch.turn();
  assert.equal(loop.takeEarly(fd) & EPOLLIN, 0, 'what the edge announced was read');
  assert.equal(reader.takeEmpty(fd), true);
  assert.equal(reader.takeEmpty(fd), false, 'once');
  reader.read(fd, { onBytes: () => reader.read(fd, undefined), onEnd() {} });
  lib.peer(fd).write('x');
  watch.turn();
  lib.peer(fd).write('y'); // after the reader stopped
  watch.turn();
  assert.equal(loop.takeEarly(fd) & EPOLLIN, EPOLLIN, 'the new edge is remembered for attach');
});
