// The pump over a fake libc: each transition of a direction's state machine,
// the head, half-close, backpressure, the drained rule, an upstream that
// answered and closed before attach (issue 16), resets and the idle sweep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeLibc } from './fake-libc.js';
import { Loop } from './loop.js';
import { Pump } from './pump.js';
import { CLOSING, DRAINED, Direction, FLUSHING, READING, SHUT, STATE_NAMES } from './direction.js';
import { EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP } from './linux.js';
import type { LinkStats } from './plane.js';

function setup() {
  const lib = new FakeLibc();
  const c = lib.libc();
  const watch = lib.watch();
  const loop = new Loop(c, watch, (e) => { throw e; });
  const pump = new Pump(loop, false);
  const sock = () => { const fd = c.socket(2, 1, 0) as number; lib.peer(fd).connecting = false; loop.addEdge(fd); return fd; };
  const a = sock(), b = sock();
  const closed: LinkStats[] = [];
  const owner = { idleMs: 60_000, onClose: (s: LinkStats) => closed.push(s) };
  return { lib, loop, watch, pump, a, b, closed, owner, A: lib.peer(a), B: lib.peer(b) };
}
const name = (d: Direction) => STATE_NAMES[d.state];

test('bytes both ways, the head first and not counted; a FIN half-closes and the other way keeps flowing; both ends close the link', () => {
  const { pump, a, b, closed, owner, watch, A, B, lib } = setup();
  A.write('hello');
  B.write('world');
  const k = pump.link(a, b, Buffer.from('HDR '), owner);
  assert.equal(B.read(), 'HDR hello');
  assert.equal(A.read(), 'world');
  assert.equal(name(k.ab), 'drained');
  A.end();
  watch.turn();
  assert.equal(name(k.ab), 'shut');
  assert.equal(B.txShut, true, 'the client FIN went upstream (shutdown)');
  assert.equal(closed.length, 0, 'half-closed, not closed');
  B.write('more');
  watch.turn();
  assert.equal(A.read(), 'more');
  B.end();
  watch.turn();
  assert.deepEqual(closed, [{ toUpstream: 5, toClient: 9, reason: 'done' }]);
  assert.ok(A.closed && B.closed);
  assert.equal(lib.calls.get('shutdown'), 1, 'the second FIN goes with close(2)');
  assert.equal(watch.watching, false, 'nothing left to watch');
});

test('backpressure: a partial send holds the rest (flushing) and the source is not read until it is written', () => {
  const { pump, a, b, owner, watch, A, B } = setup();
  B.room = 3;
  A.write('abcdefgh');
  const k = pump.link(a, b, undefined, owner);
  assert.equal(B.read(), 'abc');
  assert.equal(name(k.ab), 'flushing');
  const reads = A.recvCalls;
  A.write('ij');
  watch.turn();
  assert.equal(A.recvCalls, reads, 'no read while bytes wait');
  B.allow(100);
  watch.turn();
  assert.equal(B.read(), 'defghij');
  assert.equal(k.ab.bytes, 10);
});

test('a short read is drained: no recv until the source signals again', () => {
  const { pump, a, b, owner, watch, A, B } = setup();
  A.write('x');
  const k = pump.link(a, b, undefined, owner);
  assert.equal(name(k.ab), 'drained');
  assert.equal(A.recvCalls, 1, 'one short read, no second read just to see EAGAIN');
  B.write('y');
  watch.turn();
  assert.equal(A.recvCalls, 1, "the upstream's event does not read the client");
  A.write('z');
  watch.turn();
  assert.equal(B.read(), 'xz');
});

test('an upstream that answered and closed before attach (its edge already gone) is relayed and closed at once', () => {
  const { pump, loop, a, b, owner, A, B } = setup();
  B.write('503 busy');
  B.end();
  // What the connector keeps from the connect's own event (connect.ts).
  loop.remember(b, EPOLLIN | EPOLLRDHUP);
  const k = pump.link(a, b, undefined, owner);
  assert.equal(A.read(), '503 busy');
  assert.equal(A.txShut, true, 'the FIN reached the client without another event');
  assert.equal(name(k.ba), 'shut');
});

test('a reset: bytes before it are still relayed, then the link closes as an upstream error', () => {
  const { pump, a, b, owner, closed, watch, A, B } = setup();
  pump.link(a, b, undefined, owner);
  B.write('last words');
  B.reset();
  watch.turn();
  assert.equal(A.read(), 'last words');
  assert.equal(closed[0]!.reason, 'upstream_error:ECONNRESET');
  assert.ok(A.closed && B.closed);
});

test('a send error toward the client closes as a client error', () => {
  const { pump, a, b, owner, closed, watch, A, B } = setup();
  pump.link(a, b, undefined, owner);
  A.error = 32; // EPIPE on send
  B.write('x');
  watch.turn();
  assert.equal(closed[0]!.reason, 'client_error:EPIPE');
});

test('the idle sweep closes a link quiet for its idle timeout, and only it', () => {
  const { pump, a, b, closed, A } = setup();
  const k = pump.link(a, b, undefined, { idleMs: 50, onClose: (s) => closed.push(s) });
  pump.sweep(k.last + 49);
  assert.equal(closed.length, 0);
  pump.sweep(k.last + 50);
  assert.equal(closed[0]!.reason, 'idle_timeout');
  assert.ok(A.closed);
});

test('destroy closes both sockets with the given reason, once', () => {
  const { pump, a, b, owner, closed } = setup();
  const k = pump.link(a, b, undefined, owner);
  k.destroy('drain_timeout');
  k.destroy('again');
  assert.deepEqual(closed.map((s) => s.reason), ['drain_timeout']);
});

test('Direction: its first state, and what an event on its source changes', () => {
  assert.equal(new Direction(1, 2, true, undefined).state, READING);
  assert.equal(new Direction(1, 2, true, Buffer.from('h')).state, FLUSHING, 'a head is written before anything is read');
  assert.equal(new Direction(1, 2, true, Buffer.alloc(0)).state, READING);
  const d = new Direction(1, 2, true, undefined);
  d.state = DRAINED;
  assert.equal(d.readable(EPOLLIN), true);
  assert.equal(d.state, READING);
  assert.equal(d.readable(EPOLLIN), false, 'only a drained direction is woken');
  for (const s of [FLUSHING, CLOSING, SHUT] as const) {
    d.state = s;
    d.readable(EPOLLIN);
    assert.equal(d.state, s, `${STATE_NAMES[s]} stays`);
  }
  const fin = new Direction(1, 2, true, undefined);
  fin.readable(EPOLLIN | EPOLLRDHUP);
  assert.deepEqual([fin.rdhup, fin.fin], [true, true], 'a FIN alone: a short read reaches the end');
  const rst = new Direction(1, 2, true, undefined);
  rst.readable(EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP);
  assert.deepEqual([rst.rdhup, rst.fin], [true, false], 'an error: read on until it shows');
});

test('a source read empty before attach (preread): the head is written and the source not read until it signals', () => {
  const { pump, loop, a, b, owner, watch, A, B } = setup();
  loop.remember(a, EPOLLOUT); // writable says nothing about bytes to read
  const k = pump.link(a, b, Buffer.from('GET / '), owner, true);
  assert.equal(B.read(), 'GET / ');
  assert.equal(A.recvCalls, 0, 'no read just to see EAGAIN');
  assert.equal(name(k.ab), 'drained');
  A.write('more');
  watch.turn();
  assert.equal(B.read(), 'more');
});

test('bytes or an end remembered on the client since its preread outweigh "read empty": the source is read at attach', () => {
  const { pump, loop, a, b, owner, A, B } = setup();
  A.write('late');
  loop.remember(a, EPOLLIN);
  pump.link(a, b, Buffer.from('h:'), owner, true);
  assert.equal(B.read(), 'h:late');
});

test('a partial write after a short read: once flushed, the direction is drained (no read to see EAGAIN)', () => {
  const { pump, a, b, owner, watch, A, B } = setup();
  B.room = 2;
  A.write('abcd');
  const k = pump.link(a, b, undefined, owner);
  assert.equal(name(k.ab), 'flushing');
  const reads = A.recvCalls;
  B.allow(100);
  watch.turn();
  assert.equal(B.read(), 'abcd');
  assert.equal(name(k.ab), 'drained');
  assert.equal(A.recvCalls, reads);
});
