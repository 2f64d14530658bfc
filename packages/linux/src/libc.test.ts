// The binding against the real libc of the machine it runs on (natively, and
// under qemu-user as arm64 / 32-bit ARM: test/linux-arm.test.ts runs this file
// there): sockets, int options by the constants table, errno names, and a raw
// fd watched by Node's own loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { K, errnoName, getIntOption, getStringOption, loadLibc, nativeRefusal, setIntOption, setStringOption, watchFd } from './index.js';

const skip = nativeRefusal() ?? false;

test('socket options by the constants table: set, read back, and a refused one names its errno', { skip }, () => {
  const c = loadLibc();
  const fd = c.socket(K.AF_INET6, K.SOCK_DGRAM | K.SOCK_CLOEXEC, 0) as number;
  assert.ok(fd >= 0);
  try {
    assert.equal(getIntOption(c, fd, K.SOL_SOCKET, K.SO_REUSEPORT), 0);
    assert.equal(setIntOption(c, fd, K.SOL_SOCKET, K.SO_REUSEPORT, 1), 0);
    assert.equal(getIntOption(c, fd, K.SOL_SOCKET, K.SO_REUSEPORT), 1);
    assert.equal(setIntOption(c, fd, K.IPPROTO_IPV6, K.IPV6_V6ONLY, 1), 0);
    assert.equal(getIntOption(c, fd, K.IPPROTO_IPV6, K.IPV6_V6ONLY), 1);
    assert.equal(getIntOption(c, fd, K.SOL_SOCKET, K.SO_ERROR), 0);
    // An IPv4-level option on a bad level: the kernel says ENOPROTOOPT.
    assert.equal(errnoName(setIntOption(c, fd, K.SOL_SOCKET, 9999, 1)), 'ENOPROTOOPT');
  } finally {
    c.close(fd);
  }
  assert.equal(errnoName(setIntOption(c, fd, K.SOL_SOCKET, K.SO_REUSEADDR, 1)), 'EBADF');
  assert.equal(errnoName(12345), 'errno_12345');
});

test('bind to a port in use fails with EADDRINUSE; getsockname reads the bound port', { skip }, async () => {
  const c = loadLibc();
  const taken = createSocket('udp4');
  await new Promise<void>((r) => taken.bind(0, '127.0.0.1', r));
  const sa = Buffer.alloc(16);
  sa.writeUInt16LE(K.AF_INET, 0);
  sa.writeUInt16BE(taken.address().port, 2);
  sa.set([127, 0, 0, 1], 4);
  const fd = c.socket(K.AF_INET, K.SOCK_DGRAM | K.SOCK_CLOEXEC, 0) as number;
  try {
    assert.equal(c.bind(fd, sa, 16), -1);
    assert.equal(errnoName(c.errno()), 'EADDRINUSE');
    sa.writeUInt16BE(0, 2);
    assert.equal(c.bind(fd, sa, 16), 0);
    const name = Buffer.alloc(28), len = Buffer.alloc(4);
    len.writeUInt32LE(28);
    assert.equal(c.getsockname(fd, name, len), 0);
    assert.equal(len.readUInt32LE(0), 16);
    assert.ok(name.readUInt16BE(2) > 0);
  } finally {
    c.close(fd);
    taken.close();
  }
});

test('watchFd: Node\'s loop calls back when a raw socket becomes readable, and stops when told', { skip }, async () => {
  const c = loadLibc();
  const fd = c.socket(K.AF_INET, K.SOCK_DGRAM | K.SOCK_NONBLOCK | K.SOCK_CLOEXEC, 0) as number;
  const sa = Buffer.alloc(16);
  sa.writeUInt16LE(K.AF_INET, 0);
  sa.set([127, 0, 0, 1], 4);
  assert.equal(c.bind(fd, sa, 16), 0);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(16);
  c.getsockname(fd, sa, len);
  const buf = Buffer.alloc(64);
  const got: string[] = [];
  let wake: () => void = () => {};
  const w = watchFd(fd, () => {
    for (;;) {
      const n = Number(c.read(fd, buf, buf.length));
      if (n < 0) break;
      got.push(buf.subarray(0, n).toString());
    }
    wake();
  });
  w.start();
  const tx = createSocket('udp4');
  try {
    const arrived = new Promise<void>((r) => { wake = r; });
    tx.send('hello', sa.readUInt16BE(2), '127.0.0.1');
    await arrived;
    assert.deepEqual(got, ['hello']);
  } finally {
    w.stop();
    c.close(fd);
    tx.close();
  }
});

test('string options: TCP_CONGESTION set to reno reads back as reno; an unknown algorithm is ENOENT', { skip }, () => {
  const c = loadLibc();
  const fd = c.socket(K.AF_INET, K.SOCK_STREAM | K.SOCK_CLOEXEC, 0) as number;
  try {
    const now = getStringOption(c, fd, K.IPPROTO_TCP, K.TCP_CONGESTION, 16);
    assert.equal(typeof now, 'string');
    assert.equal(setStringOption(c, fd, K.IPPROTO_TCP, K.TCP_CONGESTION, 'reno'), 0);
    assert.equal(getStringOption(c, fd, K.IPPROTO_TCP, K.TCP_CONGESTION, 16), 'reno');
    assert.equal(errnoName(setStringOption(c, fd, K.IPPROTO_TCP, K.TCP_CONGESTION, 'no-such-algorithm')), 'ENOENT');
  } finally {
    c.close(fd);
  }
  const closed = getStringOption(c, fd, K.IPPROTO_TCP, K.TCP_CONGESTION, 16);
  assert.equal(typeof closed === 'object' && errnoName(closed.errno), 'EBADF');
});
