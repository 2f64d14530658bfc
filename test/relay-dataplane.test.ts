// The TCP data plane: bytes through the engine (the default, copying or with
// splice: true) and through Node streams (data_plane: streams) must be the same
// bytes, both ways, in order, with
// half-close, the PROXY header in front, bytes counted in the access log, a
// server that speaks first, and a backend reset reported as an upstream error.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { startRelay, type RelayProc } from './relay-harness.js';
import { freePort } from './helpers/ports.js';
import { decodeProxyHeader, encodeProxyV2 } from '@geoedge/relay';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function listen(handler: (s: Socket) => void): Promise<number> {
  const open = new Set<Socket>();
  const srv: Server = createServer({ allowHalfOpen: true }, (s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => {});
    handler(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  // Half-open sockets (allowHalfOpen) never end by themselves: destroy them, or close() waits forever.
  cleanups.push(() => new Promise((r) => { srv.close(r); open.forEach((s) => s.destroy()); }));
  return (srv.address() as { port: number }).port;
}
async function relay(cfg: object): Promise<RelayProc> {
  const r = await startRelay(cfg);
  cleanups.push(() => r.stop('SIGKILL'));
  return r;
}

/**
 * A backend that strips a PROXY header if one comes, reports the sha256 of the
 * rest, and sends `reply` after the client's FIN.
 */
async function sink(reply: Buffer): Promise<{ port: number; got: Promise<{ hash: string; length: number; header: boolean }> }> {
  let resolve!: (v: { hash: string; length: number; header: boolean }) => void;
  const got = new Promise<{ hash: string; length: number; header: boolean }>((r) => (resolve = r));
  const port = await listen((s) => {
    const chunks: Buffer[] = [];
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => {
      let all = Buffer.concat(chunks);
      const h = decodeProxyHeader(all);
      const header = h.kind === 'ok';
      if (h.kind === 'ok') all = all.subarray(h.length);
      resolve({ hash: sha(all), length: all.length, header });
      s.end(reply); // after the client's FIN: half-close must carry it back
    });
  });
  return { port, got };
}

/** Sends `data` in uneven writes, half-closes, collects the reply until close. */
function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const out: Buffer[] = [];
    s.on('data', (d) => out.push(d));
    s.on('end', () => { s.end(); resolve(Buffer.concat(out)); });
    s.on('error', reject);
    s.on('connect', async () => {
      for (let off = 0, i = 0; off < data.length; i++) {
        const n = [1, 70, 1500, 65536, 1 << 20][i % 5]!;
        if (!s.write(data.subarray(off, off + n))) await new Promise((r) => s.once('drain', r));
        off += n;
      }
      s.end();
    });
  });
}

const planes = [{ data_plane: 'engine' }, { data_plane: 'engine', splice: true }, { data_plane: 'streams' }];
for (const plane of planes) {
  test(`${JSON.stringify(plane)}: 24 MiB each way arrive intact, after a PROXY v2 header, with half-close; the log counts client bytes`, async () => {
    const up = randomBytes(24 << 20), down = randomBytes((24 << 20) + 7);
    const b = await sink(down);
    const r = await relay({
      ...plane,
      upstreams: { b: { servers: [`127.0.0.1:${b.port}`], proxy_protocol: 'v2' } },
      listeners: [{ name: 'l', listen: ['127.0.0.1:0'], routes: [{ upstream: 'b' }] }],
    });
    const started = r.logs.find((l) => l.msg === 'tcp data plane');
    assert.equal(started?.data_plane, plane.data_plane);
    assert.equal(started?.splice, plane.splice === true);
    const back = await roundTrip(r.port('l'), up);
    const got = await b.got;
    assert.equal(got.header, true, 'the PROXY header came first');
    assert.equal(got.length, up.length);
    assert.equal(got.hash, sha(up), 'client → upstream bytes intact and in order');
    assert.equal(back.length, down.length);
    assert.equal(sha(back), sha(down), 'upstream → client bytes intact and in order');
    const line = await r.waitLog((l) => l.msg === 'connection');
    assert.equal(line.reason, 'done');
    assert.equal(line.bytes_in, up.length);
    assert.equal(line.bytes_out, down.length);
  });
}

test('engine: a server that speaks first is heard; a backend reset is an upstream error; others keep flowing', async () => {
  const banner = await listen((s) => s.write('220 hello\r\n'));
  const reset = await listen((s) => s.once('data', () => s.resetAndDestroy()));
  const r = await relay({
    upstreams: { banner: { servers: [`127.0.0.1:${banner}`] }, reset: { servers: [`127.0.0.1:${reset}`] } },
    listeners: [
      { name: 'banner', listen: ['127.0.0.1:0'], routes: [{ upstream: 'banner' }] },
      { name: 'reset', listen: ['127.0.0.1:0'], routes: [{ upstream: 'reset' }] },
    ],
  });
  const heard = await new Promise<string>((resolve, reject) => {
    const s = connect(r.port('banner'), '127.0.0.1');
    s.once('data', (d) => { s.destroy(); resolve(d.toString()); });
    s.on('error', reject);
  });
  assert.equal(heard, '220 hello\r\n');
  const closed = await new Promise<string>((resolve) => {
    const s = connect(r.port('reset'), '127.0.0.1', () => s.write('boom'));
    s.on('close', () => resolve('closed'));
    s.on('error', () => {});
  });
  assert.equal(closed, 'closed');
  const line = await r.waitLog((l) => l.msg === 'connection' && String(l.upstream).endsWith(`:${reset}`));
  assert.equal(line.reason, 'upstream_error:ECONNRESET');
  const again = await new Promise<string>((resolve, reject) => {
    const s = connect(r.port('banner'), '127.0.0.1');
    s.once('data', (d) => { s.destroy(); resolve(d.toString()); });
    s.on('error', reject);
  });
  assert.equal(again, '220 hello\r\n', 'the relay still serves after a reset');
});

// The engine skips the read that would only say EAGAIN after a short read
// (nginx's rule) but must still see a FIN that came with the last bytes: both
// sides here send a few bytes and their FIN at once, 300 times, some in parallel.
test('engine: a few bytes and the FIN at once, both ways, 300 connections: every byte and every end arrives', async () => {
  const backend = await listen((s) => {
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    s.on('end', () => s.end(`got ${Buffer.concat(got).toString()}`));
  });
  const r = await relay({
    upstreams: { b: { servers: [`127.0.0.1:${backend}`] } },
    listeners: [{ name: 'l', listen: ['127.0.0.1:0'], routes: [{ upstream: 'b' }] }],
  });
  const one = (i: number) => new Promise<string>((resolve, reject) => {
    const s = connect(r.port('l'), '127.0.0.1', () => s.end(`n${i}`));
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    s.on('end', () => resolve(Buffer.concat(got).toString()));
    s.on('error', reject);
    s.setTimeout(5000, () => reject(new Error(`connection ${i} hung`)));
  });
  for (let round = 0; round < 30; round++) {
    const ids = Array.from({ length: 10 }, (_, k) => round * 10 + k);
    const replies = await Promise.all(ids.map(one));
    assert.deepEqual(replies, ids.map((i) => `got n${i}`));
  }
});

// A backend that answers and closes at once (an error-then-close, a banner
// service, a backend at its connection limit): its data and FIN can both be in
// the first epoll event of the relay's connecting socket. That event was taken
// only as "connect finished" and its readable/peer-closed flags dropped; with
// edge-triggered epoll nothing came again, so the client hung until
// idle_timeout and the connection kept counting against the caps.
for (const [plane, pp] of [['engine', false], ['streams', false], ['engine', true]] as const) {
  test(`${plane}${pp ? ' (PROXY header read first, on the same socket)' : ''}: a backend that writes and closes at once: 40 sequential clients each get the data and the close, and the caps and gauges return to 0`, async () => {
    const port = await listen((s) => s.end('bye\n'));
    const admin = await freePort();
    const r = await relay({
      data_plane: plane,
      admin: `127.0.0.1:${admin}`,
      upstreams: { u: { servers: [`127.0.0.1:${port}`] } },
      // max_per_client 5: connections left hanging would refuse the later clients.
      listeners: [{ name: 't', listen: ['127.0.0.1:0'], max_per_client: 5, idle_timeout: '10m', routes: [{ upstream: 'u' }], ...(pp ? { proxy_protocol: { trusted: ['127.0.0.1/32'] } } : {}) }],
    });
    const header = pp ? encodeProxyV2({ command: 'proxy', transport: 'tcp', source: { family: 4, address: '198.51.100.9', port: 4000 }, destination: { family: 4, address: '127.0.0.1', port: 1 }, tlvs: [] }) : undefined;
    const late: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t0 = Date.now();
      const got = await new Promise<{ text: string; closed: boolean }>((resolve) => {
        const c = connect(r.port('t'), '127.0.0.1', () => { if (header) c.write(header); });
        let text = '';
        const timer = setTimeout(() => { c.destroy(); resolve({ text, closed: false }); }, 3000);
        c.on('data', (d) => (text += d));
        c.on('error', () => {});
        c.on('close', () => { clearTimeout(timer); resolve({ text, closed: true }); });
      });
      if (got.text !== 'bye\n' || !got.closed) late.push(i);
      else assert.ok(Date.now() - t0 < 3000);
    }
    assert.deepEqual(late, [], 'clients that did not get the data and the close within 3 s');
    // The last close may still be on its way through the relay: a few scrapes.
    let metrics = '';
    for (let i = 0; i < 20; i++) {
      metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
      if (/^relay_active\{listener="t"\} 0$/m.test(metrics)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.match(metrics, /^relay_active\{listener="t"\} 0$/m);
    assert.match(metrics, /^relay_upstream_active\{group="u",server="127\.0\.0\.1:\d+"\} 0$/m);
    const lines = () => r.logs.filter((l) => l.msg === 'connection');
    for (let i = 0; i < 40 && lines().length < 40; i++) await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(lines().map((l) => l.reason), Array(40).fill('done'));
  });
}

// A group given by host name: the engine resolves it per connect (no Node
// socket for it either); streams leave it to net.connect.
for (const plane of ['engine', 'streams'] as const) {
  test(`${plane}: an upstream given by name (localhost) is resolved and relayed; a name that does not resolve fails the connect`, async () => {
    const srv: Server = createServer({ allowHalfOpen: true }, (s) => { s.on('error', () => {}); s.on('data', (d) => s.write(d)); s.on('end', () => s.end()); });
    // Both families: localhost may resolve to ::1 or 127.0.0.1 first.
    await new Promise<void>((res) => srv.listen({ port: 0, host: '::', ipv6Only: false }, res));
    cleanups.push(() => new Promise((res) => srv.close(res)));
    const port = (srv.address() as { port: number }).port;
    const r = await relay({
      data_plane: plane,
      upstreams: { u: { servers: [`localhost:${port}`] }, bad: { servers: ['no-such-host.invalid:1'], connect_timeout: '2s' } },
      listeners: [{ name: 't', listen: ['127.0.0.1:0'], routes: [{ upstream: 'u' }] }, { name: 'b', listen: ['127.0.0.1:0'], routes: [{ upstream: 'bad' }] }],
    });
    const got = await roundTrip(r.port('t'), Buffer.from('by name'));
    assert.equal(got.toString(), 'by name');
    const failed = await new Promise<string>((resolve) => {
      const c = connect(r.port('b'), '127.0.0.1');
      let text = '';
      c.on('data', (d) => (text += d));
      c.on('error', () => {});
      c.on('close', () => resolve(text));
    });
    assert.equal(failed, '');
    await r.waitLog((l) => l.msg === 'connection' && l.reason === 'upstream_connect_failed');
  });
}
