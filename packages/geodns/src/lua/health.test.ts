import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcp, type Server as TcpServer } from 'node:net';
import { createServer as createHttp, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHealthChecker } from './health.js';
import { client, record, silent, testGeo } from './testkit.js';
import { createLuaRuntime } from './runtime.js';
import { createRegistry } from '@geoedge/shared';
import type { CheckSpec } from './types.js';

async function listen<T extends TcpServer | HttpServer>(s: T): Promise<number> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

/** A port nobody listens on: bind, note it, close. */
async function closedPort(): Promise<number> {
  const s = createTcp();
  const p = await listen(s);
  await new Promise((r) => s.close(r));
  return p;
}

test('TCP checks: unknown first (-1), then up/down from real connects, never on the query path', async () => {
  const srv = createTcp((c) => c.destroy());
  const open = await listen(srv);
  const closed = await closedPort();
  const hc = createHealthChecker({ log: silent });
  const up: CheckSpec = { kind: 'tcp', address: '127.0.0.1', port: open, opts: {} };
  const down: CheckSpec = { kind: 'tcp', address: '127.0.0.1', port: closed, opts: { timeout: '1' } };
  const t = Date.now();
  assert.equal(hc.status(up).value, -1);
  assert.equal(hc.status(down).value, -1);
  assert.ok(Date.now() - t < 50, 'status() must not wait for the network');
  const changes: Array<[string, number]> = [];
  hc.onChange((id, v) => changes.push([id, v]));
  await hc.tick();
  assert.equal(hc.status(up).value, 1);
  assert.equal(hc.status(down).value, 0);
  assert.equal(changes.length, 2);
  srv.close();
});

test('minimumFailures: up stays up until that many failures in a row', async () => {
  const srv = createTcp((c) => c.destroy());
  const port = await listen(srv);
  const hc = createHealthChecker({ log: silent });
  const spec: CheckSpec = { kind: 'tcp', address: '127.0.0.1', port, opts: { minimumFailures: '3', interval: '0.001' } };
  hc.status(spec);
  await hc.tick();
  assert.equal(hc.status(spec).value, 1);
  await new Promise((r) => srv.close(r));
  for (let i = 1; i <= 3; i++) {
    await new Promise((r) => setTimeout(r, 5));
    await hc.tick();
    assert.equal(hc.status(spec).value, i < 3 ? 1 : 0, `after ${i} failures`);
  }
});

test('HTTP checks: httpcode, stringmatch, headers, useragent, byteslimit, weight from the body', async () => {
  const seen: Array<Record<string, string | string[] | undefined>> = [];
  const srv = createHttp((req, res) => {
    seen.push(req.headers);
    if (req.url === '/ok') res.end('all good');
    else if (req.url === '/weight') res.end('42\n');
    else if (req.url === '/big') res.end('x'.repeat(10_000));
    else if (req.url === '/created') { res.statusCode = 201; res.end('made'); }
    else { res.statusCode = 404; res.end('nope'); }
  });
  const port = await listen(srv);
  const url = (p: string) => `http://geo.example.test:${port}${p}`; // name never resolved: the check connects to `address`
  const hc = createHealthChecker({ log: silent });
  const spec = (p: string, opts: Record<string, string> = {}): CheckSpec => ({ kind: 'http', url: url(p), address: '127.0.0.1', opts });
  const cases: Array<[CheckSpec, number]> = [
    [spec('/ok'), 1],
    [spec('/missing'), 0],
    [spec('/ok', { stringmatch: 'good' }), 1],
    [spec('/ok', { stringmatch: 'bad' }), 0],
    [spec('/created'), 0],
    [spec('/created', { httpcode: '201' }), 1],
    [spec('/big', { byteslimit: '100' }), 0],
    [spec('/big'), 1],
    [spec('/weight'), 42],
    [spec('/ok', { useragent: 'probe/1', headers: JSON.stringify({ 'x-check': 'yes' }) }), 1],
  ];
  for (const [s] of cases) assert.equal(hc.status(s).value, -1);
  await hc.tick();
  for (const [s, want] of cases) assert.equal(hc.status(s).value, want, `${s.kind === 'http' ? s.url : ''} ${JSON.stringify(s.opts)}`);
  assert.ok(seen.some((h) => h['user-agent'] === 'probe/1' && h['x-check'] === 'yes'));
  assert.ok(seen.every((h) => String(h.host).startsWith('geo.example.test')));
  srv.close();
});

test('a check nobody reads for the expiry time stops', async () => {
  const srv = createTcp((c) => c.destroy());
  const port = await listen(srv);
  const hc = createHealthChecker({ log: silent, expireSec: 0.05 });
  hc.status({ kind: 'tcp', address: '127.0.0.1', port, opts: { interval: '0.001' } });
  await hc.tick();
  assert.equal(hc.states().length, 1);
  await new Promise((r) => setTimeout(r, 80));
  await hc.tick();
  assert.equal(hc.states().length, 0);
  srv.close();
});

test('end to end: ifportup answers from the background checker, never waiting on the network', async () => {
  const srv = createTcp((c) => c.destroy());
  const port = await listen(srv);
  const hc = createHealthChecker({ log: silent });
  const reg = createRegistry();
  hc.registerMetrics(reg);
  const rt = await createLuaRuntime({ geo: await testGeo(), health: hc, timeLimitMs: 2000 });
  // 127.0.0.1 listens, 127.0.0.2 does not (nothing bound there on this port)
  const code = `ifportup(${port}, {'127.0.0.2', '127.0.0.1'}, {selector='all', backupSelector='empty', timeout=1})`;
  const first = rt.evaluate(record(code), client('192.0.2.9'));
  assert.deepEqual(first.kind === 'ok' && first.contents, []); // unknown state: backupSelector 'empty'
  assert.ok(first.kind === 'ok' && first.deps.health.length === 2);
  await hc.tick();
  const second = rt.evaluate(record(code), client('192.0.2.9'));
  assert.deepEqual(second.kind === 'ok' && second.contents, ['127.0.0.1']);
  const text = await reg.metrics();
  assert.match(text, /t_lua_health_checks 2|geodns_lua_health_checks 2/);
  assert.match(text, /geodns_lua_health_up\{check="tcp 127\.0\.0\.1 \d+ timeout=1"\} 1/);
  srv.close();
});
