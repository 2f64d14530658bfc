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
    /\/listeners\/1\/routes\/0\/match: UDP routes can match on client only/,
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
