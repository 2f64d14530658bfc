// UDP through both socket kinds of the relay (listen/udp-transport.ts): the
// engine's batched recvmmsg/sendmmsg sockets (the default) and node:dgram
// (data_plane: streams) must carry the same datagrams: every size from empty
// to 65,000 bytes, a PROXY v2 header in front of each toward the server,
// replies to the right client when several clients burst at once, and bytes
// counted per session in the access log.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { startRelay, type RelayProc } from './relay-harness.js';
import { createServer } from 'node:net';
import { decodeProxyHeader, encodeProxyV2, type ProxyAddress } from '@geoedge/relay';
import { exchange } from './relay-harness.js';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

/** Echoes each datagram's payload; records the PROXY source port each came with (-1: no header). */
async function echo(): Promise<{ port: number; sources: Set<number> }> {
  const s = createSocket('udp4');
  const sources = new Set<number>();
  s.on('message', (m, r) => {
    const h = decodeProxyHeader(m);
    if (h.kind !== 'ok') { sources.add(-1); return; }
    sources.add(h.header.source?.port ?? -1);
    s.send(m.subarray(h.length), r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => s.close(() => r(undefined))));
  return { port: s.address().port, sources };
}

async function client(): Promise<{ sock: Socket; port: number; replies: Buffer[] }> {
  const sock = createSocket('udp4');
  const replies: Buffer[] = [];
  sock.on('message', (m) => replies.push(m));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => sock.close(() => r(undefined))));
  return { sock, port: sock.address().port, replies };
}

const until = async (cond: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

for (const plane of ['engine', 'streams']) {
  test(`UDP over ${plane}: 3 clients burst datagrams of 0 to 65,000 bytes; each gets its own back intact, the server sees each client behind PROXY v2`, async () => {
    const b = await echo();
    const r: RelayProc = await startRelay({
      data_plane: plane,
      upstreams: { b: { servers: [`127.0.0.1:${b.port}`], proxy_protocol: 'v2' } },
      listeners: [{ name: 'u', protocol: 'udp', listen: ['127.0.0.1:0'], idle_timeout: '1s', routes: [{ upstream: 'b' }] }],
    });
    cleanups.push(() => r.stop('SIGKILL'));
    assert.equal(r.logs.find((l) => l.msg === 'tcp data plane')?.data_plane, plane);
    const clients = await Promise.all([client(), client(), client()]);
    const sent = clients.map(() => [] as Buffer[]);
    const send = (k: number, size: number) => {
      const d = randomBytes(size);
      sent[k]!.push(d);
      clients[k]!.sock.send(d, r.port('u'), '127.0.0.1');
    };
    const answered = () => until(() => clients.every((c, k) => c.replies.length === sent[k]!.length), 3000);
    // Bursts from all clients at once, so batches mix sessions; small enough
    // (3 × 20 × ≤ 1,500 bytes) that no socket buffer on the way overflows.
    const small = [0, 1, 12, 512, 1232, 1500];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 20; i++) clients.forEach((_, k) => send(k, small[(round + i + k) % small.length]!));
      await answered();
    }
    // Big datagrams one per client at a time, up to the largest a PROXY v2 header leaves room for.
    for (const size of [4096, 9000, 30_000, 60_000, 65_000]) {
      clients.forEach((_, k) => send(k, size));
      await answered();
    }
    clients.forEach((c, k) => {
      const lens = (xs: Buffer[]) => xs.map((d) => d.length).sort((a, b) => a - b).join(",");
      assert.equal(lens(c.replies), lens(sent[k]!), `client ${k}: every datagram answered`);
      // Order is kept per session on loopback; compare as sets anyway (UDP promises no order).
      const want = sent[k]!.map((d) => d.toString('hex')).sort();
      const got = c.replies.map((d) => d.toString('hex')).sort();
      assert.deepEqual(got, want, `client ${k}: its own datagrams, byte for byte`);
    });
    assert.deepEqual([...b.sources].sort(), clients.map((c) => c.port).sort(), 'the server saw each client port in a PROXY v2 header, and no datagram without one');
    const lines = await Promise.all(clients.map((c) => r.waitLog((l) => l.msg === 'session' && l.client === `127.0.0.1:${c.port}`, 5000)));
    lines.forEach((l, k) => {
      const bytes = sent[k]!.reduce((n, d) => n + d.length, 0);
      assert.equal(l.bytes_in, bytes);
      assert.equal(l.bytes_out, bytes);
      assert.equal(l.reason, 'idle_timeout');
    });
  });
}

/** A UDP echo that records, per datagram, the PROXY header's family byte and source ("-" without one). */
async function recordingEcho(): Promise<{ port: number; seen: string[] }> {
  const s = createSocket('udp4');
  const seen: string[] = [];
  s.on('message', (m, r) => {
    const h = decodeProxyHeader(m);
    if (h.kind !== 'ok') { seen.push('-'); s.send(m, r.port, r.address); return; }
    seen.push(`${m[13]!.toString(16)} ${h.header.source?.address}:${h.header.source?.port}`);
    s.send(m.subarray(h.length), r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => s.close(() => r(undefined))));
  return { port: s.address().port, seen };
}

const ask = (c: { sock: Socket; replies: Buffer[] }, port: number, data: Buffer, ms = 2000) => {
  const before = c.replies.length;
  c.sock.send(data, port, '127.0.0.1');
  return until(() => c.replies.length > before, ms).then(() => c.replies.length > before);
};

const v2 = (source: ProxyAddress, destination: ProxyAddress, payload: string) =>
  Buffer.concat([encodeProxyV2({ command: 'proxy', transport: 'udp', source, destination, tlvs: [] }), Buffer.from(payload)]);

for (const plane of ['engine', 'streams']) {
  // A dual-stack PoP writes an IPv4 client as ::ffff:a.b.c.d in an AF_INET6
  // header. Before, building the header for the next hop threw inside the
  // engine's batch: the data plane stopped (TCP and UDP on every listener)
  // with no log line and /healthz still "ok".
  test(`UDP over ${plane}: a trusted peer's PROXY v2 datagram with a v4-mapped INET6 source reaches the server as the IPv4 client; TCP and UDP keep flowing`, async () => {
    const b = await recordingEcho();
    const conns = new Set<import('node:net').Socket>();
    const tcp = createServer((c) => { conns.add(c); c.on('error', () => {}); c.on('data', () => c.end('tcp-ok')); });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => { tcp.close(r); conns.forEach((c) => c.destroy()); }));
    const r: RelayProc = await startRelay({
      data_plane: plane,
      upstreams: { b: { servers: [`127.0.0.1:${b.port}`], proxy_protocol: 'v2' }, t: { servers: [`127.0.0.1:${(tcp.address() as { port: number }).port}`] } },
      listeners: [
        { name: 'pp', protocol: 'udp', listen: ['127.0.0.1:0'], proxy_protocol: { trusted: ['127.0.0.1/32'] }, routes: [{ upstream: 'b' }] },
        { name: 'plain', protocol: 'udp', listen: ['127.0.0.1:0'], routes: [{ upstream: 'b' }] },
        { name: 'tcp', listen: ['127.0.0.1:0'], routes: [{ upstream: 't' }] },
      ],
    });
    cleanups.push(() => r.stop('SIGKILL'));
    const peer = await client();
    const mapped = v2({ family: 6, address: '::ffff:198.51.100.7', port: 5353 }, { family: 6, address: '::ffff:127.0.0.1', port: r.port('pp') }, 'mapped');
    assert.equal(await ask(peer, r.port('pp'), mapped), true, 'the v4-mapped datagram is answered');
    assert.equal(peer.replies.at(-1)!.toString(), 'mapped');
    assert.equal(b.seen[0], '12 198.51.100.7:5353', 'passed on as AF_INET/DGRAM for the IPv4 client');
    // Everything else still flows.
    const other = await client();
    assert.equal(await ask(other, r.port('plain'), Buffer.from('plain')), true, 'another UDP listener');
    assert.equal((await exchange(r.port('tcp'), 'x', { timeoutMs: 2000 })).text, 'tcp-ok', 'a TCP listener');
    assert.equal(await ask(peer, r.port('pp'), mapped), true, 'the same peer again');
    assert.equal(r.proc.exitCode, null);
  });
}

for (const plane of ['engine', 'streams']) {
  // dnsdist with useProxyProtocol, or a PoP reusing one source port, sends
  // many clients' datagrams from one socket: sessions are keyed by the socket
  // and the client its header names (go-mmproxy), bounded by max_connections.
  test(`UDP over ${plane}: one trusted socket multiplexing clients behind PROXY v2: each client gets its own session and reaches the server as itself; the table is bounded`, async () => {
    const b = await recordingEcho();
    const r: RelayProc = await startRelay({
      data_plane: plane,
      admin: '127.0.0.1:0',
      upstreams: { b: { servers: [`127.0.0.1:${b.port}`], proxy_protocol: 'v2' } },
      listeners: [{ name: 'pp', protocol: 'udp', listen: ['127.0.0.1:0'], max_connections: 3, idle_timeout: '1s', proxy_protocol: { trusted: ['127.0.0.1/32'] }, routes: [{ upstream: 'b' }] }],
    });
    cleanups.push(() => r.stop('SIGKILL'));
    const peer = await client();
    const dst = { family: 4 as const, address: '127.0.0.1', port: r.port('pp') };
    const src = (i: number) => ({ family: 4 as const, address: `198.51.100.${i}`, port: 1000 + i });
    for (const i of [1, 2, 3, 1, 2, 3]) assert.equal(await ask(peer, r.port('pp'), v2(src(i), dst, `c${i}`)), true, `client ${i}`);
    assert.deepEqual(peer.replies.map(String), ['c1', 'c2', 'c3', 'c1', 'c2', 'c3']);
    assert.deepEqual(b.seen, [1, 2, 3, 1, 2, 3].map((i) => `12 198.51.100.${i}:${1000 + i}`), 'the server saw each client as itself');
    // A fourth client over max_connections (3): dropped, the three keep their sessions.
    assert.equal(await ask(peer, r.port('pp'), v2(src(4), dst, 'c4'), 500), false);
    assert.equal(await ask(peer, r.port('pp'), v2(src(2), dst, 'c2'), 1000), true);
    const lines = await Promise.all([1, 2, 3].map((i) => r.waitLog((l) => l.msg === 'session' && l.proxied_client === `198.51.100.${i}:${1000 + i}`, 5000)));
    assert.deepEqual(lines.map((l) => l.bytes_in), [4, 6, 4]);
  });
}
