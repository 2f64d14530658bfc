// Garbage and hostile clients: random bytes instead of a ClientHello, truncated
// and oversized PROXY headers, slow first flights, 10,000 idle connections, an
// upstream that never reads. Each is bounded in count and time, and after each
// the relay still serves a normal client.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startRelay, exchange, type RelayProc } from './relay-harness.js';
import { encodeClientHello, encodeProxyV2 } from '@geoedge/relay';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function echoBackend(opts: { neverRead?: boolean } = {}): Promise<string> {
  const open = new Set<Socket>();
  const srv = createServer({ allowHalfOpen: true }, (s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => {});
    if (opts.neverRead) { s.pause(); return; }
    let n = 0;
    s.on('data', (d) => (n += d.length));
    s.on('end', () => s.end(`ok:${n}`));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => { srv.close(r); open.forEach((s) => s.destroy()); }));
  return `127.0.0.1:${(srv.address() as { port: number }).port}`;
}
async function relay(cfg: object): Promise<RelayProc> {
  const r = await startRelay(cfg);
  cleanups.push(() => r.stop('SIGKILL'));
  return r;
}
async function stillServes(r: RelayProc, listener: string, first: Buffer | string = encodeClientHello({ sni: 'good.example' })) {
  const res = await exchange(r.port(listener), first, { end: true });
  assert.equal(res.text, `ok:${Buffer.byteLength(first)}`);
}

test('random bytes instead of a ClientHello: closed (strict) or default route, never a crash', async () => {
  const up = await echoBackend();
  const r = await relay({
    upstreams: { u: { servers: [up] } },
    listeners: [
      { name: 'strict', listen: ['127.0.0.1:0'], on_preread_fail: 'close', preread_timeout: '500ms', routes: [{ match: { sni: ['good.example'] }, upstream: 'u' }] },
      { name: 'soft', listen: ['127.0.0.1:0'], preread_timeout: '500ms', routes: [{ match: { sni: ['good.example'] }, upstream: 'u' }, { match: { not_tls: true }, close: true }, { upstream: 'u' }] },
    ],
  });
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => {
    const junk = randomBytes(1 + (i * 37) % 3000);
    if (i % 2) junk[0] = 22; // looks like a handshake record, then garbage
    return exchange(r.port(i % 4 < 2 ? 'strict' : 'soft'), junk, { end: true, timeoutMs: 3000 });
  }));
  assert.ok(results.every((x) => x.closed !== 'timeout' && (x.text === '' || x.text.startsWith('ok:'))));
  await stillServes(r, 'strict');
  await stillServes(r, 'soft');
  assert.ok(r.logs.some((l) => l.reason === 'preread_not-tls'));
  assert.equal(r.proc.exitCode, null);
});

test('PROXY header: truncated, stalled, oversized, garbage, v2 LOCAL', async () => {
  const up = await echoBackend();
  const r = await relay({
    upstreams: { u: { servers: [up] } },
    listeners: [{ name: 'pp', listen: ['127.0.0.1:0'], proxy_protocol: { trusted: ['127.0.0.1/32'], timeout: '300ms' }, routes: [{ upstream: 'u' }] }],
  });
  const port = r.port('pp');
  const good = encodeProxyV2({ command: 'proxy', transport: 'tcp', source: { family: 4, address: '198.51.100.7', port: 1234 }, destination: { family: 4, address: '127.0.0.1', port }, tlvs: [] });
  const huge = Buffer.from(good);
  huge.writeUInt16BE(0xffff, 14);
  const cases: Array<[Buffer | Buffer[], string, { end?: boolean }]> = [
    [good.subarray(0, 20), 'proxy_header_timeout', {}],
    [good.subarray(0, 10), 'proxy_header_incomplete', { end: true }],
    [Buffer.concat([huge, randomBytes(3000)]), 'ERR_PROXY_V2_TOO_LONG', {}],
    [Buffer.from('PROXY TCP4 ' + '1'.repeat(150)), 'ERR_PROXY_V1_TOO_LONG', {}],
    [Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\n'), 'ERR_PROXY_V1_SYNTAX', {}],
    [Buffer.from('GET / HTTP/1.1\r\n\r\n'), 'ERR_PROXY_MISSING', {}],
  ];
  for (const [bytes, reason, o] of cases) {
    const res = await exchange(port, bytes, { ...o, timeoutMs: 3000 });
    assert.equal(res.text, '', reason);
    assert.notEqual(res.closed, 'timeout', reason);
    await r.waitLog((l) => l.msg === 'connection' && l.reason === reason);
  }
  // A header split over several segments is fine, and the proxied address is the client.
  const split = await exchange(port, [good.subarray(0, 5), good.subarray(5, 17), Buffer.concat([good.subarray(17), Buffer.from('abc')])], { gapMs: 30, end: true });
  assert.equal(split.text, 'ok:3');
  await r.waitLog((l) => l.msg === 'connection' && l.proxied_client === '198.51.100.7:1234');
  // v2 LOCAL (health checks): accepted, the connection's own address counts.
  const local = await exchange(port, Buffer.concat([encodeProxyV2({ command: 'local', transport: 'tcp', tlvs: [] }), Buffer.from('hc')]), { end: true });
  assert.equal(local.text, 'ok:2');
});

test('slow clients that never finish the first flight are cut at the preread timeout; others are served meanwhile', async () => {
  const up = await echoBackend();
  const r = await relay({
    upstreams: { u: { servers: [up] } },
    listeners: [{ name: 'tls', listen: ['127.0.0.1:0'], preread_timeout: '700ms', on_preread_fail: 'close', routes: [{ match: { sni: ['good.example'] }, upstream: 'u' }] }],
  });
  const hello = encodeClientHello({ sni: 'good.example', padding: 4000 });
  const slow = Array.from({ length: 200 }, () => exchange(r.port('tls'), hello.subarray(0, 2000), { timeoutMs: 5000 }));
  await sleep(100);
  await stillServes(r, 'tls');
  const t0 = Date.now();
  const res = await Promise.all(slow);
  assert.ok(res.every((x) => x.closed !== 'timeout' && x.text === ''));
  assert.ok(Date.now() - t0 < 3000);
  await r.waitLog((l) => l.reason === 'preread_need-more');
});

for (const plane of ['engine', 'streams'] as const) {
  test(`${plane}: a client dribbling its PROXY header or ClientHello one byte at a time is cut at the phase's timeout (the timer does not restart per byte)`, async () => {
    const up = await echoBackend();
    const r = await relay({
      data_plane: plane,
      upstreams: { u: { servers: [up] } },
      listeners: [
        { name: 'pp', listen: ['127.0.0.1:0'], proxy_protocol: { trusted: ['127.0.0.1/32'], timeout: '400ms' }, routes: [{ upstream: 'u' }] },
        { name: 'tls', listen: ['127.0.0.1:0'], preread_timeout: '400ms', on_preread_fail: 'close', routes: [{ match: { sni: ['good.example'] }, upstream: 'u' }] },
      ],
    });
    const header = encodeProxyV2({ command: 'proxy', transport: 'tcp', source: { family: 4, address: '198.51.100.7', port: 1234 }, destination: { family: 4, address: '127.0.0.1', port: 1 }, tlvs: [] });
    const hello = encodeClientHello({ sni: 'good.example' });
    const bytes = (b: Buffer) => [...b].map((x) => Buffer.from([x]));
    // Whole, each would take seconds at 60 ms a byte; a timer restarted per byte would let both through.
    const t0 = Date.now();
    const [pp, tls] = await Promise.all([
      exchange(r.port('pp'), [...bytes(header), Buffer.from('x')], { gapMs: 60, timeoutMs: 8000 }),
      exchange(r.port('tls'), bytes(hello), { gapMs: 60, timeoutMs: 8000 }),
    ]);
    assert.deepEqual([pp.text, tls.text], ['', '']);
    assert.ok(pp.closed !== 'timeout' && tls.closed !== 'timeout');
    assert.ok(Date.now() - t0 < Math.min(header.length, hello.length) * 60, `closed after ${Date.now() - t0} ms`);
    await r.waitLog((l) => l.msg === 'connection' && l.reason === 'proxy_header_timeout');
    await r.waitLog((l) => l.msg === 'connection' && l.reason === 'preread_need-more');
    await stillServes(r, 'tls');
  });
}

test('10,000 idle connections: bounded memory, max_connections enforced, others still served', { timeout: 120_000 }, async (t) => {
  const up = await echoBackend();
  const r = await relay({
    upstreams: { u: { servers: [up] } },
    listeners: [
      { name: 'idle', listen: ['127.0.0.1:0'], preread_timeout: '2m', max_connections: 10000, routes: [{ match: { sni: ['good.example'] }, upstream: 'u' }] },
      { name: 'other', listen: ['127.0.0.1:0'], routes: [{ upstream: 'u' }] },
    ],
  });
  const before = r.rssKb();
  const socks: Socket[] = [];
  const port = r.port('idle');
  for (let i = 0; i < 10_000; i += 500) {
    await Promise.all(Array.from({ length: 500 }, () => new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => resolve());
      s.on('error', () => resolve());
      socks.push(s);
    })));
  }
  await sleep(500);
  const refused = await exchange(port, encodeClientHello({ sni: 'good.example' }), { end: true, timeoutMs: 3000 });
  assert.equal(refused.text, ''); // the 10,001st is over max_connections
  await r.waitLog((l) => l.reason === 'limit_total');
  await stillServes(r, 'other', 'still here');
  const perConn = ((r.rssKb() - before) * 1024) / 10_000;
  t.diagnostic(`relay RSS per idle (preread) connection: ${Math.round(perConn)} bytes`);
  assert.ok(perConn < 20_000, `~${Math.round(perConn)} bytes per idle connection`);
  for (const s of socks) s.destroy();
});

test('an upstream that never reads: backpressure stops the client, relay memory stays bounded', async () => {
  const [stuck, ok] = [await echoBackend({ neverRead: true }), await echoBackend()];
  const r = await relay({
    upstreams: { stuck: { servers: [stuck] }, ok: { servers: [ok] } },
    listeners: [
      { name: 'stuck', listen: ['127.0.0.1:0'], routes: [{ upstream: 'stuck' }] },
      { name: 'ok', listen: ['127.0.0.1:0'], routes: [{ upstream: 'ok' }] },
    ],
  });
  const before = r.rssKb();
  const s = connect(r.port('stuck'), '127.0.0.1');
  s.on('error', () => {});
  await new Promise((res) => s.on('connect', res));
  const chunk = Buffer.alloc(64 * 1024, 1);
  let written = 0;
  const deadline = Date.now() + 2000;
  // Write while the socket accepts; wait for drain (which never comes once buffers fill).
  while (Date.now() < deadline && written < 512 * 1024 * 1024) {
    if (s.write(chunk)) { written += chunk.length; continue; }
    written += chunk.length;
    await Promise.race([new Promise((res) => s.once('drain', res)), sleep(300)]);
  }
  const flowed = written - s.writableLength;
  assert.ok(flowed < 64 * 1024 * 1024, `only kernel and stream buffers fill: ${flowed} bytes left the client`);
  assert.ok(r.rssKb() - before < 64 * 1024, `relay grew by ${r.rssKb() - before} kB`);
  await stillServes(r, 'ok', 'meanwhile');
  s.destroy();
});
