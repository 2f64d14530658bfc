// /status/geo and /status/lua-eval (status-map.ts) on MaxMind's City test
// database and the real LUA runtime: the key guards both; the location cells
// are places the database knows, each with a network it puts there; the PoPs
// are placed; a scratch evaluation answers per client as an ECS query would.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@geoedge/shared';
import { createGeoIpService } from './geo/index.js';
import { createHealthChecker, createLuaRuntime } from './lua/index.js';
import { createFastPath, withFastPath } from './lua/fast-path.js';
import { createMapStatusHandler, EVAL_PATH, GEO_PATH } from './status-map.js';

const CITY = join(fileURLToPath(new URL('../src/geo/testdata/', import.meta.url)), 'GeoIP2-City-Test.mmdb');
const KEY = 'status-map-key-1';
const log = createLogger({ name: 'test', level: 'silent' });
const geo = createGeoIpService({ files: [CITY], log, watch: false });
const health = createHealthChecker({ log });
// A generous time limit: a VM's first evaluation on a loaded machine may pass geodns's 10 ms default.
const rt = await (async () => { await geo.start(); return createLuaRuntime({ geo, health, include: () => [], timeLimitMs: 2000 }); })();
after(async () => { await rt.close(); await health.close(); await geo.close(); });
// As dynamic.ts builds it: records of a known shape (pickclosest) skip the VM.
const evaluator = withFastPath(createFastPath({ geo, health }), rt);

function req(method: string, url: string, key: string | null, body?: unknown): IncomingMessage {
  const r = new IncomingMessage(new Socket());
  r.method = method;
  r.url = url;
  if (key !== null) r.headers['x-api-key'] = key;
  if (body !== undefined) r.push(JSON.stringify(body));
  r.push(null);
  return r;
}

const handler = createMapStatusHandler(KEY, { geo, evaluator });
const call = async (method: string, url: string, key: string | null = KEY, body?: unknown) => {
  const r = await handler(url.split('?')[0]!, req(method, url, key, body));
  assert.ok(r, `${url} is served`);
  return { status: r.status, json: JSON.parse(r.body) as Record<string, unknown> };
};

test('without statusKey nothing is served; a wrong key is 401; other paths are left alone', async () => {
  assert.equal(createMapStatusHandler(undefined, { geo })(GEO_PATH, req('GET', GEO_PATH, KEY)), undefined);
  assert.equal(handler('/status/other', req('GET', '/status/other', KEY)), undefined);
  assert.equal((await call('GET', GEO_PATH, 'wrong-key-1')).status, 401);
  assert.equal((await call('POST', EVAL_PATH, null, {})).status, 401);
  assert.equal((await call('POST', GEO_PATH)).status, 405);
  assert.equal((await call('GET', `${GEO_PATH}?max=0`)).status, 400);
});

test('GET /status/geo: the places the database knows, each with a network it puts there, and the PoPs placed', async () => {
  const r = await call('GET', `${GEO_PATH}?max=1000&locate=81.2.69.142,192.0.2.1`);
  assert.equal(r.status, 200);
  const locs = r.json.locations as Array<{ lat: number; lon: number; country?: string; city?: string; client: string; prefix: number }>;
  assert.ok(locs.length >= 3, `${locs.length} locations`);
  for (const l of locs) {
    const g = geo.lookup(l.client)!;
    assert.deepEqual([g.lat, g.lon], [l.lat, l.lon], `${l.client} is placed at its location`);
    assert.ok(l.client.includes('.'), 'IPv4 networks (ECS from an IPv4 client)');
  }
  assert.ok(locs.some((l) => l.city === 'London' && l.country === 'GB'));
  assert.equal(new Set(locs.map((l) => `${l.lat},${l.lon}`)).size, locs.length, 'one point per place');
  assert.deepEqual(r.json.located, [{ ip: '81.2.69.142', lat: 51.5142, lon: -0.0931, country: 'GB', city: 'London' }, { ip: '192.0.2.1' }]);
  assert.equal((r.json.database as { type: string }).type, 'GeoIP2-City');
  // Thinned to max, still from distinct places.
  const two = (await call('GET', `${GEO_PATH}?max=2`)).json.locations as unknown[];
  assert.equal(two.length, 2);
});

test('POST /status/lua-eval: an unsaved record evaluated per client as its ECS query would be, nothing stored', async () => {
  const code = `pickclosest({'81.2.69.142','216.160.83.56'})`; // London, Milton (WA, US) in the test database
  const r = await call('POST', EVAL_PATH, KEY, { qname: 'geo.example.', zone: 'example.', type: 'A', code, clients: ['81.2.69.160', '216.160.83.60', '192.0.2.9'] });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const results = r.json.results as Array<{ contents?: string[]; error?: string }>;
  assert.deepEqual(results.slice(0, 2), [{ contents: ['81.2.69.142'] }, { contents: ['216.160.83.56'] }]);
  assert.equal(results.length, 3);
  const bad = await call('POST', EVAL_PATH, KEY, { qname: 'geo.example.', zone: 'example.', type: 'A', code: `error('boom')`, clients: ['192.0.2.1'] });
  assert.match((bad.json.results as Array<{ error?: string }>)[0]!.error ?? '', /boom/);
  assert.match((await call('POST', EVAL_PATH, KEY, { qname: 'x.', zone: 'x.', type: 'NOPE', code: '1', clients: [] })).json.error as string, /^type: /);
  assert.match((await call('POST', EVAL_PATH, KEY, { zone: 'x.', type: 'A', code: '1', clients: [] })).json.error as string, /^qname: /);
});
