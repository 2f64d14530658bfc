// Upstream connects over a fake libc: the outcome is the socket's first event
// (or a failure at once), flags that event carries are kept for attach, and
// one timer gives up on connects past their deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeLibc } from './fake-libc.js';
import { Loop } from './loop.js';
import { Connector } from './connect.js';
import { EPOLLIN, EPOLLRDHUP } from './linux.js';
import { sockaddr } from '../net/sockaddr.js';

function setup() {
  const lib = new FakeLibc();
  const c = lib.libc();
  const watch = lib.watch();
  const loop = new Loop(c, watch, (e) => { throw e; });
  const heard: Array<[number | undefined, string | undefined]> = [];
  const w = { connected: (fd: number | undefined, failure: string | undefined) => heard.push([fd, failure]) };
  const errOf = (fd: number) => { const s = lib.peer(fd); const e = s.error; s.error = 0; return e; };
  return { lib, loop, watch, connector: new Connector(loop, errOf), heard, w };
}
const SA = sockaddr('192.0.2.1', 80)!;

test('a connect that completes: the waiter hears the fd from the loop; readable and peer-closed on that event are kept for attach', () => {
  const { lib, loop, watch, connector, heard, w } = setup();
  assert.equal(connector.connect(SA, 1000, w), undefined);
  assert.deepEqual(heard, [], 'never from inside connect()');
  const fd = [...lib.sockets.keys()].pop()!;
  assert.equal(connector.pending, 1);
  // The backend accepts, answers and closes before the relay looks: all in one event.
  const up = lib.peer(fd);
  up.write('220 ready');
  up.end();
  up.connected();
  watch.turn();
  assert.deepEqual(heard, [[fd, undefined]]);
  assert.equal(connector.pending, 0);
  assert.equal(loop.takeEarly(fd) & (EPOLLIN | EPOLLRDHUP), EPOLLIN | EPOLLRDHUP);
  assert.equal(up.closed, false, 'left open for attach');
  assert.equal(watch.watching, false, 'no handler left on it');
});

test('a refused connect: the failure is named and the socket closed', () => {
  const { lib, watch, connector, heard, w } = setup();
  connector.connect(SA, 1000, w);
  const fd = [...lib.sockets.keys()].pop()!;
  lib.peer(fd).connected(111);
  watch.turn();
  assert.deepEqual(heard, [[undefined, 'connect: ECONNREFUSED']]);
  assert.equal(lib.peer(fd).closed, true);
});

test('failures at once are returned, not heard: socket() and connect()', () => {
  const { lib, connector, heard, w } = setup();
  lib.failSocket = 24;
  assert.equal(connector.connect(SA, 1000, w), 'socket: EMFILE');
  lib.failSocket = 0;
  lib.connectErrno = 101;
  assert.equal(connector.connect(SA, 1000, w), 'connect: ENETUNREACH');
  assert.equal(lib.peer([...lib.sockets.keys()].pop()!).closed, true);
  assert.deepEqual(heard, []);
  assert.equal(connector.pending, 0);
});

test('a connect past its deadline is given up with the timeout named; a later one still completes', async () => {
  const { lib, watch, connector, heard, w } = setup();
  connector.connect(SA, 20, w);
  const slow = [...lib.sockets.keys()].pop()!;
  connector.connect(SA, 5000, w);
  const later = [...lib.sockets.keys()].pop()!;
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(heard, [[undefined, 'connect timeout after 20 ms']]);
  assert.equal(lib.peer(slow).closed, true);
  lib.peer(later).connected();
  watch.turn();
  assert.deepEqual(heard[1], [later, undefined]);
});

test('an event that says neither writable nor failed (a stale one of an earlier socket with the same number) does not end the connect', () => {
  const { lib, watch, connector, heard, w } = setup();
  connector.connect(SA, 1000, w);
  const fd = [...lib.sockets.keys()].pop()!;
  lib.peer(fd).write('x'); // readable only: the fake reports no EPOLLOUT while connecting
  watch.turn();
  assert.deepEqual(heard, []);
  assert.equal(connector.pending, 1);
  lib.peer(fd).connected();
  watch.turn();
  assert.deepEqual(heard, [[fd, undefined]]);
});
