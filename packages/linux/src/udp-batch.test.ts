// The batched UDP socket against the real kernel (and, in test/linux-arm.test.ts,
// under qemu as arm64 and 32-bit ARM, where the msghdr/iovec layouts differ).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { createUdpBatcher, type UdpEndpoint } from './udp-batch.js';
import { decodeSockaddr, encodeSockaddr } from './sockaddr.js';
import { nativeRefusal } from './platform.js';

const skip = nativeRefusal() ?? false;
const closers: Array<() => void> = [];
after(() => { for (const c of closers.reverse()) c(); });

async function dgram(type: 'udp4' | 'udp6' = 'udp4', host = '127.0.0.1'): Promise<{ s: Socket; port: number; got: Buffer[] }> {
  const s = createSocket(type);
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  await new Promise<void>((r) => s.bind(0, host, r));
  closers.push(() => s.close());
  return { s, port: s.address().port, got };
}
const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
};

test('sockaddr: IPv4, IPv6 (compressed, v4-mapped, embedded IPv4) round trip; names are refused', () => {
  for (const [host, port] of [['127.0.0.1', 53], ['::1', 5353], ['2001:db8::1:0:0:1', 1], ['::ffff:198.51.100.7', 443], ['fe80::', 0]] as const) {
    const sa = encodeSockaddr(host, port)!;
    assert.equal(sa.length, host.includes(':') ? 28 : 16);
    assert.deepEqual(decodeSockaddr(sa), { address: host, port, family: host.includes(':') ? 6 : 4 });
  }
  assert.equal(decodeSockaddr(encodeSockaddr('::ffff:c633:6407', 1)!).address, '::ffff:198.51.100.7');
  assert.equal(encodeSockaddr('localhost', 53), undefined);
});

test('bound socket: datagrams of 0 to 60,000 bytes come back intact through one recvmmsg/sendmmsg per batch', { skip }, async () => {
  const b = createUdpBatcher({ batch: 8, stride: 65536 });
  const r = b.bind('127.0.0.1', 0, {}, { onDatagram: (data, from, ep) => ep.send([data], from), onError: (e) => assert.fail(e) });
  assert.ok(r.ok, !r.ok ? r.message : '');
  closers.push(() => r.ep.close());
  assert.equal(r.address.address, '127.0.0.1');
  const c = await dgram();
  const sizes = [0, 1, 100, 1472, 9000, 30_000, 60_000];
  const sent = sizes.map((n) => randomBytes(n));
  for (const d of sent) {
    const before = c.got.length;
    c.s.send(d, r.address.port, '127.0.0.1');
    await until(() => c.got.length > before);
  }
  assert.deepEqual(c.got.map((x) => x.toString('hex')), sent.map((x) => x.toString('hex')));
});

test('a datagram bigger than the stride is dropped as truncated; the next one is answered', { skip }, async () => {
  const drops: string[] = [];
  const b = createUdpBatcher({ batch: 4, stride: 512 });
  const r = b.bind('127.0.0.1', 0, {}, { onDatagram: (data, from, ep) => ep.send([data], from), onError: () => {}, onDrop: (why) => drops.push(why) });
  assert.ok(r.ok);
  closers.push(() => r.ep.close());
  const c = await dgram();
  c.s.send(Buffer.alloc(1000), r.address.port, '127.0.0.1');
  c.s.send(Buffer.from('small'), r.address.port, '127.0.0.1');
  await until(() => c.got.length > 0);
  assert.deepEqual(drops, ['truncated']);
  assert.deepEqual(c.got.map(String), ['small']);
});

test('copySends: a handler that reuses one reply buffer still sends each reply as it was', { skip }, async () => {
  const reply = Buffer.alloc(64);
  const b = createUdpBatcher({ batch: 32, stride: 2048, copySends: 512 });
  const r = b.bind('127.0.0.1', 0, {}, {
    onDatagram: (data, from, ep) => {
      const n = data.copy(reply, 0);
      ep.send([reply.subarray(0, n)], from); // overwritten by the next datagram of the batch
    },
    onError: () => {},
  });
  assert.ok(r.ok);
  closers.push(() => r.ep.close());
  const c = await dgram();
  const msgs = Array.from({ length: 24 }, (_, i) => `query-${i}`);
  for (const m of msgs) c.s.send(m, r.address.port, '127.0.0.1');
  await until(() => c.got.length === msgs.length);
  assert.deepEqual(c.got.map(String).sort(), [...msgs].sort());
});

test('connected socket: parts go out as one datagram, replies arrive, ICMP unreachable is ECONNREFUSED', { skip }, async () => {
  const server = await dgram();
  server.s.on('message', (m, rinfo) => server.s.send(Buffer.concat([Buffer.from('re:'), m]), rinfo.port, rinfo.address));
  const b = createUdpBatcher({ batch: 4, stride: 65536 });
  const replies: string[] = [];
  const r = b.connect('127.0.0.1', server.port, { onDatagram: (d) => replies.push(d.toString()), onError: () => {} });
  assert.ok(r.ok);
  closers.push(() => r.ep.close());
  r.ep.send([Buffer.from('head|'), Buffer.from('payload')]);
  await until(() => replies.length === 1);
  assert.deepEqual(server.got.map(String), ['head|payload']);
  assert.deepEqual(replies, ['re:head|payload']);

  const gone = await dgram();
  const port = gone.port;
  gone.s.close();
  closers.pop();
  const errors: string[] = [];
  const r2 = b.connect('127.0.0.1', port, { onDatagram: () => {}, onError: (e) => errors.push(e) });
  assert.ok(r2.ok);
  closers.push(() => r2.ep.close());
  r2.ep.send([Buffer.from('anyone?')]);
  await until(() => errors.length > 0);
  assert.deepEqual(errors, ['ECONNREFUSED']);
});

test('IPv6: bound v6-only on ::1, the sender\'s sockaddr is an IPv6 one; bind errors name the errno', { skip }, async () => {
  const b = createUdpBatcher({ batch: 4, stride: 2048 });
  let from: string | undefined;
  let ep: UdpEndpoint | undefined;
  const r = b.bind('::1', 0, { reusePort: true }, { onDatagram: (data, f, e) => { from = decodeSockaddr(f).address; e.send([data], f); }, onError: () => {} });
  assert.ok(r.ok, !r.ok ? r.message : '');
  ep = r.ep;
  closers.push(() => ep!.close());
  assert.equal(r.address.address, '::1');
  const c = await dgram('udp6', '::1');
  c.s.send('v6', r.address.port, '::1');
  await until(() => c.got.length === 1);
  assert.equal(from, '::1');
  assert.equal(String(c.got[0]), 'v6');
  const taken = await dgram();
  const r2 = b.bind('127.0.0.1', taken.port, {}, { onDatagram: () => {}, onError: () => {} });
  assert.deepEqual(r2, { ok: false, message: `bind(127.0.0.1:${taken.port}): EADDRINUSE` });
  assert.deepEqual(b.bind('localhost', 53, {}, { onDatagram: () => {}, onError: () => {} }), { ok: false, message: 'not an IP literal: localhost' });
});

test('origDst: each datagram comes with the address it was sent to (IP_RECVORIGDSTADDR / IPV6_RECVORIGDSTADDR set by prepare); a failing prepare is the bind\'s error', { skip }, async () => {
  const { K, errnoName, loadLibc, setIntOption } = await import('./index.js');
  const c = loadLibc();
  const b = createUdpBatcher({ batch: 4, stride: 2048 });
  const refusedBy: string[] = [];
  for (const [any, dsts, type, level, opt] of [
    ['0.0.0.0', ['127.0.0.5', '127.0.0.1'], 'udp4', K.SOL_IP, K.IP_RECVORIGDSTADDR],
    ['::', ['::1'], 'udp6', K.SOL_IPV6, K.IPV6_RECVORIGDSTADDR],
  ] as const) {
    const seen: string[] = [];
    const r = b.bind(any, 0, {
      prepare: (fd) => { const e = setIntOption(c, fd, level, opt, 1); return e ? `setsockopt(${opt}): ${errnoName(e)}` : undefined; },
      origDst: true,
    }, { onDatagram: (data, from, ep, to) => { seen.push(to ? `${decodeSockaddr(to).address}:${decodeSockaddr(to).port}` : 'none'); ep.send([data], from); }, onError: () => {} });
    // qemu-user refuses IP_RECVORIGDSTADDR (ENOPROTOOPT): that family is then not shown here.
    if (!r.ok && /ENOPROTOOPT/.test(r.message)) { refusedBy.push(type); continue; }
    assert.ok(r.ok, !r.ok ? r.message : '');
    closers.push(() => r.ep.close());
    const cl = await dgram(type, type === 'udp4' ? '127.0.0.1' : '::1');
    for (const dst of dsts) {
      const before = cl.got.length;
      cl.s.send(dst, r.address.port, dst);
      await until(() => cl.got.length > before);
    }
    assert.deepEqual(seen, dsts.map((d) => `${d}:${r.address.port}`), type);
  }
  assert.ok(refusedBy.length < 2, 'at least one family ran');
  const refused = b.bind('127.0.0.1', 0, { prepare: () => 'setsockopt(X): EPERM' }, { onDatagram: () => {}, onError: () => {} });
  assert.deepEqual(refused, { ok: false, message: 'setsockopt(X): EPERM 127.0.0.1:0' });
});

test('adopt: a socket made elsewhere is read and sent on like the others', { skip }, async () => {
  const { K, encodeSockaddr: enc, loadLibc } = await import('./index.js');
  const c = loadLibc();
  const fd = c.socket(K.AF_INET, K.SOCK_DGRAM | K.SOCK_NONBLOCK | K.SOCK_CLOEXEC, 0) as number;
  const sa = enc('127.0.0.1', 0)!;
  assert.equal(c.bind(fd, sa, sa.length), 0);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(16);
  const name = Buffer.alloc(16);
  c.getsockname(fd, name, len);
  const b = createUdpBatcher({ batch: 4, stride: 2048 });
  const r = b.adopt(fd, { onDatagram: (data, from, ep) => ep.send([Buffer.from('adopted:'), data], from), onError: () => {} });
  assert.ok(r.ok);
  closers.push(() => r.ep.close());
  const cl = await dgram();
  cl.s.send('x', name.readUInt16BE(2), '127.0.0.1');
  await until(() => cl.got.length === 1);
  assert.equal(String(cl.got[0]), 'adopted:x');
});

test('Node\'s loop as the watcher: sockets closed and opened again (their fd numbers reused) keep being read', { skip }, async () => {
  const b = createUdpBatcher({ batch: 4, stride: 2048 });
  const c = await dgram();
  const fds = new Set<number>();
  for (let round = 0; round < 5; round++) {
    const r = b.bind('127.0.0.1', 0, {}, { onDatagram: (data, from, ep) => ep.send([data], from), onError: () => {} });
    assert.ok(r.ok);
    fds.add(r.ep.fd);
    const before = c.got.length;
    c.s.send(`round ${round}`, r.address.port, '127.0.0.1');
    await until(() => c.got.length > before);
    assert.equal(String(c.got.at(-1)), `round ${round}`);
    r.ep.close();
  }
  assert.ok(fds.size < 5, `fd numbers were reused (${[...fds].join(', ')})`);
});
