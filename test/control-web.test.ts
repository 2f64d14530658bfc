// The zone web page in a real browser: Debian's chromium (headless, driven by
// playwright-core) against geoctl serve --db, with geodns --db on the same
// scratch database. A person's clicks — enter the key, pick the zone, add a
// record, edit it, delete it — must reach geodns (checked with dig); a LUA
// record with broken Lua shows the API's error; the preview shows geodns's
// answer for a chosen client address (sent as EDNS Client Subnet). The zone's
// change history shows each edit with its key's name and a diff; a read-only
// key sees that it cannot save, and the API refuses it if it tries.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { migrate } from '@geoedge/zonedb';
import { scratchDatabase, waitFor, type ScratchDb } from '@geoedge/zonedb/testing';
import { dig, freePort, startGeodns, startProcess, REPO_ROOT, type Geodns, type Proc } from './helpers/index.js';

const GEOCTL = join(REPO_ROOT, 'packages', 'control', 'dist', 'main.js');
const KEY = 'web-ui-key-3f9a61';
const VIEWER_KEY = 'web-ui-viewer-77aa01';
const SHOT = join(tmpdir(), 'geoedge-control-web.png');
let s: ScratchDb;
let geoctl: Proc;
let geodns: Geodns;
let browser: BrowserContext;
let page: Page;
let profile = '';
let base = '';
const dialogs: string[] = [];

before(async () => {
  s = await scratchDatabase('webui');
  assert.ok((await migrate(s.db)).ok);
  geodns = await startGeodns({ args: ['--db', s.url] });
  const port = await freePort();
  profile = mkdtempSync(join(tmpdir(), 'geoedge-chromium-'));
  const config = join(profile, '..', `${profile.split('/').pop()}-geoctl.json`);
  writeFileSync(config, JSON.stringify({ apiKeys: [{ name: 'viewer', key: VIEWER_KEY, readOnly: true }] }));
  geoctl = startProcess(process.execPath, [GEOCTL, 'serve', '--config', config, '--listen', `127.0.0.1:${port}`, '--db', s.url, '--geodns-address', `127.0.0.1:${geodns.port}`], {
    env: { ...process.env, LOG_LEVEL: 'info', GEOCTL_API_KEY: KEY },
  });
  await geoctl.waitForLine(/Server listening/, 15_000);
  rmSync(config);
  base = `http://127.0.0.1:${port}`;
  // A fresh, empty profile: playwright passes it as --user-data-dir.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.accept(); });
});
after(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await geoctl?.stop();
  await geodns?.stop();
  await s?.drop();
});

async function api(method: string, path: string, body?: unknown): Promise<number> {
  const r = await fetch(`${base}/api/v1/servers/localhost${path}`, {
    method, headers: { 'X-API-Key': KEY, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}),
  });
  await r.arrayBuffer();
  return r.status;
}

const answers = async (name: string, type: string) => (await dig(geodns, [name, type])).answer.map((a) => a.data).sort();
const message = () => page.locator('#message');
/** Waits until the element's text matches (the page updates it after the API answers). */
const textIn = (sel: string, re: RegExp) => page.locator(sel, { hasText: re }).waitFor({ timeout: 10_000 });

async function save(name: string, type: string, records: string): Promise<void> {
  await page.fill('#rr-name', name);
  await page.fill('#rr-type', type);
  await page.fill('#rr-ttl', '60');
  await page.fill('#rr-records', records);
  await page.click('#rr-save');
}

test('a record added, edited and deleted by clicking through the page is served by geodns', async () => {
  assert.equal(await api('POST', '/zones', { name: 'web.test.', kind: 'Native', nameservers: ['ns1.web.test.'] }), 201);
  assert.equal(await api('PUT', '/zones/web.test./metadata/ENABLE-LUA-RECORDS', { metadata: ['1'] }), 200);

  await page.goto(`${base}/ui`);
  // A wrong key: the API's 401 is shown, no zones listed.
  await page.fill('#key', 'not-the-key');
  await page.click('#key-use');
  await page.waitForSelector('#message.error');
  assert.match(await message().textContent() ?? '', /401: Unauthorized/);

  await page.fill('#key', KEY);
  await page.click('#key-use');
  await page.click('#zones button:has-text("web.test.")');
  await page.waitForSelector('#rrsets tr[data-type="SOA"]');

  // Add: relative name, one A record.
  await save('www', 'A', '192.0.2.10');
  await page.waitForSelector('#rrsets tr[data-name="www.web.test."] td.records div:has-text("192.0.2.10")');
  assert.deepEqual(await waitFor('geodns sees the new record', async () => {
    const a = await answers('www.web.test', 'A');
    return a.length ? a : undefined;
  }, 10_000), ['192.0.2.10']);

  // Edit: the row's Edit button fills the form; replace with two addresses.
  await page.click('#rrsets tr[data-name="www.web.test."][data-type="A"] button:has-text("Edit")');
  assert.equal(await page.inputValue('#rr-records'), '192.0.2.10');
  await page.fill('#rr-records', '192.0.2.11\n192.0.2.12');
  await page.click('#rr-save');
  await page.waitForSelector('#rrsets tr[data-name="www.web.test."] td.records div:has-text("192.0.2.12")');
  await waitFor('geodns sees the edit', async () => {
    const a = await answers('www.web.test', 'A');
    return a.join(',') === '192.0.2.11,192.0.2.12' ? true : undefined;
  }, 10_000);

  // Bad input from the API reaches the user: content that does not parse.
  await save('bad', 'A', '999.1.1.1');
  await page.waitForSelector('#message.error');
  assert.match(await message().textContent() ?? '', /^422: .*999\.1\.1\.1/);

  // A LUA record with broken Lua: the syntax check and the save both show the Lua error.
  await page.fill('#rr-name', 'geo');
  await page.fill('#rr-type', 'LUA');
  await page.fill('#rr-records', `A "pickrandom({'192.0.2.1',"`);
  await page.click('#rr-check');
  await textIn('#message', /Lua syntax error/);
  await page.click('#rr-save');
  await textIn('#message', /^422: .*Lua syntax error/);
  assert.equal(await page.locator('#rrsets tr[data-name="geo.web.test."]').count(), 0, 'nothing saved');

  // A good LUA record whose answer depends on the client's network, then the preview.
  await page.fill('#rr-records', `A ";if netmask({'198.51.100.0/24'}) then return '192.0.2.51' else return '192.0.2.99' end"`);
  await page.click('#rr-check');
  await textIn('#message', /Lua syntax OK/);
  await page.click('#rr-save');
  await page.waitForSelector('#rrsets tr[data-name="geo.web.test."]');
  await waitFor('geodns answers the LUA record', async () => ((await answers('geo.web.test', 'A')).length ? true : undefined), 10_000);
  await page.fill('#pv-name', 'geo');
  await page.fill('#pv-type', 'A');
  await page.fill('#pv-client', '198.51.100.7');
  await page.click('#pv-go');
  await textIn('#pv-result', /192\.0\.2\.51/);
  await page.fill('#pv-client', '203.0.113.9');
  await page.click('#pv-go');
  await textIn('#pv-result', /192\.0\.2\.99/);
  assert.match(await page.locator('#pv-result').textContent() ?? '', /^NOERROR from 127\.0\.0\.1:\d+ for client 203\.0\.113\.9:\ngeo\.web\.test\. \d+ A 192\.0\.2\.99$/);

  // Record text is shown as text: markup in a TXT record is not interpreted.
  await save('xss', 'TXT', '"<img src=x onerror=alert(1)>"');
  await page.waitForSelector('#rrsets tr[data-name="xss.web.test."]');
  assert.equal(await page.locator('#rrsets img').count(), 0);
  assert.equal(await page.locator('#rrsets tr[data-name="xss.web.test."] td.records div').textContent(), '"<img src=x onerror=alert(1)>"');

  await page.screenshot({ path: SHOT, fullPage: true });

  // Delete: confirm dialog accepted, the row goes, geodns answers NXDOMAIN.
  await page.click('#rrsets tr[data-name="www.web.test."][data-type="A"] button:has-text("Delete")');
  await page.waitForSelector('#rrsets tr[data-name="www.web.test."]', { state: 'detached' });
  assert.deepEqual(dialogs, ['Delete www.web.test. A?']);
  await waitFor('geodns drops the deleted record', async () => ((await dig(geodns, ['www.web.test', 'A'])).status === 'NXDOMAIN' ? true : undefined), 10_000);
  assert.ok(!geoctl.stdout.concat(geoctl.stderr).some((l) => l.includes(KEY)), 'the API key is never logged');
});

test('the record types PowerDNS serves are entered through the page and served by geodns; the preview shows them as text', async () => {
  assert.equal(await api('POST', '/zones', { name: 'types.web.test.', kind: 'Native', nameservers: ['ns1.types.web.test.'] }), 201);
  await page.goto(`${base}/ui`);
  await page.fill('#key', KEY);
  await page.click('#key-use');
  await page.click('#zones button:has-text("types.web.test.")');
  await page.waitForSelector('#rrsets tr[data-type="SOA"]');
  const types = await page.locator('#types option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
  for (const t of ['HTTPS', 'SVCB', 'LOC', 'URI', 'DNAME', 'RP', 'ALIAS', 'SPF']) assert.ok(types.includes(t), `${t} offered`);
  const dkim = `v=DKIM1; k=rsa; p=${'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.repeat(9)}IDAQAB`;
  const rows: Array<[string, string, string, string]> = [
    ['@', 'HTTPS', '1 . alpn=h2,h3 port=443 ipv4hint=192.0.2.1', '1 . alpn="h2,h3" port=443 ipv4hint=192.0.2.1'],
    ['loc', 'LOC', '52 22 23.000 N 4 53 32.000 E -2.00m 1.00m 10000.00m 10.00m', '52 22 23.000 N 4 53 32.000 E -2.00m 1m 10000m 10m'],
    ['_http._tcp', 'URI', '10 1 "https://example.com/"', '10 1 "https://example.com/"'],
    ['old', 'DNAME', 'example.net.', 'example.net.'],
    ['dkim', 'TXT', `"${dkim}"`, `"${dkim.slice(0, 255)}" "${dkim.slice(255)}"`],
  ];
  for (const [name, type, content] of rows) {
    await save(name, type, content);
    await page.waitForSelector(`#rrsets tr[data-type="${type}"]`);
  }
  for (const [name, type, , want] of rows) {
    const qname = name === '@' ? 'types.web.test' : `${name}.types.web.test`;
    assert.deepEqual(await waitFor(`geodns serves ${qname} ${type}`, async () => {
      const a = await answers(qname, type);
      return a.length ? a : undefined;
    }, 10_000), [want]);
  }
  await page.fill('#pv-name', '@');
  await page.fill('#pv-type', 'HTTPS');
  await page.fill('#pv-client', '192.0.2.10');
  await page.click('#pv-go');
  await textIn('#pv-result', /HTTPS 1 \. alpn=h2,h3 port=443 ipv4hint=192\.0\.2\.1/);
});

test('the zone history shows each edit with its key name and a diff', async () => {
  // The first test left web.test. with edits made by the page (key "default").
  // Re-rendering empties the history table and refills it after the API answers: wait for rows, not counts.
  await page.click('#zones button:has-text("web.test.")');
  // Newest first: the deletion of www, then the edit that replaced one address by two.
  const del = page.locator('#history tbody tr[data-action="patch"]', { hasText: '− www.web.test. 60 A 192.0.2.12' }).first();
  assert.equal(await del.getAttribute('data-key'), 'default');
  const edit = page.locator('#history tbody tr[data-action="patch"]', { hasText: '+ www.web.test. 60 A 192.0.2.12' });
  await edit.waitFor({ timeout: 10_000 });
  assert.equal(await edit.count(), 1);
  assert.deepEqual(await edit.locator('pre.diff span.del').allTextContents(), ['− www.web.test. 60 A 192.0.2.10']);
  assert.deepEqual(await edit.locator('pre.diff span.add').allTextContents(), ['+ www.web.test. 60 A 192.0.2.11', '+ www.web.test. 60 A 192.0.2.12']);
  assert.equal(await edit.getAttribute('data-key'), 'default');
  await page.locator('#history tbody tr[data-action="metadata"]').waitFor({ timeout: 10_000 });
  // Two quick clicks with slow history answers: the first view's late answer
  // must not be appended to the second view's table.
  await page.route('**/history?*', async (route) => { await new Promise((r) => setTimeout(r, 700)); await route.continue(); });
  await page.click('#zones button:has-text("web.test.")');
  await page.waitForTimeout(200);
  await page.click('#zones button:has-text("web.test.")');
  await page.waitForTimeout(2000);
  await page.unroute('**/history?*');
  await edit.waitFor({ timeout: 10_000 });
  const ids = await page.locator('#history tbody tr[data-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
  assert.ok(ids.length >= 6, ids.join(','));
  assert.equal(new Set(ids).size, ids.length, `no entry twice: ${ids.join(',')}`);
  // Markup in a record stays text in the history as well.
  assert.equal(await page.locator('#history img').count(), 0);
  await page.screenshot({ path: SHOT.replace(/\.png$/, '-history.png'), fullPage: true });
});

test('a read-only key sees that it cannot save, and the API refuses it if it tries', async () => {
  await page.click('#key-forget');
  await page.fill('#key', VIEWER_KEY);
  await page.click('#key-use');
  await textIn('#key-info', /Key "viewer" \(read-only\)/);
  await page.click('#zones button:has-text("web.test.")');
  await textIn('#rights', /read-only: changes cannot be saved/);
  assert.equal(await page.isDisabled('#rr-save'), true);
  assert.equal(await page.isDisabled('#rrsets tr[data-type="TXT"] button:has-text("Delete")'), true);
  // A page altered to send anyway: the API answers 403 and nothing is saved.
  await page.$eval('#rr-save', (b) => { (b as unknown as { disabled: boolean }).disabled = false; });
  await save('ro', 'A', '192.0.2.77');
  await textIn('#message', /^403: API key 'viewer' is read-only$/);
  assert.equal(await page.locator('#rrsets tr[data-name="ro.web.test."]').count(), 0);
  assert.equal(await api('GET', '/zones/web.test.?rrset_name=ro.web.test.'), 200);
  assert.equal((await dig(geodns, ['ro.web.test', 'A'])).status, 'NXDOMAIN');
});

test('a signed zone shows the DS records for the registrar and each key\'s state, as text', async () => {
  assert.equal(await api('POST', '/zones', { name: 'signed.web.test.', kind: 'Native', nameservers: ['ns1.signed.web.test.'], dnssec: true }), 201);
  assert.equal(await api('POST', '/zones/signed.web.test./cryptokeys', { keytype: 'ksk', active: false, algorithm: 'ed25519' }), 201);
  const keys = await (await fetch(`${base}/api/v1/servers/localhost/zones/signed.web.test./cryptokeys`, { headers: { 'X-API-Key': KEY } })).json() as Array<{ id: number; active: boolean; ds: string[]; dnskey: string }>;
  await page.reload(); // the zone list predates the zone; the key stays in sessionStorage
  await page.click('#zones button:has-text("signed.web.test.")');
  await textIn('#dnssec-state', /^Signed: 1 active key\(s\) of 2; denial of existence: NSEC\.$/);
  const expected = keys.map((k) => `signed.web.test. IN DS ${k.ds.find((d) => d.split(' ')[2] === '2')}${k.active ? '' : '   ; key not active yet'}`);
  assert.equal(await page.textContent('#dnssec-ds'), expected.join('\n'));
  for (const k of keys) {
    const row = page.locator(`#cryptokeys tr[data-id="${k.id}"]`);
    assert.equal(await row.locator('td').nth(3).textContent(), k.ds[0]!.split(' ')[0], 'key tag computed by the page equals the DS key tag');
    assert.equal(await row.locator('td').nth(4).textContent(), k.active ? 'active, published' : 'inactive, published');
    assert.equal(await row.locator('td.dnskey').textContent(), k.dnskey);
  }
  await page.screenshot({ path: SHOT.replace(/\.png$/, '-dnssec.png'), fullPage: true });
});
