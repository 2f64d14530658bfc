import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadGeoipConf, parseConfText, parseGoDuration, applyEnv } from './geoip-conf.js';

const dir = mkdtempSync(join(tmpdir(), 'geoipconf-'));
const file = (name: string, text: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const SAMPLE = `# GeoIP.conf file for geoipupdate
AccountID 123456
LicenseKey abc_DEF123
EditionIDs GeoLite2-ASN GeoLite2-City   GeoLite2-Country

DatabaseDirectory /var/lib/GeoIP
Host updates.example.test
Proxy 10.0.0.1:3128
ProxyUserPassword alice:s3cret:with:colons
PreserveFileTimes 1
LockFile /run/geoip.lock
RetryFor 1m30s
Parallelism 3
`;

test('a full geoipupdate GeoIP.conf is read key by key', () => {
  const r = loadGeoipConf({ file: file('full.conf', SAMPLE), env: {} });
  assert.equal(r.kind, 'ok');
  if (r.kind !== 'ok') return;
  const c = r.conf;
  assert.equal(c.accountId, 123456);
  assert.equal(c.licenseKey, 'abc_DEF123');
  assert.deepEqual(c.editionIds, ['GeoLite2-ASN', 'GeoLite2-City', 'GeoLite2-Country']);
  assert.equal(c.databaseDirectory, '/var/lib/GeoIP');
  assert.equal(c.url, 'https://updates.example.test');
  assert.equal(c.proxy?.href, 'http://alice:s3cret%3Awith%3Acolons@10.0.0.1:3128/');
  assert.equal(c.preserveFileTimes, true);
  assert.equal(c.lockFile, '/run/geoip.lock');
  assert.equal(c.retryForMs, 90_000);
  assert.equal(c.parallelism, 3);
});

test('defaults follow geoipupdate: updates.maxmind.com, 5m retry, parallelism 1, lock in the database directory', () => {
  const r = loadGeoipConf({ file: file('min.conf', 'AccountID 1\nLicenseKey k\nEditionIDs GeoLite2-City\n'), env: {}, databaseDirectory: '/srv/geo' });
  assert.equal(r.kind, 'ok');
  if (r.kind !== 'ok') return;
  assert.equal(r.conf.url, 'https://updates.maxmind.com');
  assert.equal(r.conf.retryForMs, 300_000);
  assert.equal(r.conf.parallelism, 1);
  assert.equal(r.conf.databaseDirectory, '/srv/geo');
  assert.equal(r.conf.lockFile, '/srv/geo/.geoipupdate.lock');
  assert.equal(r.conf.proxy, undefined);
  assert.equal(r.conf.preserveFileTimes, false);
});

test('old key names UserId/ProductIds are accepted, but not together with the new ones', () => {
  const ok = parseConfText('UserId 42\nProductIds GeoLite2-ASN\n', 'old.conf');
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.draft.accountId, 42);
  const twice = parseConfText('AccountID 1\nUserId 2\n', 'dup.conf');
  assert.match(twice.problems.join('\n'), /^dup\.conf:2: UserId: given twice \(first on line 1\)$/m);
});

test('Host accepts a full URL (geoipupdate 7) and keeps http for local servers', () => {
  assert.equal(parseConfText('Host http://127.0.0.1:8080\n', 'h').draft.url, 'http://127.0.0.1:8080');
  assert.equal(parseConfText('Host https://geo.example/base/\n', 'h').draft.url, 'https://geo.example/base');
  assert.match(parseConfText('Host ftp://x\n', 'h').problems[0]!, /^h:1: Host: unsupported scheme ftp:/);
});

test('every bad line is reported with its line number and key', () => {
  const text = [
    'AccountID twelve', // 1
    'LicenseKey', // 2
    'EditionIDs GeoLite2-City ../../etc/passwd', // 3
    'PreserveFileTimes yes', // 4
    'RetryFor soon', // 5
    'Parallelism 0', // 6
    'Colour blue', // 7
    '# fine', // 8
    'Parallelism x', // 9
  ].join('\n');
  const { problems } = parseConfText(text, 'bad.conf');
  const all = problems.join('\n');
  assert.match(all, /^bad\.conf:1: AccountID: must be a number, got "twelve"$/m);
  assert.match(all, /^bad\.conf:2: LicenseKey: missing value$/m);
  assert.match(all, /^bad\.conf:3: EditionIDs: "\.\.\/\.\.\/etc\/passwd" is not an edition ID/m);
  assert.match(all, /^bad\.conf:4: PreserveFileTimes: must be 0 or 1, got "yes"$/m);
  assert.match(all, /^bad\.conf:5: RetryFor: "soon" is not a valid duration/m);
  assert.match(all, /^bad\.conf:6: Parallelism: must be between 1 and 64, got 0$/m);
  assert.match(all, /^bad\.conf:7: unknown option "Colour"$/m);
  assert.match(all, /^bad\.conf:9: Parallelism: given twice \(first on line 6\)$/m);
});

test('garbage files give clear errors, never a half-read config', () => {
  const bin = loadGeoipConf({ file: file('random.bin', randomBytes(4096)), env: {} });
  assert.equal(bin.kind, 'error');
  if (bin.kind === 'error') assert.ok(bin.problems.length > 0 && bin.problems.every((p) => p.includes('random.bin')), bin.problems.join('\n'));
  const yaml = loadGeoipConf({ file: file('yaml.conf', 'geoip:\n  account: 1\n'), env: {} });
  assert.equal(yaml.kind, 'error');
  if (yaml.kind === 'error') assert.match(yaml.problems.join('\n'), /yaml\.conf:1: unknown option "geoip:"/);
  const empty = loadGeoipConf({ file: file('empty.conf', ''), env: {} });
  assert.equal(empty.kind, 'error');
  if (empty.kind === 'error') {
    const all = empty.problems.join('\n');
    assert.match(all, /EditionIDs: required/);
    assert.match(all, /AccountID: required/);
    assert.match(all, /LicenseKey: required/);
  }
  const missing = loadGeoipConf({ file: join(dir, 'nope.conf'), env: {} });
  assert.equal(missing.kind, 'error');
  if (missing.kind === 'error') assert.match(missing.problems[0]!, /nope\.conf: cannot read: .*ENOENT/);
});

test('the retired free 999999/000000000000 pair is refused with an explanation', () => {
  const r = loadGeoipConf({ file: file('free.conf', 'AccountID 999999\nLicenseKey 000000000000\nEditionIDs GeoLite2-City\n'), env: {} });
  assert.equal(r.kind, 'error');
  if (r.kind === 'error') assert.match(r.problems.join('\n'), /placeholder/);
});

test('GEOIPUPDATE_* variables override the file, *_FILE variables read secrets from files', () => {
  const idFile = file('account-id', ' 777\n');
  const keyFile = file('license-key', 'from-file-key\n');
  const r = loadGeoipConf({
    file: file('base.conf', SAMPLE),
    env: {
      GEOIPUPDATE_ACCOUNT_ID: '555',
      GEOIPUPDATE_ACCOUNT_ID_FILE: idFile,
      GEOIPUPDATE_LICENSE_KEY: 'env-key',
      GEOIPUPDATE_LICENSE_KEY_FILE: keyFile,
      GEOIPUPDATE_EDITION_IDS: 'GeoIP2-City',
      GEOIPUPDATE_DB_DIR: '/env/dir',
      GEOIPUPDATE_HOST: 'http://127.0.0.1:9',
      GEOIPUPDATE_PROXY: 'proxy.local',
      GEOIPUPDATE_PROXY_USER_PASSWORD: 'bob:pw',
      GEOIPUPDATE_PRESERVE_FILE_TIMES: '0',
      GEOIPUPDATE_LOCK_FILE: '/env/lock',
      GEOIPUPDATE_RETRY_FOR: '10s',
      GEOIPUPDATE_PARALLELISM: '2',
      GEOIPUPDATE_VERBOSE: '1',
    },
  });
  assert.equal(r.kind, 'ok', r.kind === 'error' ? r.problems.join('\n') : '');
  if (r.kind !== 'ok') return;
  const c = r.conf;
  assert.equal(c.accountId, 777, '_FILE wins over the plain variable, as in geoipupdate');
  assert.equal(c.licenseKey, 'from-file-key');
  assert.deepEqual(c.editionIds, ['GeoIP2-City']);
  assert.equal(c.databaseDirectory, '/env/dir');
  assert.equal(c.url, 'http://127.0.0.1:9');
  assert.equal(c.proxy?.href, 'http://bob:pw@proxy.local:1080/', 'ProxyUserPassword does not override credentials in Proxy, but applies here');
  assert.equal(c.preserveFileTimes, false);
  assert.equal(c.lockFile, '/env/lock');
  assert.equal(c.retryForMs, 10_000);
  assert.equal(c.parallelism, 2);
  assert.equal(c.verbose, true);
});

test('an explicit database directory wins over file and environment', () => {
  const r = loadGeoipConf({ file: file('dirs.conf', SAMPLE), env: { GEOIPUPDATE_DB_DIR: '/env' }, databaseDirectory: '/flag' });
  assert.equal(r.kind === 'ok' && r.conf.databaseDirectory, '/flag');
});

test('bad environment values name the variable', () => {
  const problems = applyEnv({}, { GEOIPUPDATE_ACCOUNT_ID: 'x', GEOIPUPDATE_RETRY_FOR: '-5m', GEOIPUPDATE_VERBOSE: 'yes', GEOIPUPDATE_LICENSE_KEY_FILE: join(dir, 'absent') });
  const all = problems.join('\n');
  assert.match(all, /^GEOIPUPDATE_ACCOUNT_ID: must be a number/m);
  assert.match(all, /^GEOIPUPDATE_RETRY_FOR: "-5m" is not a valid duration/m);
  assert.match(all, /^GEOIPUPDATE_VERBOSE: must be 0 or 1/m);
  assert.match(all, /^GEOIPUPDATE_LICENSE_KEY_FILE: cannot read .*absent/m);
});

test('only http proxies (CONNECT) are accepted', () => {
  const r = loadGeoipConf({ file: file('socks.conf', 'AccountID 1\nLicenseKey k\nEditionIDs A\nProxy socks5://h:1\n'), env: {} });
  assert.equal(r.kind, 'error');
  if (r.kind === 'error') assert.match(r.problems[0]!, /Proxy: only http:\/\/ proxies/);
});

test('Go durations', () => {
  const cases: Array<[string, number | undefined]> = [
    ['0', 0], ['5m', 300_000], ['1h30m', 5_400_000], ['1.5h', 5_400_000], ['250ms', 250], ['90s', 90_000],
    ['', undefined], ['5', undefined], ['m', undefined], ['5 m', undefined], ['-1s', undefined], ['1d', undefined],
  ];
  for (const [text, want] of cases) assert.equal(parseGoDuration(text), want, text);
});
