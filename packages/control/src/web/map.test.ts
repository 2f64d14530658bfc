// The map view's parts that need no geodns: the page's size budget and safety
// (issue 20: under 200 KB of JavaScript, no framework, no HTML from data), the
// bundled land outline, the batched ECS probe against a UDP peer that drops
// queries, the PoP addresses read from LUA code, and the route's input errors.
// The whole path (geodns, GeoIP, health, chromium) is test/control-map.test.ts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@geoedge/shared';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { createControlMetrics } from '../metrics.js';
import { probeMany } from './dns-probe-batch.js';
import { addressesIn } from '../routes/lua-map.js';

const KEY = 'map-unit-key-7c1f';
const STATIC = new URL('../../src/web/static/', import.meta.url);
const apps: FastifyInstance[] = [];
after(async () => { for (const a of apps) await a.close(); });

/** `file`: config file keys (geodnsStatus has no flag). */
async function makeApp(file?: Record<string, unknown>): Promise<FastifyInstance> {
  const log = createLogger({ name: 'test', level: 'silent' });
  let path: string | undefined;
  if (file) {
    const dir = mkdtempSync(join(tmpdir(), 'geoctl-map-'));
    path = join(dir, 'geoctl.json');
    writeFileSync(path, JSON.stringify(file));
    after(() => rmSync(dir, { recursive: true, force: true }));
  }
  const config = loadConfig(path, { apiKey: KEY, geodnsAddress: '127.0.0.1:9' }, {});
  const app = await buildApp({ config, log, metrics: createControlMetrics(), updaterProblem: 'none' });
  apps.push(app);
  return app;
}

test('the page\'s JavaScript stays under 200 KB, is served under the CSP, and never writes HTML', async () => {
  const files = readdirSync(STATIC).filter((f) => f.endsWith('.js'));
  assert.ok(files.includes('app.js') && files.includes('map.js'), 'every script of the page counts');
  const total = files.reduce((n, f) => n + statSync(new URL(f, STATIC)).size, 0);
  assert.ok(total < 200 * 1024, `page JavaScript is ${total} bytes`);
  const app = await makeApp();
  for (const f of files) {
    const r = await app.inject({ url: `/ui/${f}` });
    assert.equal(r.statusCode, 200);
    assert.equal(r.rawPayload.length, statSync(new URL(f, STATIC)).size, 'served whole, no bundle beside it');
    assert.match(String(r.headers['content-security-policy']), /script-src 'self'(;|$)/);
    assert.doesNotMatch(r.body, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
    assert.doesNotMatch(r.body, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'no outside requests');
  }
});

test('the bundled land outline is small, says where it comes from, and is served from this origin', async () => {
  const app = await makeApp();
  const r = await app.inject({ url: '/ui/world-land.json' });
  assert.equal(r.statusCode, 200);
  assert.ok(r.body.length < 150 * 1024, `${r.body.length} bytes`);
  const w = r.json() as { source: string; viewBox: string; d: string };
  assert.match(w.source, /Natural Earth .*public domain.*world-atlas/);
  assert.equal(w.viewBox, '0 0 360 180');
  assert.match(w.d, /^M[\d. LMZ]+$/, 'path data only');
  const xs = [...w.d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
  assert.ok(xs.length > 1000 && xs.every(([x, y]) => x >= 0 && x <= 360 && y >= 0 && y <= 180));
});

test('probeMany: thousands of ECS queries over one socket, each reply matched to its client, dropped ones sent again', async () => {
  // A UDP peer that answers with the ECS address (RFC 7871 option at the end of
  // the query) as the A record, and ignores the first copy of every 7th query.
  const server = createSocket('udp4');
  const seen = new Map<string, number>();
  let received = 0;
  server.on('message', (q, rinfo) => {
    received++;
    const addr = [...q.subarray(q.length - 4)].join('.');
    const n = (seen.get(addr) ?? 0) + 1;
    seen.set(addr, n);
    const ordinal = Number(addr.split('.')[3]);
    if (ordinal % 7 === 0 && n === 1) return;
    const qend = q.indexOf(0, 12) + 5; // question name's root label, then type and class
    const head = Buffer.from(q.subarray(0, 12));
    head.writeUInt16BE(0x8400, 2); // QR AA
    head.writeUInt16BE(1, 6);
    head.writeUInt16BE(0, 10);
    const rr = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...addr.split('.').map(Number)]);
    server.send(Buffer.concat([head, q.subarray(12, qend), rr]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
  try {
    const clients = Array.from({ length: 3000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const t0 = Date.now();
    const results = await probeMany({ host: '127.0.0.1', port: server.address().port }, 'geo.example.', 'A', clients, { timeoutMs: 200 });
    assert.equal(results.length, clients.length);
    results.forEach((r, i) => {
      assert.ok(r.ok, `client ${clients[i]}: ${!r.ok ? r.error : ''}`);
      assert.deepEqual(r.ok && r.answers.map((a) => a.data), [clients[i]]);
    });
    assert.ok(received > clients.length, 'the dropped queries were sent again');
    assert.ok(Date.now() - t0 < 10_000);
  } finally {
    server.close();
  }
  // A truncated reply (geodns's rrl slipping) is an error that says what to do.
  const slipping = createSocket('udp4');
  slipping.on('message', (q, rinfo) => {
    const head = Buffer.from(q.subarray(0, 12));
    head.writeUInt16BE(0x8600, 2); // QR AA TC
    slipping.send(Buffer.concat([head, q.subarray(12)]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => slipping.bind(0, '127.0.0.1', r));
  try {
    const [r] = await probeMany({ host: '127.0.0.1', port: slipping.address().port }, 'geo.example.', 'A', ['192.0.2.1']);
    assert.match(r && !r.ok ? r.error : '', /rrl\.exempt/);
  } finally {
    slipping.close();
  }
  // Nobody answers: every client gets an error after its tries, within the deadline.
  const silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  try {
    const r = await probeMany({ host: '127.0.0.1', port: silent.address().port }, 'geo.example.', 'A', ['192.0.2.1', '192.0.2.2'], { timeoutMs: 50, tries: 2 });
    assert.deepEqual(r.map((x) => x.ok), [false, false]);
    assert.match(!r[0]!.ok ? r[0]!.error : '', /after 2 tries/);
  } finally {
    silent.close();
  }
});

test('the PoPs of a LUA record are the addresses its code names; networks are not PoPs', () => {
  assert.deepEqual(addressesIn(`pickclosest({'67.198.150.72','78.142.195.195','89.28.239.46'})`), ['67.198.150.72', '78.142.195.195', '89.28.239.46']);
  assert.deepEqual(addressesIn(`ifportup(443, {{'192.0.2.1','2001:db8::1'},{'192.0.2.2'}}, {selector='pickclosest'})`), ['192.0.2.1', '2001:db8::1', '192.0.2.2']);
  assert.deepEqual(addressesIn(`;if netmask({'198.51.100.0/24','2001:db8::/32'}) then return '192.0.2.51' end return 'cafe'`), ['192.0.2.51']);
  assert.deepEqual(addressesIn(`pickrandom({'192.0.2.1','192.0.2.1'}) -- 443 10.1`), ['192.0.2.1']);
});

test('POST /api/v1/lua/map: 503 without geodnsStatus, 422 for contents that are not LUA or do not compile', async () => {
  const none = await makeApp();
  const post = (app: FastifyInstance, body: unknown) => app.inject({ method: 'POST', url: '/api/v1/lua/map', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  const r = await post(none, { qname: 'geo.example.', zone: 'example.', contents: [`A "pickclosest({'192.0.2.1'})"`] });
  assert.equal(r.statusCode, 503);
  assert.match(r.json().error, /geodnsStatus is not configured/);
  const app = await makeApp({ geodnsStatus: { address: '127.0.0.1:9', key: 'status-key-123' }, apiKeys: [{ name: 'viewer', key: 'viewer-key-123456', readOnly: true }] });
  // The map changes nothing: a read-only key may ask for it (here geodns is not there: 502, not 403).
  const viewer = await app.inject({ method: 'POST', url: '/api/v1/lua/map', headers: { 'x-api-key': 'viewer-key-123456', 'content-type': 'application/json' }, payload: JSON.stringify({ qname: 'geo.example.', zone: 'example.', contents: [`A "pickclosest({'192.0.2.1'})"`] }) });
  assert.equal(viewer.statusCode, 502, viewer.body);
  assert.match((await post(app, { qname: 'geo.example.', zone: 'example.', contents: [] })).json().error, /'contents' must be a list/);
  assert.match((await post(app, { qname: 'geo.example.', zone: 'example.', contents: [`A "pickclosest({'192.0.2.1',"`], unsaved: true })).json().error, /^Lua syntax error/);
  assert.match((await post(app, { qname: 'geo.example.', zone: 'example.', contents: ['A 192.0.2.1'] })).json().error, /^Record content 'A 192\.0\.2\.1': /);
  assert.match((await post(app, { qname: 'geo.example.', zone: 'example.', contents: [`A "1"`], max: 0 })).json().error, /'max' must be an integer from 1 to 20000/);
  assert.match((await post(app, { zone: 'example.', contents: [`A "1"`] })).json().error, /'qname' must be a domain name/);
  // geodns's status address does not answer: 502 naming it.
  const down = await post(app, { qname: 'geo.example.', zone: 'example.', contents: [`A "pickclosest({'192.0.2.1'})"`] });
  assert.equal(down.statusCode, 502);
  assert.match(down.json().error, /^geodns status at 127\.0\.0\.1:9: /);
});
