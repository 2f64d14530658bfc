// PROXY protocol against real peers: nginx stream (listen … proxy_protocol)
// reads the header our relay sends, HAProxy send-proxy-v2 sends one to our relay,
// and a relay → relay → nginx chain keeps the client's address and port.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect } from 'node:tls';
import { freePort } from './helpers/ports.js';
import { startRelay, startNginx, startHaproxy, exchange, nginxEchoProxyProtocol, type PeerProc, type RelayProc } from './relay-harness.js';
import { encodeProxyV2 } from '@geoedge/relay';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });
async function nginx(port: number): Promise<PeerProc> {
  const n = await startNginx(nginxEchoProxyProtocol(port), [port]);
  cleanups.push(() => n.stop());
  return n;
}
async function relay(cfg: object): Promise<RelayProc> {
  const r = await startRelay(cfg);
  cleanups.push(() => r.stop());
  return r;
}
const listener = (name: string, routes: object[], extra: object = {}) => ({ name, listen: ['127.0.0.1:0'], routes, ...extra });

test('nginx stream reads the v1 and v2 headers we send: client address and port', async () => {
  const np = await freePort();
  const n = await nginx(np);
  const r = await relay({
    upstreams: { v1: { servers: [`127.0.0.1:${np}`], proxy_protocol: 'v1' }, v2: { servers: [`127.0.0.1:${np}`], proxy_protocol: 'v2' } },
    listeners: [listener('a', [{ upstream: 'v1' }]), listener('b', [{ upstream: 'v2' }])],
  });
  for (const name of ['a', 'b']) {
    const res = await exchange(r.port(name), 'hello');
    assert.equal(res.text.trim(), `pp=127.0.0.1:${res.local} remote=127.0.0.1`, name);
  }
  assert.match(n.file('stream.log'), /^127\.0\.0\.1 \d+ 127\.0\.0\.1$/m);
});

test('nginx stream accepts our v2 header with SNI and ALPN TLVs from a real TLS ClientHello', async () => {
  const np = await freePort();
  const n = await nginx(np);
  const r = await relay({
    upstreams: { v2: { servers: [`127.0.0.1:${np}`], proxy_protocol: 'v2' } },
    listeners: [listener('tls', [{ match: { sni: ['*.relay.test'] }, upstream: 'v2' }])],
  });
  const port = r.port('tls');
  const local = await new Promise<number>((resolve) => {
    const c = tlsConnect({ port, host: '127.0.0.1', servername: 'www.relay.test', ALPNProtocols: ['h2'] });
    c.on('connect', () => resolve(c.localPort!));
    c.on('error', () => {}); // nginx answers plain text: the TLS handshake fails, on purpose
    c.setTimeout(3000, () => c.destroy());
  });
  const line = await r.waitLog((l) => l.msg === 'connection' && l.sni === 'www.relay.test');
  assert.equal(line.alpn, 'h2');
  assert.equal(line.upstream, `127.0.0.1:${np}`);
  for (let i = 0; i < 50 && !n.file('stream.log').includes(` ${local} `); i++) await new Promise((res) => setTimeout(res, 50));
  assert.match(n.file('stream.log'), new RegExp(`^127\\.0\\.0\\.1 ${local} 127\\.0\\.0\\.1$`, 'm'));
});

test('HAProxy send-proxy-v2 in front of the relay: the relay routes and logs the real client and passes it on', async () => {
  const [np, hp] = [await freePort(), await freePort()];
  await nginx(np);
  const r = await relay({
    upstreams: { next: { servers: [`127.0.0.1:${np}`], proxy_protocol: 'v1' } },
    listeners: [listener('pp', [{ upstream: 'next' }], { proxy_protocol: { trusted: ['127.0.0.1/32'] } })],
  });
  const h = await startHaproxy(`frontend fe
  bind 127.0.0.1:${hp}
  default_backend be
backend be
  server relay 127.0.0.1:${r.port('pp')} send-proxy-v2`, [hp]);
  cleanups.push(() => h.stop());
  const res = await exchange(hp, 'hi');
  assert.equal(res.text.trim(), `pp=127.0.0.1:${res.local} remote=127.0.0.1`);
  const line = await r.waitLog((l) => l.msg === 'connection' && l.proxied_client === `127.0.0.1:${res.local}`);
  assert.notEqual(line.client, line.proxied_client); // the TCP peer was HAProxy, not the client
});

test('chain client → relay (PoP) → relay (Pi) → nginx keeps the client address at every hop', async () => {
  const np = await freePort();
  await nginx(np);
  const pi = await relay({
    upstreams: { home: { servers: [`127.0.0.1:${np}`], proxy_protocol: 'v2' } },
    listeners: [listener('entrance', [{ upstream: 'home' }], { proxy_protocol: { trusted: ['127.0.0.0/8', '::1'] } })],
  });
  const pop = await relay({
    upstreams: { pi: { servers: [`127.0.0.1:${pi.port('entrance')}`], proxy_protocol: 'v2' } },
    listeners: [listener('edge', [{ upstream: 'pi' }])],
  });
  const res = await exchange(pop.port('edge'), 'x');
  assert.equal(res.text.trim(), `pp=127.0.0.1:${res.local} remote=127.0.0.1`);
  await pi.waitLog((l) => l.msg === 'connection' && l.proxied_client === `127.0.0.1:${res.local}`);
  await pop.waitLog((l) => l.msg === 'connection' && l.client === `127.0.0.1:${res.local}`);
});

test('a PROXY header from an untrusted source is closed and logged; nothing reaches the upstream', async () => {
  const np = await freePort();
  const n = await nginx(np);
  const r = await relay({
    admin: `127.0.0.1:${await freePort()}`,
    upstreams: { next: { servers: [`127.0.0.1:${np}`], proxy_protocol: 'v1' } },
    listeners: [listener('pp', [{ upstream: 'next' }], { proxy_protocol: { trusted: ['10.0.0.0/8'] } })],
  });
  const forged = encodeProxyV2({ command: 'proxy', transport: 'tcp', source: { family: 4, address: '203.0.113.66', port: 4444 }, destination: { family: 4, address: '127.0.0.1', port: 1 }, tlvs: [] });
  const res = await exchange(r.port('pp'), forged);
  assert.equal(res.text, '');
  await r.waitLog((l) => l.msg === 'connection' && l.reason === 'untrusted_proxy_source');
  await r.waitLog((l) => /untrusted source/.test(l.msg));
  assert.doesNotMatch(n.file('stream.log'), /203\.0\.113\.66/);
});

test('IPv6 listener: nginx reads a TCP6 v1 header and an INET6 v2 header for a ::1 client', async () => {
  const np = await freePort();
  await nginx(np);
  const r = await relay({
    upstreams: { v1: { servers: [`127.0.0.1:${np}`], proxy_protocol: 'v1' }, v2: { servers: [`127.0.0.1:${np}`], proxy_protocol: 'v2' } },
    listeners: [{ name: 'a', listen: ['[::1]:0'], routes: [{ upstream: 'v1' }] }, { name: 'b', listen: ['[::1]:0'], routes: [{ upstream: 'v2' }] }],
  });
  for (const name of ['a', 'b']) {
    const res = await exchange(r.port(name), 'hello', { host: '::1' });
    assert.equal(res.text.trim(), `pp=::1:${res.local} remote=127.0.0.1`, name);
  }
  await r.waitLog((l) => l.msg === 'connection' && typeof l.client === 'string' && l.client.startsWith('::1:'));
});

// nginx (`listen [::]:P ipv6only=off`) and HAProxy (`bind :::P v4v6`) on a
// dual-stack listener see an IPv4 client as ::ffff:a.b.c.d and send exactly
// that: PROXY v1 `TCP6 ::ffff:127.0.0.1 …`, v2 AF_INET6 with a v4-mapped source.
// The relay must take the client as 127.0.0.1 and pass it on in v1 and v2;
// before, encodeProxyV2 threw "not an IPv6 address" and took the process down.
test('dual-stack nginx and HAProxy in front send v4-mapped sources (v1 TCP6, v2 INET6): the relay passes the IPv4 client on and stays up', async () => {
  const np = await freePort();
  await nginx(np);
  const r = await relay({
    upstreams: { v1: { servers: [`127.0.0.1:${np}`], proxy_protocol: 'v1' }, v2: { servers: [`127.0.0.1:${np}`], proxy_protocol: 'v2' } },
    listeners: [
      listener('in-v1', [{ upstream: 'v1' }], { proxy_protocol: { trusted: ['127.0.0.1/32', '::1'] } }),
      listener('in-v2', [{ upstream: 'v2' }], { proxy_protocol: { trusted: ['127.0.0.1/32', '::1'] } }),
    ],
  });
  const [h1, h2, n1] = [await freePort(), await freePort(), await freePort()];
  const h = await startHaproxy(`frontend f1
  bind :::${h1} v4v6
  default_backend b1
frontend f2
  bind :::${h2} v4v6
  default_backend b2
backend b1
  server relay 127.0.0.1:${r.port('in-v2')} send-proxy
backend b2
  server relay 127.0.0.1:${r.port('in-v1')} send-proxy-v2`, [h1, h2]);
  cleanups.push(() => h.stop());
  const ng = await startNginx(`stream {
  server { listen [::]:${n1} ipv6only=off; proxy_pass 127.0.0.1:${r.port('in-v2')}; proxy_protocol on; }
}`, [n1]);
  cleanups.push(() => ng.stop());
  for (const [port, who] of [[h1, 'HAProxy send-proxy (v1 TCP6)'], [h2, 'HAProxy send-proxy-v2 (INET6)'], [n1, 'nginx proxy_protocol (v1 TCP6)']] as const) {
    for (let i = 0; i < 3; i++) {
      const res = await exchange(port, 'hello');
      assert.equal(res.text.trim(), `pp=127.0.0.1:${res.local} remote=127.0.0.1`, who);
      await r.waitLog((l) => l.msg === 'connection' && l.proxied_client === `127.0.0.1:${res.local}`);
    }
  }
  assert.equal(r.proc.exitCode, null);
});
