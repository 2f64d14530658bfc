// GeoIP status on the web page (issue 20): geoctl serve with a GeoIP.conf
// pointing at a loopback MaxMind-protocol server (@geoedge/control/testing);
// Debian's chromium (playwright-core, as control-web.test.ts) shows the
// edition, its release date and last result and the next scheduled run, and
// "Update now" installs the database. A read-only key cannot start a run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startFakeMaxmind, ACCOUNT_ID, LICENSE_KEY, type FakeMaxmind } from '@geoedge/control/testing';
import { migrate } from '@geoedge/zonedb';
import { scratchDatabase, type ScratchDb } from '@geoedge/zonedb/testing';
import { freePort, startProcess, REPO_ROOT, type Proc } from './helpers/index.js';

const GEOCTL = join(REPO_ROOT, 'packages', 'control', 'dist', 'main.js');
const CITY = readFileSync(join(REPO_ROOT, 'packages', 'control', 'src', 'jobs', 'testdata', 'GeoLite2-City-Test.mmdb'));
const KEY = 'geoip-ui-key-c0ffee';
const VIEWER = 'geoip-ui-viewer-beef01';
const SHOT = join(tmpdir(), 'geoedge-control-geoip.png');
let s: ScratchDb;
let fake: FakeMaxmind;
let geoctl: Proc;
let dir = '';
let base = '';
let browser: BrowserContext;
let page: Page;

before(async () => {
  s = await scratchDatabase('geoipweb');
  assert.ok((await migrate(s.db)).ok);
  fake = await startFakeMaxmind({ 'GeoLite2-City': { mmdb: CITY, date: '2024-05-03' } });
  dir = mkdtempSync(join(tmpdir(), 'geoedge-geoipweb-'));
  writeFileSync(join(dir, 'GeoIP.conf'), `AccountID ${ACCOUNT_ID}\nLicenseKey ${LICENSE_KEY}\nEditionIDs GeoLite2-City\nHost ${fake.url}\nRetryFor 0\n`);
  writeFileSync(join(dir, 'geoctl.json'), JSON.stringify({ apiKeys: [{ name: 'viewer', key: VIEWER, readOnly: true }] }));
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GEOIPUPDATE_')));
  geoctl = startProcess(process.execPath, [GEOCTL, 'serve', '--config', join(dir, 'geoctl.json'), '--listen', `127.0.0.1:${port}`, '--db', s.url,
    '--geoip-conf', join(dir, 'GeoIP.conf'), '--geoip-dir', join(dir, 'db')], { env: { ...env, LOG_LEVEL: 'info', GEOCTL_API_KEY: KEY } });
  await geoctl.waitForLine(/Server listening/, 15_000);
  base = `http://127.0.0.1:${port}`;
  browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
});
after(async () => {
  await browser?.close();
  await geoctl?.stop();
  await fake?.close();
  await s?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function useKey(key: string): Promise<void> {
  await page.click('#key-forget');
  await page.fill('#key', key);
  await page.click('#key-use');
  await page.locator('#message', { hasText: 'Key accepted.' }).waitFor({ timeout: 10_000 });
}

test('the page shows the GeoIP editions and next run, and "Update now" installs the database', async () => {
  await page.goto(`${base}/ui`);
  await useKey(KEY);
  const city = page.locator('#geoip li[data-edition="GeoLite2-City"]');
  await city.waitFor({ timeout: 10_000 });
  assert.equal(await city.getAttribute('data-result'), '', 'never run yet');
  assert.match(await page.locator('#geoip-note').textContent() ?? '', /^Schedule: 17 5 \* \* 3,6\. Next run: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(the schedule is in the server's local time\)\.$/);
  assert.equal(await page.isDisabled('#geoip-update'), false);

  await page.click('#geoip-update');
  await page.locator('#message', { hasText: 'GeoIP update: GeoLite2-City updated.' }).waitFor({ timeout: 30_000 });
  await page.locator('#geoip li[data-edition="GeoLite2-City"][data-result="updated"]').waitFor({ timeout: 10_000 });
  assert.equal(await city.getAttribute('data-date'), '2024-05-03');
  assert.match(await city.textContent() ?? '', /^GeoLite2-City: released 2024-05-03; last run updated \d{4}-/);
  assert.equal(fake.downloads(), 1);
  assert.ok(existsSync(join(dir, 'db', 'GeoLite2-City.mmdb')));
  await page.screenshot({ path: SHOT, fullPage: true });
});

test('a read-only key sees the status but cannot start an update', async () => {
  await useKey(VIEWER);
  await page.locator('#geoip li[data-edition="GeoLite2-City"][data-result="updated"]').waitFor({ timeout: 10_000 });
  assert.equal(await page.isDisabled('#geoip-update'), true);
  const r = await fetch(`${base}/api/v1/geoip/update`, { method: 'POST', headers: { 'X-API-Key': VIEWER } });
  assert.equal(r.status, 403);
  assert.equal(fake.downloads(), 1);
});
