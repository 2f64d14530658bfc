// tproxy listeners, the dest matcher, original_destination groups and socket
// options: what compiles, and every refusal naming its key and what it accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from './config.js';
import { selectRoute } from './route.js';
import { UpstreamGroup } from './upstream/group.js';

const CC = ['reno', 'cubic', 'bbr'];
const base = (): any => ({
  upstreams: { a: { servers: ['127.0.0.1:9001'], proxy_protocol: 'v1' }, direct: { original_destination: true, transparent: true } },
  listeners: [{
    name: 'intercept', tproxy: true, listen: ['0.0.0.0:15001', '[::]:15001'],
    socket: { congestion: 'bbr', keepalive: { idle: '60s', interval: '10s', count: 5 }, dscp: 46, fastopen: 256, user_timeout: '30s', mark: 3, rcvbuf: 262144 },
    routes: [
      { match: { dest: { addresses: ['198.51.100.0/24'], ports: [443, '8000-8099'] } }, upstream: 'a' },
      { match: { dest: { ports: [80] } }, upstream: 'original_destination' },
      { upstream: 'direct' },
    ],
  }],
});

test('tproxy listener, dest routes, original_destination (named and implicit) and socket options compile', () => {
  const r = compileConfig(base(), { congestion: CC });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  if (!r.ok) return;
  const l = r.config.listeners[0]!;
  assert.equal(l.tproxy, true);
  assert.deepEqual(l.socket, { congestion: 'bbr', keepalive: { idle: 60, interval: 10, count: 5 }, userTimeoutMs: 30000, fastopenQueue: 256, tos: 184, mark: 3, rcvbuf: 262144 });
  assert.equal(r.config.upstreams.get('original_destination')?.originalDestination, true); // implicit, with defaults
  assert.equal(r.config.upstreams.get('original_destination')?.proxyProtocol, 'none');
  assert.equal(l.needBytes, false); // dest decides without bytes
  const route = (address: string, port: number) => {
    const d = selectRoute(l.routes, { client: '192.0.2.1', dest: { family: address.includes(':') ? 6 : 4, address, port }, hello: () => ({ kind: 'need-more' }), final: true });
    return d.kind === 'route' ? d.route.index : d.kind;
  };
  assert.equal(route('198.51.100.7', 443), 0);
  assert.equal(route('198.51.100.7', 8050), 0);
  assert.equal(route('::ffff:198.51.100.7', 8099), 0);
  assert.equal(route('198.51.100.7', 8100), 2);
  assert.equal(route('203.0.113.1', 443), 2);
  assert.equal(route('2001:db8::1', 80), 1);
});

test('an original_destination group connects to each connection\'s destination', () => {
  const r = compileConfig(base(), { congestion: CC });
  assert.ok(r.ok);
  if (!r.ok) return;
  const g = new UpstreamGroup(r.config.upstreams.get('direct')!);
  const s = g.pick('192.0.2.1', new Set(), Date.now(), { family: 6, address: '2001:db8::5', port: 443 })!;
  assert.deepEqual([s.cfg.host, s.cfg.port, s.cfg.address, s.sockaddr?.length], ['2001:db8::5', 443, '[2001:db8::5]:443', 28]);
  assert.equal(g.pick('192.0.2.1', new Set(), Date.now(), { family: 6, address: '2001:db8::5', port: 443 }), s); // one object per destination
  assert.equal(g.pick('192.0.2.1', new Set([s]), Date.now(), { family: 6, address: '2001:db8::5', port: 443 }), undefined); // one try: there is no other server
  assert.equal(g.pick('192.0.2.1', new Set()), undefined);
});

test('refusals name the key and what it accepts', () => {
  const c = base();
  c.listeners[0].socket.congestion = 'hybla';
  c.listeners[0].socket.tos = 4; // with dscp
  c.listeners[0].socket.keepalive.idle = '500ms';
  c.listeners[0].routes[0].match.dest.ports.push('9000-8000');
  c.listeners[0].routes.push({ match: { dest: {} }, close: true });
  c.listeners.push({ name: 'plain', listen: ['127.0.0.1:80'], routes: [{ upstream: 'direct' }] });
  c.listeners.push({ name: 'udp', protocol: 'udp', tproxy: true, listen: ['0.0.0.0:15001'], socket: { congestion: 'bbr', mark: 1 }, routes: [{ upstream: 'a' }] });
  c.listeners.push({ name: 'byname', tproxy: true, listen: ['localhost:15002'], routes: [{ close: true }] });
  const r = compileConfig(c, { congestion: CC });
  assert.equal(r.ok, false);
  if (r.ok) return;
  const p = r.problems.join('\n');
  assert.match(p, /\/listeners\/0\/socket\/congestion: "hybla" is not available in this kernel; \/proc\/sys\/net\/ipv4\/tcp_available_congestion_control lists reno, cubic, bbr/);
  assert.match(p, /\/listeners\/0\/socket: give one of "tos" or "dscp", not both/);
  assert.match(p, /\/listeners\/0\/socket\/keepalive\/idle: expected whole seconds from 1s to 32767s, got 500ms/);
  assert.match(p, /\/listeners\/0\/routes\/0\/match\/dest\/ports\/2: expected a port range from 1 to 65535 with its low end first, got "9000-8000"/);
  assert.match(p, /\/listeners\/0\/routes\/3\/match\/dest: expected "addresses" \(CIDRs\), "ports"/);
  assert.match(p, /\/listeners\/1\/routes\/0\/upstream: "direct" connects to the original destination, which needs tproxy: true on the listener/);
  assert.match(p, /\/listeners\/2\/socket\/congestion: a TCP option; a UDP listener takes mark, tos, dscp, rcvbuf and sndbuf/);
  assert.match(p, /\/listeners\/3\/listen\/0: with tproxy, expected an IP address \(such as 0.0.0.0:15001 or \[::\]:15001\), got localhost:15002/);
});

test('upstream groups: servers or original_destination, and the upstream fastopen form', () => {
  const c = base();
  c.upstreams.both = { servers: ['127.0.0.1:1'], original_destination: true };
  c.upstreams.neither = {};
  c.upstreams.named = { servers: ['127.0.0.1:443'], socket: { fastopen: 3 } };
  const r = compileConfig(c, { congestion: CC });
  assert.equal(r.ok, false);
  if (r.ok) return;
  const p = r.problems.join('\n');
  assert.match(p, /\/upstreams\/both: a group needs exactly one of "servers" \(a list of host:port\) or "original_destination: true"/);
  assert.match(p, /\/upstreams\/neither: a group needs exactly one of/);
  assert.match(p, /\/upstreams\/named\/socket\/fastopen: expected true or false \(TCP_FASTOPEN_CONNECT\), got 3/);
});

test('tproxy and socket options need the engine data plane; socket options need IP servers', () => {
  const c = base();
  c.data_plane = 'streams';
  c.upstreams.named = { servers: ['backend.example:443'], socket: { mark: 1 } };
  c.listeners[0].routes.push({ upstream: 'named' });
  const r = compileConfig(c, { congestion: CC });
  assert.equal(r.ok, false);
  if (r.ok) return;
  const p = r.problems.join('\n');
  assert.match(p, /\/listeners\/0\/tproxy: needs data_plane: engine \(the sockets are made through the native layer\), got data_plane: streams/);
  assert.match(p, /\/upstreams\/named\/socket: needs data_plane: engine/);
  assert.match(p, /\/upstreams\/named\/servers\/0: with socket options, expected an IP address and port, got backend.example:443/);
});
