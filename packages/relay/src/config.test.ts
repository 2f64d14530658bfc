import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from './config.js';

const base = () => ({
  upstreams: { home: { servers: ['10.0.0.2:443', { address: '[2001:db8::2]:443', weight: 3, backup: true }], proxy_protocol: 'v2' } },
  listeners: [{ name: 'https', listen: ['0.0.0.0:443', '[::]:443'], routes: [{ match: { sni: ['*.example.com'] }, upstream: 'home' }, { close: true }] }],
});

test('a valid config compiles with defaults and parsed values', () => {
  const r = compileConfig(base());
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  if (!r.ok) return;
  const u = r.config.upstreams.get('home')!;
  assert.equal(u.connectTimeoutMs, 5000);
  assert.equal(u.balance, 'round_robin');
  assert.equal(r.config.dataPlane, 'engine');
  assert.equal(r.config.splice, false);
  assert.deepEqual(u.servers.map((s) => [s.host, s.port, s.weight, s.backup]), [['10.0.0.2', 443, 1, false], ['2001:db8::2', 443, 3, true]]);
  const l = r.config.listeners[0]!;
  assert.equal(l.prereadMax, 16384);
  assert.equal(l.idleTimeoutMs, 600_000);
  assert.deepEqual(l.routes.map((x) => x.handler), [{ kind: 'proxy', upstream: 'home' }, { kind: 'close' }]);
});

test('every problem is reported by its path', () => {
  const c: any = base();
  c.upstreams.home.balance = 'random';
  c.upstreams.home.connect_timeout = '5 seconds';
  c.upstreams.bad = { servers: [] };
  c.listeners[0].routes.push({ upstream: 'nowhere' }, { upstream: 'home', close: true });
  c.listeners[0].proxy_protocol = { trusted: ['10.0.0.0/33', 'banana'] };
  c.listeners.push({ name: 'dns', protocol: 'udp', listen: ['0.0.0.0:53'], routes: [{ match: { sni: ['a.b'] }, upstream: 'v1' }] });
  c.upstreams.v1 = { servers: ['1.1.1.1:53'], proxy_protocol: 'v1' };
  c.listeners.push({ name: 'https', listen: ['0.0.0.0:443'], routes: [{ upstream: 'home' }], typo: 1 });
  c.data_plane = 'fast';
  c.splice = 'yes';
  const r = compileConfig(c);
  assert.equal(r.ok, false);
  if (r.ok) return;
  const text = r.problems.join('\n');
  for (const want of [
    /\/upstreams\/home\/balance: /, /\/upstreams\/home\/connect_timeout: /, /\/upstreams\/bad\/servers: /,
    /\/listeners\/2: .*typo|\/listeners\/2\/typo/, /\/data_plane: /, /\/splice: /,
  ]) assert.match(text, want);
  // Structural errors stop before cross-checks; fix them and the semantic ones appear.
  delete c.upstreams.home.balance; delete c.upstreams.home.connect_timeout; delete c.upstreams.bad; delete c.listeners[2].typo;
  c.data_plane = 'streams'; c.splice = true;
  const r2 = compileConfig(c);
  assert.equal(r2.ok, false);
  if (r2.ok) return;
  const t2 = r2.problems.join('\n');
  for (const want of [
    /\/listeners\/0\/routes\/2\/upstream: no upstream named "nowhere"/,
    /\/listeners\/0\/routes\/3: a route needs exactly one/,
    /\/listeners\/0\/proxy_protocol\/trusted\/0: bad prefix length/,
    /\/listeners\/0\/proxy_protocol\/trusted\/1: not an IP/,
    /\/listeners\/1\/routes\/0\/match: UDP routes can match on client and dest only/,
    /\/listeners\/1\/routes\/0\/upstream: PROXY v1 cannot carry UDP/,
    /\/listeners\/2\/listen\/0: 0.0.0.0:443 \(tcp\) is already used/,
    /\/listeners\/2\/name: duplicate listener name https/,
  ]) assert.match(t2, want);
});

test('garbage input is rejected, not thrown', () => {
  for (const g of [null, 42, 'text', [], { listeners: 'x' }, { upstreams: [], listeners: [] }]) {
    const r = compileConfig(g);
    assert.equal(r.ok, false, JSON.stringify(g));
  }
});

test('errors name the allowed values or form, one line per mistake', () => {
  const c: any = base();
  Object.assign(c.upstreams.home, { proxy_protocol: 2, connect_timeout: 5, balance: 'random' });
  c.upstreams.home.servers.push('10.0.0.3', { address: '10.0.0.4:80', weight: 0 });
  Object.assign(c.listeners[0], { idle_timeout: '10 minutes', on_preread_fail: 'drop', listn: [] });
  c.log_level = 'loud';
  const r = compileConfig(c);
  assert.equal(r.ok, false);
  if (r.ok) return;
  const want = [
    '/upstreams/home/proxy_protocol: expected one of "none", "v1", "v2", got 2',
    /^\/upstreams\/home\/connect_timeout: expected a duration such as 5s .*got 5$/,
    '/upstreams/home/balance: expected one of "round_robin", "least_conn", "hash", got "random"',
    /^\/upstreams\/home\/servers\/2: expected host:port .*got "10.0.0.3"$/,
    '/upstreams/home/servers/3/weight: expected an integer from 1 to 1000, got 0',
    /^\/listeners\/0\/idle_timeout: expected a duration such as 5s .*got "10 minutes"$/,
    '/listeners/0/on_preread_fail: expected one of "continue", "close", got "drop"',
    /^\/listeners\/0\/listn: unknown key; the keys here are name, protocol, listen, /,
    '/log_level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
  ];
  for (const w of want) assert.ok(r.problems.some((p) => (typeof w === 'string' ? p === w : w.test(p))), `${w}\n  not in:\n  ${r.problems.join('\n  ')}`);
  assert.equal(r.problems.length, want.length, r.problems.join('\n'));
});

const listenersOn = (...lists: Array<[string, string[]]>) => {
  const c: any = base();
  c.listeners = lists.map(([protocol, listen], i) => ({ name: `l${i}`, protocol, listen, routes: [{ upstream: 'home' }] }));
  c.upstreams.home.proxy_protocol = 'none';
  return compileConfig(c);
};

test('listen addresses that cannot all be bound are refused', () => {
  const refused: Array<[Array<[string, string[]]>, RegExp]> = [
    // A wildcard takes the port on every address of its family (EADDRINUSE for the second bind).
    [[['tcp', ['0.0.0.0:8443']], ['tcp', ['127.0.0.1:8443']]], /\/listeners\/1\/listen\/0: 127\.0\.0\.1:8443 \(tcp\) overlaps 0\.0\.0\.0:8443 of listener "l0"/],
    [[['tcp', ['127.0.0.1:8443', '0.0.0.0:8443']]], /\/listeners\/0\/listen\/1: 0\.0\.0\.0:8443 \(tcp\) overlaps 127\.0\.0\.1:8443 of listener "l0"/],
    [[['udp', ['[::]:5353']], ['udp', ['[::1]:5353']]], /\/listeners\/1\/listen\/0: \[::1\]:5353 \(udp\) overlaps \[::\]:5353/],
    [[['tcp', ['[::1]:80']], ['tcp', ['[0:0::1]:80']]], /\/listeners\/1\/listen\/0: \[0:0::1\]:80 \(tcp\) is already used by listener "l0" \(\/listeners\/0\/listen\/0\)/],
    // IPv6 listeners are IPv6-only: a v4-mapped address cannot be bound (EINVAL).
    [[['tcp', ['[::ffff:127.0.0.1]:8443']]], /\/listeners\/0\/listen\/0: .*IPv4-mapped.*127\.0\.0\.1:8443/],
  ];
  for (const [lists, want] of refused) {
    const r = listenersOn(...lists);
    assert.equal(r.ok, false, JSON.stringify(lists));
    if (!r.ok) assert.match(r.problems.join('\n'), want);
  }
  const allowed: Array<Array<[string, string[]]>> = [
    [['tcp', ['0.0.0.0:443', '[::]:443']]], // IPV6_V6ONLY: the two families are separate sockets
    [['tcp', ['0.0.0.0:53']], ['udp', ['0.0.0.0:53']]], // TCP and UDP ports are separate
    [['tcp', ['127.0.0.1:8443']], ['tcp', ['127.0.0.2:8443']]],
    [['tcp', ['0.0.0.0:0']], ['tcp', ['127.0.0.1:0']]], // port 0: any free port, never the same
  ];
  for (const lists of allowed) {
    const r = listenersOn(...lists);
    assert.ok(r.ok, `${JSON.stringify(lists)}: ${!r.ok && r.problems.join('\n')}`);
  }
  // The admin port (and worker i's admin port + i) is a TCP socket too.
  const c: any = base();
  c.admin = '127.0.0.1:9301';
  c.workers = 3;
  c.listeners.push({ name: 'm', listen: ['0.0.0.0:9303'], routes: [{ upstream: 'home' }] });
  const r = compileConfig(c);
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.problems.join('\n'), /^\/admin: 127\.0\.0\.1:9303 \(tcp\) overlaps 0\.0\.0\.0:9303 of listener "m"/m);
  c.workers = 2;
  assert.ok(compileConfig(c).ok);
});

test('routes after a default route are reported as unreachable warnings', () => {
  const c: any = base();
  c.listeners[0].routes = [{ match: { sni: ['a.example'] }, upstream: 'home' }, { upstream: 'home' }, { match: { client: ['10.0.0.0/8'] }, upstream: 'home' }, { close: true }];
  c.listeners.push({ name: 'dns', protocol: 'udp', listen: ['0.0.0.0:53'], routes: [{ match: {}, upstream: 'home' }, { close: true }] });
  c.upstreams.home.proxy_protocol = 'v2';
  const r = compileConfig(c);
  assert.ok(r.ok, !r.ok ? r.problems.join('\n') : '');
  if (!r.ok) return;
  assert.deepEqual(r.warnings, [
    '/listeners/0/routes/2: unreachable: route 1 has no match and takes every connection',
    '/listeners/0/routes/3: unreachable: route 1 has no match and takes every connection',
    '/listeners/1/routes/1: unreachable: route 0 has no match and takes every connection',
  ]);
  const plain = compileConfig(base());
  assert.deepEqual(plain.ok && plain.warnings, []);
});
