// Health of LUA record targets (issue 20), whole process: geodns checks an
// ifportup record's two targets (one with a listener, one without), serves
// their state on its metrics address at /status/health behind statusKey;
// geoctl relays it (GET /api/v1/health, geodnsStatus) and the web page shows
// each target under the record (Debian's chromium via playwright-core, as
// control-web.test.ts). Stopping the live backend turns it down within the
// check interval.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { migrate } from '@geoedge/zonedb';
import { scratchDatabase, waitFor, type ScratchDb } from '@geoedge/zonedb/testing';
import { dig, freePort, startGeodns, startProcess, REPO_ROOT, type Geodns, type Proc } from './helpers/index.js';

const GEOCTL = join(REPO_ROOT, 'packages', 'control', 'dist', 'main.js');
const KEY = 'health-ui-key-5e6f70';
const STATUS_KEY = 'geodns-status-key-8a9b0c';
const SHOT = join(tmpdir(), 'geoedge-control-health.png');
let s: ScratchDb;
let geoctl: Proc;
let geodns: Geodns;
let backend: Server;
let port = 0;
let dir = '';
let base = '';
let statusUrl = '';
let browser: BrowserContext | undefined;
let page: Page;

interface Check { target: string; kind: string; state: string; since: string; last_error: string | null; failures: number }

before(async () => {
  s = await scratchDatabase('health');
  assert.ok((await migrate(s.db)).ok);
  dir = mkdtempSync(join(tmpdir(), 'geoedge-health-'));
  port = await freePort();
  backend = createServer((c) => c.destroy());
  await new Promise<void>((r) => backend.listen(port, '127.0.0.1', r));
  writeFileSync(join(dir, 'geodns.json'), JSON.stringify({ statusKey: STATUS_KEY }));
  geodns = await startGeodns({ metrics: true, args: ['--config', join(dir, 'geodns.json'), '--db', s.url] });
  const metrics = new URL(geodns.metricsUrl!);
  statusUrl = `http://${metrics.host}/status/health`;
  const gport = await freePort();
  writeFileSync(join(dir, 'geoctl.json'), JSON.stringify({ geodnsStatus: { address: metrics.host, key: STATUS_KEY } }));
  geoctl = startProcess(process.execPath, [GEOCTL, 'serve', '--config', join(dir, 'geoctl.json'), '--listen', `127.0.0.1:${gport}`, '--db', s.url, '--geodns-address', `127.0.0.1:${geodns.port}`], {
    env: { ...process.env, LOG_LEVEL: 'info', GEOCTL_API_KEY: KEY },
  });
  await geoctl.waitForLine(/Server listening/, 15_000);
  base = `http://127.0.0.1:${gport}`;
});
after(async () => {
  await browser?.close();
  await geoctl?.stop();
  await geodns?.stop();
  backend?.close();
  await s?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${base}${path}`, { method, headers: { 'X-API-Key': KEY, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

async function geodnsChecks(): Promise<Check[]> {
  const r = await fetch(statusUrl, { headers: { 'X-API-Key': STATUS_KEY } });
  assert.equal(r.status, 200);
  return ((await r.json()) as { checks: Check[] }).checks;
}
const byTarget = (cs: Check[]) => Object.fromEntries(cs.map((c) => [c.target, c]));

test('geodns reports each ifportup target up or down with since and last error; geoctl relays it; the page shows it under the record', async () => {
  const Z = '/api/v1/servers/localhost/zones';
  assert.equal((await api('POST', Z, { name: 'health.test.', kind: 'Native', nameservers: ['ns1.health.test.'] })).status, 201);
  assert.equal((await api('PUT', `${Z}/health.test./metadata/ENABLE-LUA-RECORDS`, { metadata: ['1'] })).status, 200);
  const lua = `A "ifportup(${port}, {'127.0.0.1', '127.0.0.2'}, {interval='1'})"`;
  assert.equal((await api('PATCH', `${Z}/health.test.`, { rrsets: [{ name: 'www.health.test.', type: 'LUA', ttl: 5, changetype: 'REPLACE', records: [{ content: lua, disabled: false }] }] })).status, 204);

  // The key guards the endpoint.
  assert.equal((await fetch(statusUrl)).status, 401);
  assert.equal((await fetch(statusUrl, { headers: { 'X-API-Key': 'wrong-key-123' } })).status, 401);

  // A query registers the checks; the checker runs them in the background.
  const live = `127.0.0.1:${port}`;
  const dead = `127.0.0.2:${port}`;
  const first = await waitFor('both targets checked', async () => {
    await dig(geodns, ['www.health.test', 'A']);
    const t = byTarget(await geodnsChecks());
    return t[live]?.state === 'up' && t[dead]?.state === 'down' ? t : undefined;
  }, 20_000);
  assert.equal(first[live]!.last_error, null);
  assert.match(first[dead]!.last_error ?? '', /ECONNREFUSED/);
  assert.equal(first[dead]!.kind, 'tcp');
  assert.deepEqual((await dig(geodns, ['www.health.test', 'A'])).answer.map((a) => a.data), ['127.0.0.1'], 'geodns answers the live target');

  // geoctl relays the same state.
  const relayed = await api('GET', '/api/v1/health');
  assert.equal(relayed.status, 200);
  assert.deepEqual(Object.keys(byTarget((relayed.json as { checks: Check[] }).checks)).sort(), [live, dead]);

  // The page, under the LUA record.
  browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  await page.goto(`${base}/ui`);
  await page.fill('#key', KEY);
  await page.click('#key-use');
  await page.click('#zones button:has-text("health.test.")');
  const row = '#rrsets tr[data-name="www.health.test."][data-type="LUA"]';
  await page.waitForSelector(`${row} div.health[data-target="${live}"][data-state="up"]`, { timeout: 10_000 });
  assert.match(await page.locator(`${row} div.health[data-target="${dead}"]`).textContent() ?? '', new RegExp(`^● ${dead.replace(/\./g, '\\.')} down since .* — .*ECONNREFUSED`));
  assert.equal(await page.locator('#health tbody tr').count(), 2, 'the table lists every check');

  // The live backend stops: down within the 1 s interval (margin for a loaded machine), since moves.
  const upSince = first[live]!.since;
  await new Promise<void>((r) => backend.close(() => r()));
  const t0 = Date.now();
  const down = await waitFor('the stopped backend is seen down', async () => {
    const c = byTarget(await geodnsChecks())[live];
    return c?.state === 'down' ? c : undefined;
  }, 15_000);
  assert.ok(Date.now() - t0 < 15_000);
  assert.ok(down.since > upSince, `since moved: ${upSince} → ${down.since}`);
  assert.match(down.last_error ?? '', /ECONNREFUSED/);
  await page.click('#zones button:has-text("health.test.")');
  await page.waitForSelector(`${row} div.health[data-target="${live}"][data-state="down"]`, { timeout: 10_000 });
  await page.screenshot({ path: SHOT, fullPage: true });
});

test('geoctl without geodnsStatus answers 503 naming the missing key', async () => {
  const gport = await freePort();
  const g = startProcess(process.execPath, [GEOCTL, 'serve', '--listen', `127.0.0.1:${gport}`], { env: { ...process.env, LOG_LEVEL: 'info', GEOCTL_API_KEY: KEY } });
  try {
    await g.waitForLine(/Server listening/, 15_000);
    const r = await fetch(`http://127.0.0.1:${gport}/api/v1/health`, { headers: { 'X-API-Key': KEY } });
    assert.equal(r.status, 503);
    assert.match(((await r.json()) as { error: string }).error, /geodnsStatus is not configured/);
  } finally {
    await g.stop();
  }
});
