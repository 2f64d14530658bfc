// inject() tests of the web page routes and the LUA helper routes: the page
// and its assets are served without a key under a strict CSP, the LUA check
// answers like the zone API (422 with the Lua error), and garbage bodies get
// clear errors.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createLogger } from '@geoedge/shared';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { createControlMetrics } from '../metrics.js';

const KEY = 'web-routes-key-5d2a';
const apps: FastifyInstance[] = [];
after(async () => { for (const a of apps) await a.close(); });

async function makeApp(geodnsAddress = '127.0.0.1:9'): Promise<FastifyInstance> {
  const log = createLogger({ name: 'test', level: 'silent' });
  const config = loadConfig(undefined, { apiKey: KEY, geodnsAddress }, {});
  const app = await buildApp({ config, log, metrics: createControlMetrics(), updaterProblem: 'none' });
  apps.push(app);
  return app;
}

const post = (app: FastifyInstance, url: string, body: unknown, key: string | undefined = KEY) =>
  app.inject({ method: 'POST', url, headers: { ...(key ? { 'x-api-key': key } : {}), 'content-type': 'application/json' }, payload: typeof body === 'string' ? body : JSON.stringify(body) });

test('the page and its assets are served without a key under a strict Content-Security-Policy', async () => {
  const app = await makeApp();
  for (const [url, type] of [['/ui', 'text/html'], ['/ui/app.js', 'text/javascript'], ['/ui/style.css', 'text/css']] as const) {
    const r = await app.inject({ url });
    assert.equal(r.statusCode, 200, url);
    assert.ok(String(r.headers['content-type']).startsWith(type), `${url}: ${r.headers['content-type']}`);
    const csp = String(r.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/, 'scripts only from this origin, no unsafe-inline or eval');
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
  }
  const html = (await app.inject({ url: '/ui' })).body;
  assert.match(html, /<script type="module" src="\/ui\/app.js"><\/script>/);
  assert.doesNotMatch(html, /<script>(?!<)/, 'no inline script the CSP would block');
  const js = (await app.inject({ url: '/ui/app.js' })).body;
  assert.doesNotMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, 'the script never writes HTML');
  // The API behind the page still wants the key.
  assert.equal((await app.inject({ url: '/api/v1/servers/localhost/zones' })).statusCode, 401);
  assert.equal((await post(app, '/api/v1/lua/check', { content: 'A "1"' }, '')).statusCode, 401);
});

test('POST /api/v1/lua/check accepts good Lua and returns the Lua error for bad Lua', async () => {
  const app = await makeApp();
  const ok = await post(app, '/api/v1/lua/check', { content: `A "pickrandom({'192.0.2.1','192.0.2.2'})"` });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.deepEqual(ok.json(), { result: 'ok', type: 'A' });
  const bad = await post(app, '/api/v1/lua/check', { content: `A "pickrandom({'192.0.2.1',"` });
  assert.equal(bad.statusCode, 422);
  assert.match(bad.json().error, /^Lua syntax error: .*unexpected symbol|^Lua syntax error: /);
  const notLua = await post(app, '/api/v1/lua/check', { content: 'no quotes here' });
  assert.equal(notLua.statusCode, 422);
  assert.ok(notLua.json().error.length > 0);
});

test('LUA routes refuse garbage bodies with clear errors', async () => {
  const app = await makeApp();
  for (const [url, body, want] of [
    ['/api/v1/lua/check', '{"content":', 400],
    ['/api/v1/lua/check', [], 422],
    ['/api/v1/lua/check', { content: 42 }, 422],
    ['/api/v1/lua/check', { content: "A \"'x'; DROP TABLE records; --'\"" }, 422],
    ['/api/v1/lua/check', { content: "A \"'x; DROP TABLE records; --'\"" }, 200],
    ['/api/v1/lua/preview', { qname: 'x.example.', client: 'not-an-ip' }, 422],
    ['/api/v1/lua/preview', { qname: 'x.example.', client: '192.0.2.1', qtype: 'NOPE' }, 422],
    ['/api/v1/lua/preview', { qname: `${'a'.repeat(70)}.example.`, client: '192.0.2.1' }, 422],
    ['/api/v1/lua/preview', { client: '192.0.2.1' }, 422],
    ['/api/v1/lua/preview', { qname: 'x.example.', client: '192.0.2.1', content: 'A "(("' }, 422],
  ] as const) {
    const r = await post(app, url, body);
    assert.equal(r.statusCode, want, `${url} ${JSON.stringify(body)}: ${r.body}`);
    if (want !== 200) assert.equal(typeof r.json().error, 'string');
  }
});

test('preview reports a silent geodns as 502 instead of hanging', async () => {
  const silent = createSocket('udp4');
  await new Promise<void>((res) => silent.bind(0, '127.0.0.1', res));
  try {
    const app = await makeApp(`127.0.0.1:${silent.address().port}`);
    const r = await post(app, '/api/v1/lua/preview', { qname: 'x.example.', client: '192.0.2.1' });
    assert.equal(r.statusCode, 502);
    assert.match(r.json().error, /no answer from geodns/);
  } finally {
    silent.close();
  }
});
