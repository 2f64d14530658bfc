// The relay as a whole process: SNI routing (real OpenSSL ClientHello and a large
// one split over segments and records), preread timeout, half-close, upstream
// selection and failover, health checks, idle timeout, caps, SIGHUP, SIGTERM.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { freePort } from './helpers/ports.js';
import { startRelay, exchange, type RelayProc } from './relay-harness.js';
import { encodeClientHello } from '@geoedge/relay';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

/** A backend that answers "<name>:<bytes received>" after the client half-closes. */
async function backend(name: string): Promise<{ port: number; addr: string; seen: () => number }> {
  let seen = 0;
  const srv: Server = createServer({ allowHalfOpen: true }, (s) => {
    seen++;
    let n = 0;
    s.on('data', (d) => (n += d.length));
    s.on('end', () => s.end(`${name}:${n}`));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  cleanups.push(() => new Promise((r) => { srv.close(r); (srv as unknown as { closeAllConnections?: () => void }).closeAllConnections?.(); }));
  return { port, addr: `127.0.0.1:${port}`, seen: () => seen };
}
async function relay(cfg: object): Promise<RelayProc> {
  const r = await startRelay(cfg);
  cleanups.push(() => r.stop('SIGKILL'));
  return r;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Opens a connection and keeps it; returns the socket once the relay has routed it (first byte written). */
function hold(port: number, first = 'x'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => { s.write(first); resolve(s); });
    s.on('error', reject);
  });
}
function finish(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    s.on('data', (d) => (out += d));
    s.on('close', () => resolve(out));
    s.end();
  });
}

test('SNI routes: exact, wildcard, default; real TLS client; large hello split across segments and records', async () => {
  const [a, b, d] = [await backend('a'), await backend('b'), await backend('default')];
  const r = await relay({
    upstreams: { a: { servers: [a.addr] }, b: { servers: [b.addr] }, d: { servers: [d.addr] } },
    listeners: [{ name: 'tls', listen: ['127.0.0.1:0'], preread_timeout: '2s', routes: [
      { match: { sni: ['a.example'] }, upstream: 'a' }, { match: { sni: ['*.b.example'] }, upstream: 'b' }, { upstream: 'd' }] }],
  });
  const port = r.port('tls');
  const big = encodeClientHello({ sni: 'deep.x.b.example', padding: 9000, recordSize: 1200 });
  const pieces = Array.from({ length: 8 }, (_, i) => big.subarray(Math.floor((i * big.length) / 8), Math.floor(((i + 1) * big.length) / 8)));
  const res = await exchange(port, pieces, { gapMs: 40, end: true });
  assert.equal(res.text, `b:${big.length}`);
  assert.equal((await exchange(port, encodeClientHello({ sni: 'a.example' }), { end: true })).text.split(':')[0], 'a');
  assert.equal((await exchange(port, encodeClientHello({ sni: 'b.example' }), { end: true })).text.split(':')[0], 'default');
  assert.equal((await exchange(port, 'GET / HTTP/1.0\r\n\r\n', { end: true })).text, 'default:18');
  // OpenSSL's own ClientHello: the backend is not TLS, so count the connection instead.
  const before = a.seen();
  const c = tlsConnect({ port, host: '127.0.0.1', servername: 'a.example' });
  c.on('error', () => {});
  for (let i = 0; i < 60 && a.seen() === before; i++) await sleep(50);
  c.destroy();
  assert.equal(a.seen(), before + 1);
  const line = await r.waitLog((l) => l.msg === 'connection' && l.sni === 'a.example' && (l.bytes_in as number) > 100);
  assert.equal(line.upstream, a.addr);
});

test('preread timeout sends a silent client to the default route; on_preread_fail close drops non-TLS', async () => {
  const [a, d] = [await backend('a'), await backend('default')];
  const r = await relay({
    upstreams: { a: { servers: [a.addr] }, d: { servers: [d.addr] } },
    listeners: [
      { name: 'soft', listen: ['127.0.0.1:0'], preread_timeout: '300ms', routes: [{ match: { sni: ['a.example'] }, upstream: 'a' }, { upstream: 'd' }] },
      { name: 'strict', listen: ['127.0.0.1:0'], on_preread_fail: 'close', routes: [{ match: { sni: ['a.example'] }, upstream: 'a' }, { upstream: 'd' }] },
    ],
  });
  const s = connect(r.port('soft'), '127.0.0.1');
  await new Promise((res) => s.on('connect', res));
  await sleep(600); // past the preread timeout: routed to the default with nothing read
  assert.equal(await finish(s.on('error', () => {})), 'default:0');
  const res = await exchange(r.port('strict'), 'SSH-2.0-OpenSSH_9.2\r\n', { end: true });
  assert.equal(res.text, '');
  await r.waitLog((l) => l.msg === 'connection' && l.reason === 'preread_not-tls');
});

test('round-robin with weights; a dead server is retried on the next and marked down', async () => {
  const [a, b] = [await backend('a'), await backend('b')];
  const dead = await freePort();
  const admin = await freePort();
  const r = await relay({
    admin: `127.0.0.1:${admin}`,
    upstreams: { g: { servers: [`127.0.0.1:${dead}`, a.addr, { address: b.addr, weight: 2 }], tries: 3, max_fails: 1, fail_timeout: '30s', connect_timeout: '1s' } },
    listeners: [{ name: 'rr', listen: ['127.0.0.1:0'], routes: [{ upstream: 'g' }] }],
  });
  const got: string[] = [];
  for (let i = 0; i < 9; i++) got.push((await exchange(r.port('rr'), 'x', { end: true })).text.split(':')[0]!);
  assert.ok(!got.includes(''), `every connection served: ${got}`);
  // After the dead server is marked down, weights 1:2 hold over the last 6.
  const last = got.slice(3);
  assert.equal(last.filter((x) => x === 'b').length, 4, got.join());
  const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
  assert.match(metrics, new RegExp(`relay_upstream_connect_failures_total\\{group="g",server="127.0.0.1:${dead}"\\} 1`));
  assert.match(metrics, new RegExp(`relay_upstream_up\\{group="g",server="127.0.0.1:${dead}"\\} 0`));
  assert.match(metrics, /relay_connections_total\{listener="rr",reason="done"\} 9/);
  assert.match(metrics, /relay_bytes_total\{listener="rr",direction="in"\} 9/);
});

test('active health checks mark a server down before any client hits it; hash keeps a client on one server', async () => {
  const [a, b] = [await backend('a'), await backend('b')];
  const dead = await freePort();
  const admin = await freePort();
  const r = await relay({
    admin: `127.0.0.1:${admin}`,
    upstreams: { g: { servers: [`127.0.0.1:${dead}`, a.addr, b.addr], balance: 'hash', tries: 1, max_fails: 0, health_check: { interval: '100ms', timeout: '200ms', fails: 1 } } },
    listeners: [{ name: 'h', listen: ['127.0.0.1:0'], routes: [{ upstream: 'g' }] }],
  });
  await sleep(400);
  const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
  assert.match(metrics, new RegExp(`relay_upstream_up\\{group="g",server="127.0.0.1:${dead}"\\} 0`));
  const got = new Set<string>();
  for (let i = 0; i < 6; i++) got.add((await exchange(r.port('h'), 'x', { end: true })).text.split(':')[0]!);
  assert.equal(got.size, 1, [...got].join());
  assert.ok(!got.has(''));
});

test('half-close both ways, idle timeout, per-client cap', async () => {
  const a = await backend('a');
  const r = await relay({
    upstreams: { a: { servers: [a.addr] } },
    listeners: [
      { name: 'idle', listen: ['127.0.0.1:0'], idle_timeout: '300ms', routes: [{ upstream: 'a' }] },
      { name: 'cap', listen: ['127.0.0.1:0'], max_per_client: 2, routes: [{ upstream: 'a' }] },
    ],
  });
  // Half-close: the client's FIN reaches the backend, whose reply still comes back.
  assert.equal((await exchange(r.port('idle'), 'abcdef', { end: true })).text, 'a:6');
  const idle = await hold(r.port('idle'));
  const t0 = Date.now();
  await new Promise((res) => { idle.on('end', res); idle.on('close', res); }); // half-open client: the relay's FIN shows as 'end'
  assert.ok(Date.now() - t0 < 2000);
  await r.waitLog((l) => l.msg === 'connection' && l.reason === 'idle_timeout');
  const held = [await hold(r.port('cap')), await hold(r.port('cap'))];
  await sleep(100);
  const third = await exchange(r.port('cap'), 'x', { end: true });
  assert.equal(third.text, '');
  await r.waitLog((l) => l.msg === 'connection' && l.reason === 'limit_per_client');
  assert.equal(await finish(held[0]!), 'a:1');
  assert.equal((await exchange(r.port('cap'), 'yy', { end: true })).text, 'a:2'); // a slot is free again
  held[1]!.destroy();
  idle.destroy();
});

test('SIGHUP reload keeps established connections; a bad config is rejected; SIGTERM drains', async () => {
  const [a, b] = [await backend('a'), await backend('b')];
  const cfg = (up: string) => ({
    drain_timeout: '5s',
    upstreams: { a: { servers: [a.addr] }, b: { servers: [b.addr] } },
    listeners: [{ name: 'l', listen: ['127.0.0.1:0'], routes: [{ upstream: up }] }],
  });
  const r = await startRelay(cfg('a'));
  cleanups.push(() => r.stop('SIGKILL'));
  const port = r.port('l');
  const old = await hold(port, 'before');
  await sleep(100);
  const ok = await r.reload({ ...cfg('b'), listeners: [{ name: 'l', listen: [`127.0.0.1:${port}`], routes: [{ upstream: 'b' }] }] });
  assert.equal(ok.msg, 'configuration reloaded');
  assert.equal((await exchange(port, 'new', { end: true })).text, 'b:3');
  const bad = await r.reload({ listeners: 'nope' });
  assert.match(bad.msg, /reload rejected/);
  assert.equal((await exchange(port, 'new', { end: true })).text, 'b:3');
  old.write('+after');
  const draining = r.stop('SIGTERM');
  await sleep(300);
  const refused = await exchange(port, 'x', { end: true, timeoutMs: 1000 });
  assert.equal(refused.text, '');
  assert.equal(await finish(old), 'a:12'); // the old connection kept its old upstream and finished
  assert.equal(await draining, 0);
});

for (const plane of ['engine', 'streams']) {
  test(`${plane}: a reload whose new address cannot be bound (not local, EADDRINUSE) is rejected and the old listener keeps accepting`, async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => busy.close(r)));
    const busyPort = (busy.address() as { port: number }).port;
    const cfg = (listen: string[], up = 'a') => ({
      data_plane: plane,
      upstreams: { a: { servers: [a.addr] }, b: { servers: [b.addr] } },
      listeners: [{ name: 'l', listen, routes: [{ upstream: up }] }],
    });
    const r = await relay(cfg(['127.0.0.1:0']));
    const port = r.port('l');
    const bads = [
      // 192.0.2.1 (TEST-NET-1) is no local address: EADDRNOTAVAIL.
      cfg(['192.0.2.1:443'], 'b'),
      cfg([`127.0.0.1:${port}`, '192.0.2.1:443'], 'b'),
      cfg([`127.0.0.1:${busyPort}`], 'b'),
    ];
    for (const bad of bads) {
      const res = await r.reload(bad);
      assert.match(res.msg, /^reload rejected/, JSON.stringify(bad.listeners));
      assert.match(String(res.reason), /EADDRNOTAVAIL|EADDRINUSE/);
      // The old listener and the old snapshot (upstream a) are untouched.
      assert.equal((await exchange(port, 'still', { end: true, timeoutMs: 2000 })).text, 'a:5');
    }
    // A good reload that keeps the address (port 0 → the port it got) and adds one: both serve the new route.
    const extra = await freePort();
    const ok = await r.reload(cfg([`127.0.0.1:${port}`, `127.0.0.1:${extra}`], 'b'));
    assert.equal(ok.msg, 'configuration reloaded');
    assert.equal((await exchange(port, 'new', { end: true })).text, 'b:3');
    assert.equal((await exchange(extra, 'new', { end: true })).text, 'b:3');
  });
}

test('least_conn across a SIGHUP: connections open across the reload count down the live figure; relay_upstream_active returns to 0 and new connections spread evenly', async () => {
  const [a, b] = [await backend('a'), await backend('b')];
  const admin = await freePort();
  const cfg = (servers: string[]) => ({
    admin: `127.0.0.1:${admin}`,
    upstreams: { u: { servers, balance: 'least_conn' } },
    listeners: [{ name: 'l', listen: ['127.0.0.1:0'], routes: [{ upstream: 'u' }] }],
  });
  const r = await relay(cfg([a.addr]));
  const port = r.port('l');
  const gauge = async () => {
    const text = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
    return [a.addr, b.addr].map((s) => Number(new RegExp(`^relay_upstream_active\\{group="u",server="${s}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0));
  };
  // Four connections on a, then b joins the group by a reload, then the four close.
  const held = await Promise.all(Array.from({ length: 4 }, () => hold(port)));
  for (let i = 0; i < 50 && a.seen() < 4; i++) await sleep(20);
  assert.deepEqual(await gauge(), [4, 0]);
  const ok = await r.reload({ ...cfg([a.addr, b.addr]), listeners: [{ name: 'l', listen: [`127.0.0.1:${port}`], routes: [{ upstream: 'u' }] }] });
  assert.equal(ok.msg, 'configuration reloaded');
  await Promise.all(held.map((s) => finish(s)));
  for (let i = 0; i < 50 && (await gauge()).some((n) => n !== 0); i++) await sleep(50);
  assert.deepEqual(await gauge(), [0, 0], 'relay_upstream_active after every connection closed');
  const [sa, sb] = [a.seen(), b.seen()];
  const again = await Promise.all(Array.from({ length: 8 }, () => hold(port)));
  for (let i = 0; i < 50 && a.seen() + b.seen() < sa + sb + 8; i++) await sleep(20);
  assert.deepEqual([a.seen() - sa, b.seen() - sb], [4, 4], 'least_conn spreads new connections evenly');
  await Promise.all(again.map((s) => finish(s)));
});

test('/healthz says unhealthy (503, naming the engine) while the data plane engine does not turn, and ok again after', async () => {
  const a = await backend('a');
  const admin = await freePort();
  // EDGE_RELAY_TEST_HOOKS=1: SIGUSR2 makes the engine take no events for 5 s while Node's loop
  // keeps turning, which is how the UDP PROXY crash of issue 16 left it (and /healthz said ok).
  const r = await startRelay({ admin: `127.0.0.1:${admin}`, upstreams: { a: { servers: [a.addr] } }, listeners: [{ name: 'l', listen: ['127.0.0.1:0'], routes: [{ upstream: 'a' }] }] }, { env: { EDGE_RELAY_TEST_HOOKS: '1' } });
  cleanups.push(() => r.stop('SIGKILL'));
  const health = async () => { const res = await fetch(`http://127.0.0.1:${admin}/healthz`); return `${res.status} ${(await res.text()).trim()}`; };
  assert.equal(await health(), '200 ok');
  assert.equal((await exchange(r.port('l'), 'x', { end: true })).text, 'a:1');
  r.proc.kill('SIGUSR2');
  let seen = '';
  for (let i = 0; i < 45 && !seen.startsWith('503'); i++) { await sleep(100); seen = await health(); }
  assert.match(seen, /^503 unhealthy: data plane engine has not turned for \d+ ms$/);
  for (let i = 0; i < 80 && seen !== '200 ok'; i++) { await sleep(100); seen = await health(); }
  assert.equal(seen, '200 ok');
  assert.equal((await exchange(r.port('l'), 'x', { end: true })).text, 'a:1');
});

test('workers: 2 processes share the listening socket; SIGTERM stops them all', async () => {
  const a = await backend('a');
  const r = await startRelay({ workers: 2, upstreams: { a: { servers: [a.addr] } }, listeners: [{ name: 'l', listen: [`127.0.0.1:${await freePort()}`], routes: [{ upstream: 'a' }] }] });
  cleanups.push(() => r.stop('SIGKILL'));
  await r.waitLog((l) => l.msg === 'relay listening' && l.pid !== r.logs.find((x) => x.msg === 'relay listening')!.pid);
  const pids = [...new Set(r.logs.filter((l) => l.msg === 'relay listening').map((l) => l.pid as number))];
  assert.equal(pids.length, 2);
  assert.ok(!pids.includes(r.proc.pid!)); // the primary only supervises
  for (let i = 0; i < 10; i++) assert.equal((await exchange(r.port('l'), 'abc', { end: true })).text, 'a:3');
  assert.equal(await r.stop('SIGTERM'), 0);
  for (const pid of pids) assert.throws(() => process.kill(pid, 0)); // workers are gone
});

/**
 * A listener that never completes another handshake: backlog 0, its one queue
 * slot taken and never accepted, so the kernel drops every further SYN (a
 * server behind a silent firewall, on loopback). Node's net.Server always
 * accepts, hence raw libc through @geoedge/linux.
 */
async function blackhole(): Promise<string> {
  const { socket, bind, listen, close } = (await import('@geoedge/linux')).loadLibc();
  const port = await freePort();
  const sa = Buffer.alloc(16);
  sa.writeUInt16LE(2, 0);
  sa.writeUInt16BE(port, 2);
  sa.set([127, 0, 0, 1], 4);
  const fd = socket(2, 1, 0) as number;
  assert.ok(fd >= 0 && bind(fd, sa, 16) === 0 && listen(fd, 0) === 0, 'blackhole listener');
  const filler = connect({ port, host: '127.0.0.1' });
  filler.on('error', () => {});
  await new Promise((r) => filler.once('connect', r));
  cleanups.push(async () => { filler.destroy(); close(fd); });
  return `127.0.0.1:${port}`;
}

for (const plane of ['engine', 'streams'] as const) {
  test(`connect_timeout (${plane}): a server that drops the SYN is given up after the timeout, the next one serves; alone it fails the connection`, async () => {
    const hole = await blackhole();
    const good = await backend('good');
    const r = await relay({
      data_plane: plane,
      upstreams: {
        two: { servers: [hole, good.addr], balance: 'least_conn', tries: 2, max_fails: 0, connect_timeout: '300ms' },
        one: { servers: [hole], tries: 1, max_fails: 0, connect_timeout: '300ms' },
      },
      listeners: [
        { name: 'two', listen: ['127.0.0.1:0'], routes: [{ upstream: 'two' }] },
        { name: 'one', listen: ['127.0.0.1:0'], routes: [{ upstream: 'one' }] },
      ],
    });
    // least_conn with both idle rotates its start: within two connections one tries the hole first.
    const times: number[] = [];
    for (let i = 0; i < 2; i++) {
      const t0 = Date.now();
      assert.equal((await exchange(r.port('two'), 'x', { end: true })).text, 'good:1');
      times.push(Date.now() - t0);
    }
    const slow = Math.max(...times);
    assert.ok(slow >= 280 && slow < 1500, `the connection that met the hole waited its connect_timeout: ${times}`);
    const warn = await r.waitLog((l) => l.msg === 'upstream connect failed' && l.upstream === hole);
    assert.equal(warn.err, 'connect timeout after 300 ms');
    const t0 = Date.now();
    const alone = await exchange(r.port('one'), 'x', { timeoutMs: 3000 });
    const waited = Date.now() - t0;
    assert.equal(alone.text, '');
    assert.notEqual(alone.closed, 'timeout');
    assert.ok(waited >= 280 && waited < 1500, `closed after the connect timeout: ${waited} ms`);
    const line = await r.waitLog((l) => l.msg === 'connection' && l.listener === 'one');
    assert.equal(line.reason, 'upstream_connect_failed');
  });
}
