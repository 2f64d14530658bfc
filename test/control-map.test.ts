// The map view of a LUA record (issue 20), whole process, in Debian's chromium
// via playwright-core (as control-web.test.ts). geodns runs in a network
// namespace of this test whose loopback holds the three PoP addresses of the
// example pickclosest record (67.198.150.72 Sacramento, 78.142.195.195
// Amsterdam, 89.28.239.46 London, as the bundled GeoLite2 City places them),
// so its ifportup checks reach real listeners on them; a veth pair joins the
// namespace to this one, where geoctl and the browser run. geodns reads the
// zones from the scratch database through its unix socket.
//   - the example pickclosest record's map: at least two answer colours,
//     European points on a European PoP, North American ones on the American
//     one (the SVG's data attributes), a legend, the table equivalent;
//     screenshot kept in test/output/ (gitignored);
//   - an unsaved edit is mapped by a scratch evaluation and nothing is saved;
//   - stopping a PoP's backend (an ifportup target) greys it on the map within
//     the check interval, and its clients are shown going to another PoP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { migrate } from '@geoedge/zonedb';
import { scratchDatabase, sharedMariaDb, type ScratchDb } from '@geoedge/zonedb/testing';
import { freePort, startProcess, REPO_ROOT, GEODNS_MAIN, type Proc } from './helpers/index.js';
import { netnsUnavailable } from './helpers/netns.js';

const GEOCTL = join(REPO_ROOT, 'packages', 'control', 'dist', 'main.js');
const OUT = join(REPO_ROOT, 'test', 'output');
const KEY = 'map-ui-key-41c2d9';
const STATUS_KEY = 'map-status-key-0b7e31';
const POP = { us: '67.198.150.72', nl: '78.142.195.195', gb: '89.28.239.46' };
const EXAMPLE = `A "pickclosest({'${POP.us}','${POP.nl}','${POP.gb}'})"`;
const CHECK_INTERVAL_S = 1;
const HEALTHY = `A "ifportup(8443, {'${POP.us}','${POP.nl}','${POP.gb}'}, {selector='pickclosest', interval='${CHECK_INTERVAL_S}', timeout='1'})"`;
const skip = netnsUnavailable();
const NS = `gmap${process.pid % 100000}`;
const HOST_IF = `${NS}h`;
const SUBNET = 10 + (process.pid % 200);
const HOST_IP = `10.214.${SUBNET}.1`;
const NS_IP = `10.214.${SUBNET}.2`;

let s: ScratchDb;
let geoctl: Proc;
let geodns: Proc;
const backends: Record<string, Proc> = {};
let dir = '';
let base = '';
let browser: BrowserContext | undefined;
let page: Page;

const sh = (args: string[]) => execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
const inNs = (args: string[]) => ['ip', 'netns', 'exec', NS, ...args];

function makeNamespace(): void {
  sh(['ip', 'netns', 'add', NS]);
  sh(['ip', 'link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NS]);
  sh(['ip', 'addr', 'add', `${HOST_IP}/30`, 'dev', HOST_IF]);
  sh(['ip', 'link', 'set', HOST_IF, 'up']);
  sh(inNs(['ip', 'addr', 'add', `${NS_IP}/30`, 'dev', 'eth0']));
  sh(inNs(['ip', 'link', 'set', 'eth0', 'up']));
  sh(inNs(['ip', 'link', 'set', 'lo', 'up']));
  for (const ip of Object.values(POP)) sh(inNs(['ip', 'addr', 'add', `${ip}/32`, 'dev', 'lo']));
}

function dropNamespace(): void {
  try { sh(['ip', 'link', 'del', HOST_IF]); } catch { /* gone with the namespace */ }
  try { sh(['ip', 'netns', 'del', NS]); } catch { /* never made */ }
}

/** A TCP listener on ip:8443 inside the namespace: a PoP's backend for ifportup. */
async function startBackend(ip: string): Promise<Proc> {
  const code = `require('node:net').createServer((c) => c.destroy()).listen(8443, '${ip}', () => console.log('listening'))`;
  const p = startProcess('ip', inNs([process.execPath, '-e', code]).slice(1), {});
  await p.waitForLine(/listening/, 15_000);
  return p;
}

before(async () => {
  if (skip) return;
  dropNamespace();
  makeNamespace();
  mkdirSync(OUT, { recursive: true });
  s = await scratchDatabase('map');
  assert.ok((await migrate(s.db)).ok);
  dir = mkdtempSync(join(tmpdir(), 'geoedge-map-'));
  for (const [k, ip] of Object.entries(POP)) backends[k] = await startBackend(ip);
  writeFileSync(join(dir, 'geodns.json'), JSON.stringify({ statusKey: STATUS_KEY }));
  const socketDb = `mysql://root@localhost/${s.name}?socket=${(await sharedMariaDb()).socket}`;
  geodns = startProcess('ip', inNs([process.execPath, GEODNS_MAIN, '--config', join(dir, 'geodns.json'), '--listen', `${NS_IP}:5300`, '--metrics', `${NS_IP}:9153`, '--db', socketDb]).slice(1), {
    env: { ...process.env, LOG_LEVEL: 'info' },
  });
  await geodns.waitForLine(/geodns ready/, 30_000);
  const gport = await freePort();
  writeFileSync(join(dir, 'geoctl.json'), JSON.stringify({ geodnsStatus: { address: `${NS_IP}:9153`, key: STATUS_KEY } }));
  geoctl = startProcess(process.execPath, [GEOCTL, 'serve', '--config', join(dir, 'geoctl.json'), '--listen', `127.0.0.1:${gport}`, '--db', s.url, '--geodns-address', `${NS_IP}:5300`], {
    env: { ...process.env, LOG_LEVEL: 'info', GEOCTL_API_KEY: KEY },
  });
  await geoctl.waitForLine(/Server listening/, 15_000);
  base = `http://127.0.0.1:${gport}`;
  const Z = '/api/v1/servers/localhost/zones';
  assert.equal(await api('POST', Z, { name: 'map.test.', kind: 'Native', nameservers: ['ns1.map.test.'] }), 201);
  assert.equal(await api('PUT', `${Z}/map.test./metadata/ENABLE-LUA-RECORDS`, { metadata: ['1'] }), 200);
  assert.equal(await api('PATCH', `${Z}/map.test.`, {
    rrsets: [
      { name: 'geo.map.test.', type: 'LUA', ttl: 5, changetype: 'REPLACE', records: [{ content: EXAMPLE, disabled: false }] },
      { name: 'www.map.test.', type: 'LUA', ttl: 1, changetype: 'REPLACE', records: [{ content: HEALTHY, disabled: false }] },
    ],
  }), 204);
  browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1400, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  await page.goto(`${base}/ui`);
  await page.fill('#key', KEY);
  await page.click('#key-use');
  await page.click('#zones button:has-text("map.test.")');
  await page.waitForSelector('#rrsets tr[data-name="geo.map.test."]');
});

after(async () => {
  await browser?.close();
  await geoctl?.stop();
  await geodns?.stop();
  for (const b of Object.values(backends)) await b.stop();
  await s?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (!skip) dropNamespace();
});

async function api(method: string, path: string, body?: unknown): Promise<number> {
  const r = await fetch(`${base}${path}`, { method, headers: { 'X-API-Key': KEY, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  await r.arrayBuffer();
  return r.status;
}

interface Dot { answer: string; lat: number; lon: number; fill: string; moved: string | null }

async function dots(): Promise<Dot[]> {
  return page.$$eval('#map circle', (cs) => cs.map((c) => ({
    answer: c.getAttribute('data-answer')!, lat: Number(c.getAttribute('data-lat')), lon: Number(c.getAttribute('data-lon')),
    fill: c.getAttribute('fill')!, moved: c.getAttribute('data-moved-from'),
  })));
}

const inEurope = (d: Dot) => d.lat > 36 && d.lat < 60 && d.lon > -10 && d.lon < 25;
const inNorthAmerica = (d: Dot) => d.lat > 25 && d.lat < 50 && d.lon > -125 && d.lon < -70;

/** Clicks, then waits for the next map (data-seq counts them) and checks it was drawn with the given attributes. */
async function nextMap(click: () => Promise<void>, want: Record<string, string>): Promise<void> {
  const seq = Number((await page.getAttribute('#map', 'data-seq')) ?? 0);
  await click();
  await page.waitForSelector(`#map[data-seq="${seq + 1}"]`, { state: 'attached', timeout: 30_000 });
  const state = await page.getAttribute('#map', 'data-state');
  if (state !== 'ready') throw new Error(`map: ${state}: ${await page.locator('#message').textContent()}`);
  for (const [k, v] of Object.entries(want)) assert.equal(await page.getAttribute('#map', `data-${k}`), v, k);
}

async function openMap(name: string): Promise<void> {
  await nextMap(() => page.click(`#rrsets tr[data-name="${name}"][data-type="LUA"] button.map`), { qname: name, mode: 'dns' });
}

test('the example pickclosest record: Europe on a European PoP, North America on the American one, legend and table', { skip }, async () => {
  await openMap('geo.map.test.');
  assert.equal(await page.getAttribute('#map', 'data-mode'), 'dns');
  const all = await dots();
  assert.ok(all.length >= 1000, `a few thousand sampled locations, got ${all.length}`);
  assert.ok(new Set(all.map((d) => d.fill)).size >= 2, 'at least two answer colours');
  const eu = all.filter(inEurope);
  const na = all.filter(inNorthAmerica);
  assert.ok(eu.length >= 50 && na.length >= 50, `EU ${eu.length}, NA ${na.length} points`);
  assert.deepEqual([...new Set(eu.map((d) => d.answer))].sort(), [POP.nl, POP.gb], 'European points go to the European PoPs');
  assert.deepEqual([...new Set(na.map((d) => d.answer))], [POP.us], 'North American points go to the American PoP');
  // PoPs drawn where GeoIP puts them, all unchecked (pickclosest has no health checks).
  const pops = await page.$$eval('#map g.pop', (gs) => gs.map((g) => [g.getAttribute('data-address'), g.getAttribute('data-state')]));
  assert.deepEqual(pops.sort(), [[POP.us, 'unchecked'], [POP.nl, 'unchecked'], [POP.gb, 'unchecked']]);
  // Legend: each answer with its share; the shares add up to the points.
  const legend = await page.$$eval('#map-legend li', (ls) => ls.map((l) => ({ answer: l.dataset.answer!, count: Number(l.dataset.count), text: l.textContent! })));
  assert.deepEqual(legend.map((l) => l.answer).sort(), [POP.us, POP.nl, POP.gb]);
  assert.equal(legend.reduce((n, l) => n + l.count, 0), all.length);
  assert.match(legend[0]!.text, /^\d+\.\d+\.\d+\.\d+: \d+ locations \(\d+\.\d %\)$/);
  // The table equivalent: one row per point, same answers.
  assert.equal(await page.locator('#map-table tbody tr').count(), all.length);
  assert.equal(await page.locator(`#map-table tbody tr[data-answer="${POP.us}"]`).count(), all.filter((d) => d.answer === POP.us).length);
  assert.match(await page.locator('#map-table caption').textContent() ?? '', /sampled location/);
  assert.equal(await page.getAttribute('#map', 'role'), 'img');
  await page.locator('#map-box').screenshot({ path: join(OUT, 'control-map-pickclosest.png') });
});

test('an unsaved edit is mapped by a scratch evaluation, and nothing is saved', { skip }, async () => {
  await page.click('#rrsets tr[data-name="geo.map.test."][data-type="LUA"] button:has-text("Edit")');
  await page.fill('#rr-records', `A "pickclosest({'${POP.us}','${POP.nl}'})"`);
  await nextMap(() => page.click('#rr-map'), { mode: 'scratch', qname: 'geo.map.test.' });
  const all = await dots();
  assert.deepEqual([...new Set(all.map((d) => d.answer))].sort(), [POP.us, POP.nl], 'only the two PoPs of the edit');
  assert.deepEqual([...new Set(all.filter(inEurope).map((d) => d.answer))], [POP.nl]);
  // The saved record still answers London for a client in Britain.
  await openMap('geo.map.test.');
  assert.ok((await dots()).some((d) => d.answer === POP.gb), 'the saved record is unchanged');
  assert.match(await page.locator('#rrsets tr[data-name="geo.map.test."] td.records').textContent() ?? '', /89\.28\.239\.46/);
});

test('stopping a PoP\'s backend greys it on the map within the check interval; its clients go to another PoP', { skip }, async () => {
  await openMap('www.map.test.');
  // The checks start with the first evaluation; wait until all three are up.
  const t0 = Date.now();
  while ((await page.$$eval('#map g.pop[data-state="up"]', (g) => g.length)) < 3) {
    assert.ok(Date.now() - t0 < 20_000, 'all three PoPs up');
    await new Promise((r) => setTimeout(r, 500));
    await openMap('www.map.test.');
  }
  assert.ok((await dots()).filter(inEurope).some((d) => d.answer === POP.gb), 'London serves part of Europe while up');
  await backends.gb!.stop();
  const stopped = Date.now();
  // Within the check interval (plus a check's 1 s timeout and margin for a loaded machine).
  for (;;) {
    await openMap('www.map.test.');
    if (await page.$('#map g.pop[data-address="89.28.239.46"][data-state="down"]')) break;
    assert.ok(Date.now() - stopped < (CHECK_INTERVAL_S + 1) * 1000 + 8000, 'greyed within the check interval');
    await new Promise((r) => setTimeout(r, 250));
  }
  const elapsed = Date.now() - stopped;
  assert.equal(await page.getAttribute(`#map g.pop[data-address="${POP.gb}"] path`, 'fill'), '#9aa0a6', 'greyed');
  const all = await dots();
  assert.ok(!all.some((d) => d.answer === POP.gb), 'no client is sent to the down PoP');
  const moved = all.filter((d) => d.moved === POP.gb);
  assert.ok(moved.length > 0, 'the points closest to the down PoP are marked');
  const movedInEurope = moved.filter(inEurope);
  assert.ok(movedInEurope.length > 0 && movedInEurope.every((d) => d.answer === POP.nl), 'its European clients go to Amsterdam');
  assert.match(await page.locator(`#map-pops li[data-address="${POP.gb}"]`).textContent() ?? '', /down since .* now go to 78\.142\.195\.195 \(\d+\)/);
  await page.locator('#map-box').screenshot({ path: join(OUT, 'control-map-pop-down.png') });
  console.log(`PoP greyed ${elapsed} ms after its backend stopped (check interval ${CHECK_INTERVAL_S} s)`);
});
