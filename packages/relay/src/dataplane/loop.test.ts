// The event loop over a fake libc: events go to their descriptor's handler,
// flags of a descriptor without one are remembered for attach, Node's loop
// watches only while some descriptor has a handler, a throwing handler loses
// no other event, and an unknown epoll_event layout is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeLibc } from './fake-libc.js';
import { Loop } from './loop.js';
import { EPOLLIN, EPOLLOUT, EPOLLRDHUP } from './linux.js';

function setup(arch = 'x64') {
  const lib = new FakeLibc(arch);
  const c = lib.libc();
  const watch = lib.watch();
  const errors: unknown[] = [];
  const loop = new Loop(c, watch, (e) => errors.push(e), arch);
  const sock = () => { const fd = c.socket(2, 1, 0) as number; lib.peer(fd).connecting = false; return fd; };
  return { lib, c, watch, loop, errors, sock };
}

for (const arch of ['x64', 'arm64', 'arm']) {
  test(`${arch}: a handler hears its descriptor's events; watching only while a descriptor has a handler`, () => {
    const { lib, loop, watch, sock } = setup(arch);
    const a = sock(), b = sock();
    assert.ok(loop.addEdge(a) && loop.addEdge(b));
    assert.equal(watch.watching, false, 'nothing to hear: Node is not asked to watch');
    const heard: Array<[number, number]> = [];
    loop.on(a, { onEvent: (fd, flags) => heard.push([fd, flags]) });
    loop.on(b, { onEvent: (fd, flags) => heard.push([fd, flags]) });
    assert.equal(watch.watching, true);
    watch.turn();
    assert.deepEqual(heard, [[a, EPOLLOUT], [b, EPOLLOUT]], 'the edge at EPOLL_CTL_ADD, with the fd from the data word');
    heard.length = 0;
    lib.peer(b).write('x');
    watch.turn();
    assert.deepEqual(heard, [[b, EPOLLIN | EPOLLOUT]]);
    loop.off(a);
    assert.equal(watch.watching, true);
    loop.off(b);
    assert.equal(watch.watching, false);
  });
}

test('flags of a descriptor without a handler are remembered until taken (attach applies them)', () => {
  const { lib, loop, watch, sock } = setup();
  const up = sock(), keep = sock();
  loop.addEdge(up);
  loop.addEdge(keep);
  loop.on(keep, { onEvent() {} });
  lib.peer(up).write('banner');
  lib.peer(up).end();
  watch.turn();
  assert.equal(loop.takeEarly(up), EPOLLIN | EPOLLOUT | EPOLLRDHUP, 'readable and peer-closed, though nobody was listening');
  assert.equal(loop.takeEarly(up), 0, 'taken once');
  loop.remember(up, EPOLLRDHUP);
  loop.closeFd(up);
  assert.equal(loop.has(up), false);
  assert.equal(loop.takeEarly(up), 0, 'closing forgets');
});

test('an exception in one handler does not lose the rest of the batch', () => {
  const { loop, watch, errors, sock } = setup();
  const a = sock(), b = sock();
  loop.addEdge(a);
  loop.addEdge(b);
  let heardB = 0;
  loop.on(a, { onEvent() { throw new Error('handler bug'); } });
  loop.on(b, { onEvent() { heardB++; } });
  watch.turn();
  assert.equal(heardB, 1);
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /handler bug/);
});

test('a stalled loop takes no events until the stall ends', async () => {
  const { loop, watch, sock } = setup();
  const a = sock();
  loop.addEdge(a);
  let heard = 0;
  loop.on(a, { onEvent() { heard++; } });
  loop.stall(30);
  watch.turn(3);
  assert.equal(heard, 0);
  await new Promise((r) => setTimeout(r, 40));
  watch.turn();
  assert.equal(heard, 1);
});

test('an architecture whose epoll_event layout is not known is refused, not guessed', () => {
  assert.throws(() => setup('ia32'), /epoll_event layout is not known for ia32/);
  assert.throws(() => setup('riscv64'), /not known for riscv64/);
});
