import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectRoute, routesNeedBytes, type Route } from './route.js';
import { buildMatchers } from './matchers/index.js';
import { CidrSet, parseCidr } from './net/cidr.js';
import { parseClientHello, encodeClientHello, type HelloResult } from './wire/client-hello.js';

const cidrs = (...l: string[]) => new CidrSet(l.map((t) => { const r = parseCidr(t); if (!r.ok) throw new Error(r.message); return r.cidr; }));
const routes: Route[] = [
  { index: 0, matchers: buildMatchers({ client: cidrs('192.0.2.0/24') }), handler: { kind: 'close' } },
  { index: 1, matchers: buildMatchers({ sni: ['exact.example', '*.wild.example'] }), handler: { kind: 'proxy', upstream: 'a' } },
  { index: 2, matchers: buildMatchers({ alpn: ['acme-tls/1'] }), handler: { kind: 'proxy', upstream: 'acme' } },
  { index: 3, matchers: buildMatchers({ not_tls: true }), handler: { kind: 'proxy', upstream: 'plain' } },
  { index: 4, matchers: [], handler: { kind: 'proxy', upstream: 'default' } },
];
const pick = (client: string, bytes: Buffer, final = false) => {
  const h: HelloResult = parseClientHello(bytes);
  const d = selectRoute(routes, { client, hello: () => h, final });
  return d.kind === 'route' ? d.route.index : d.kind;
};

test('routes: client CIDR, exact and wildcard SNI, ALPN, not-TLS, default', () => {
  assert.equal(pick('192.0.2.77', Buffer.alloc(0)), 0); // decided without any bytes
  assert.equal(pick('::ffff:192.0.2.77', Buffer.alloc(0)), 0);
  assert.equal(pick('198.51.100.1', encodeClientHello({ sni: 'exact.example' })), 1);
  assert.equal(pick('198.51.100.1', encodeClientHello({ sni: 'a.b.wild.example' })), 1);
  assert.equal(pick('198.51.100.1', encodeClientHello({ sni: 'wild.example' })), 4);
  assert.equal(pick('198.51.100.1', encodeClientHello({ sni: 'x.example', alpn: ['acme-tls/1'] })), 2);
  assert.equal(pick('198.51.100.1', Buffer.from('GET / HTTP/1.1\r\n')), 3);
  assert.equal(pick('198.51.100.1', encodeClientHello({ sni: 'other.example' })), 4);
});

test('need-more until the hello is complete; final turns it into no-match', () => {
  const hello = encodeClientHello({ sni: 'exact.example', padding: 3000, recordSize: 700 });
  assert.equal(pick('198.51.100.1', hello.subarray(0, 1000)), 'need-more');
  assert.equal(pick('198.51.100.1', hello), 1);
  assert.equal(pick('198.51.100.1', hello.subarray(0, 1000), true), 4);
  assert.equal(routesNeedBytes(routes), true);
  assert.equal(routesNeedBytes([routes[0]!, routes[4]!]), false);
});

test('no route at all', () => {
  const only: Route[] = [routes[1]!];
  const d = selectRoute(only, { client: '1.2.3.4', hello: () => ({ kind: 'not-tls', reason: 'x' }), final: true });
  assert.equal(d.kind, 'none');
});
