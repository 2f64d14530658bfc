import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@geoedge/shared';
import { loadConfig, DEFAULT_SCHEDULE } from './config.js';
import { parseCli } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'geoctl-cfg-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const problems = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.join('\n');
  }
  return assert.fail('expected a ConfigError');
};

test('defaults', () => {
  const c = loadConfig(undefined, {}, {});
  assert.equal(c.listen, '127.0.0.1:8081');
  assert.equal(c.apiKey, undefined);
  assert.equal(c.geoip.schedule, DEFAULT_SCHEDULE);
  assert.equal(c.geoip.enabled, true);
  assert.equal(c.authFailures.max, 10);
});

test('flags override the file key by key; GEOCTL_API_KEY sits between', () => {
  const f = file('c.yaml', 'listen: 127.0.0.1:9000\ndb: mysql://a@h/x\napiKey: from-file-key\ngeoip:\n  dir: /file/dir\n  schedule: "0 3 * * 2"\n');
  const fromFile = loadConfig(f, {}, {});
  assert.equal(fromFile.listen, '127.0.0.1:9000');
  assert.equal(fromFile.apiKey, 'from-file-key');
  assert.equal(loadConfig(f, {}, { GEOCTL_API_KEY: 'from-env-key' }).apiKey, 'from-env-key');
  const c = loadConfig(f, { listen: '[::1]:9100', db: 'mysql://b@h/y', apiKey: 'from-flag-key', geoipDir: '/flag/dir', geoipConf: '/etc/GeoIP.conf' }, { GEOCTL_API_KEY: 'from-env-key' });
  assert.equal(c.listen, '[::1]:9100');
  assert.equal(c.db, 'mysql://b@h/y');
  assert.equal(c.apiKey, 'from-flag-key');
  assert.equal(c.geoip.dir, '/flag/dir');
  assert.equal(c.geoip.conf, '/etc/GeoIP.conf');
  assert.equal(c.geoip.schedule, '0 3 * * 2', 'keys not overridden stay');
});

test('every problem names its key', () => {
  const f = file('bad.yaml', 'listen: nowhere\napiKey: short\nbodyLimit: -1\ngeoip:\n  schedule: "every tuesday"\n  colour: red\ntypo: 1\n');
  const all = problems(() => loadConfig(f, {}, {}));
  assert.match(all, /^\/apiKey: /m);
  assert.match(all, /^\/bodyLimit: /m);
  assert.match(all, /^\/geoip.*colour|^\/geoip: .*additional/im);
  assert.match(all, /typo|additional/i);
  const f2 = file('bad2.yaml', 'listen: nowhere\ngeoip:\n  schedule: "99 99 * * *"\napiKey: "sha256:abc"\n');
  const all2 = problems(() => loadConfig(f2, {}, {}));
  assert.match(all2, /^\/listen: must be host:port/m);
  assert.match(all2, /^\/geoip\/schedule: not a valid cron expression/m);
  assert.match(all2, /^\/apiKey: sha256: must be followed by 64 hex digits/m);
  assert.match(problems(() => loadConfig(undefined, { db: 'postgres://x' }, {})), /^\/db: /m);
});

test('garbage config files are clear errors', () => {
  assert.match(problems(() => loadConfig(file('g.yaml', '{{{: ['), {}, {})), /not valid YAML/);
  assert.match(problems(() => loadConfig(file('l.yaml', '- a\n- b\n'), {}, {})), /top level must be a mapping/);
  assert.match(problems(() => loadConfig(join(dir, 'none.yaml'), {}, {})), /cannot read/);
});

test('command line: subcommands and flags', () => {
  const s = parseCli(['serve', '--config', '/c.yaml', '--listen', '0.0.0.0:8081', '--api-key', 'k', '--geoip-dir', '/d', '--geoip-conf', '/g', '--geodns-address', '127.0.0.1:5353']);
  assert.equal(s.command, 'serve');
  assert.equal(s.configFile, '/c.yaml');
  assert.deepEqual(s.overrides, { listen: '0.0.0.0:8081', db: undefined, apiKey: 'k', geoipDir: '/d', geoipConf: '/g', geodnsAddress: '127.0.0.1:5353', logLevel: undefined });
  assert.equal(parseCli(['serve', '--log-level', 'warn']).overrides.logLevel, 'warn');
  assert.equal(loadConfig(undefined, {}, { LOG_LEVEL: 'debug' }).logLevel, 'debug');
  assert.equal(loadConfig(undefined, { logLevel: 'error' }, { LOG_LEVEL: 'debug' }).logLevel, 'error');
  assert.equal(loadConfig(undefined, { geodnsAddress: '127.0.0.1:5353' }, {}).geodnsAddress, '127.0.0.1:5353');
  assert.equal(loadConfig(undefined, {}, {}).geodnsAddress, '127.0.0.1:5300');
  assert.match(problems(() => loadConfig(undefined, { geodnsAddress: 'no-port' }, {})), /\/geodnsAddress: /);
  assert.equal(parseCli(['geoip', 'update']).command, 'geoip-update');
  assert.equal(parseCli(['migrate', '--db', 'mysql://x@y/z']).overrides.db, 'mysql://x@y/z');
  assert.equal(parseCli(['--help']).help, true);
  assert.match(problems(() => parseCli(['serve', '--bogus'])), /^flags: /);
  assert.match(problems(() => parseCli(['geoip'])), /^command: expected/);
  assert.match(problems(() => parseCli(['serve', 'now'])), /^command: expected/);
  assert.match(problems(() => parseCli([])), /^command: expected/);
});

test('apiKeys: names and keys unique (apiKey is "default"), sha256 form, zone names; each error names its entry', () => {
  const f = file('keys.json', JSON.stringify({
    apiKey: 'the-default-key',
    apiKeys: [
      { name: 'default', key: 'another-key-1' },
      { name: 'ci', key: 'the-default-key' },
      { name: 'ci', key: 'sha256:abc', zones: ['example.org.', 'bad zone'] },
    ],
  }));
  const all = problems(() => loadConfig(f, {}, {}));
  assert.match(all, /^\/apiKeys\/0\/name: "default" is already the name of \/apiKey \(apiKey is named "default"\)$/m);
  assert.match(all, /^\/apiKeys\/1\/key: the same key as \/apiKey$/m);
  assert.match(all, /^\/apiKeys\/2\/name: "ci" is already the name of \/apiKeys\/1$/m);
  assert.match(all, /^\/apiKeys\/2\/key: sha256: must be followed by 64 hex digits$/m);
  assert.match(all, /^\/apiKeys\/2\/zones\/1: not a zone name: "bad zone"$/m);
  assert.doesNotMatch(all, /zones\/0/);
  const ok = loadConfig(file('ok.json', JSON.stringify({ apiKeys: [{ name: 'ro', key: 'read-only-key', readOnly: true }] })), {}, {});
  assert.deepEqual(ok.apiKeys, [{ name: 'ro', key: 'read-only-key', readOnly: true }]);
  assert.equal(ok.history.retentionDays, 365);
  assert.match(problems(() => loadConfig(file('h.json', '{"history":{"retentionDays":0}}'), {}, {})), /^\/history\/retentionDays: /m);
});
