import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@geoedge/shared';
import { parseCli, HELP } from './cli.js';
import { loadConfig, DEFAULT_ZONES } from './config.js';

const load = (argv: string[]) => {
  const c = parseCli(argv);
  return loadConfig(c.configFile, c.overrides);
};
const problems = (fn: () => unknown): string => {
  try { fn(); } catch (err) { assert.ok(err instanceof ConfigError, String(err)); return err.problems.join('\n'); }
  assert.fail('expected a ConfigError');
};

test('embedded defaults: example zone on 127.0.0.1:5300, one process', () => {
  const c = load([]);
  assert.deepEqual(c.listen, ['127.0.0.1:5300']);
  assert.equal(c.zones, DEFAULT_ZONES);
  assert.equal(c.workers, 1);
  assert.equal(c.logQueries, false);
  assert.equal(c.edns.payload, 1232);
});

test('flags override the file, repeatable --listen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'geodns-cfg-'));
  const f = join(dir, 'geodns.yaml');
  writeFileSync(f, 'listen: ["127.0.0.1:53"]\nworkers: 2\nzones: /srv/zones\ntcp:\n  idleTimeoutMs: 5000\n');
  const c = load(['--config', f, '--listen', '127.0.0.1:5301', '--listen', '[::1]:5301', '--log-queries']);
  assert.deepEqual(c.listen, ['127.0.0.1:5301', '[::1]:5301']);
  assert.equal(c.workers, 2);
  assert.equal(c.zones, '/srv/zones');
  assert.equal(c.tcp.idleTimeoutMs, 5000);
  assert.equal(c.tcp.maxConnections, 1024);
  assert.equal(c.logQueries, true);
});

test('bad values name their key', () => {
  assert.match(problems(() => load(['--workers', 'many'])), /\/workers/);
  assert.match(problems(() => load(['--listen', 'nohost'])), /\/listen\/0/);
  assert.match(problems(() => load(['--db', 'postgres://x'])), /\/db/);
  assert.match(problems(() => load(['--log-level', 'loud'])), /\/logLevel/);
  assert.match(problems(() => load(['--bogus'])), /flags: .*bogus/);
  const dir = mkdtempSync(join(tmpdir(), 'geodns-cfg-'));
  const f = join(dir, 'bad.yaml');
  writeFileSync(f, 'tcp:\n  idleTimeoutMs: -1\n  extra: 1\nlistn: []\n');
  const text = problems(() => load(['--config', f]));
  assert.match(text, /\/tcp\/idleTimeoutMs/);
  assert.match(text, /listn|additional/i);
  writeFileSync(f, '- just\n- a list\n');
  assert.match(problems(() => load(['--config', f])), /mapping/);
});

test('--help documents every flag the parser accepts', () => {
  for (const flag of ['--config', '--listen', '--zones', '--geoip', '--db', '--metrics', '--log-queries', '--log-level', '--workers', '--help', '--version']) {
    assert.ok(HELP.includes(flag), `${flag} missing from --help`);
  }
  assert.equal(parseCli(['--help']).help, true);
});

test('log level: --log-level wins over LOG_LEVEL, which wins over the file; a bad LOG_LEVEL is named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'geodns-cfg-'));
  const f = join(dir, 'geodns.yaml');
  writeFileSync(f, 'logLevel: error\n');
  assert.equal(loadConfig(f, {}, {}).logLevel, 'error');
  assert.equal(loadConfig(f, {}, { LOG_LEVEL: 'debug' }).logLevel, 'debug');
  assert.equal(loadConfig(f, parseCli(['--log-level', 'warn']).overrides, { LOG_LEVEL: 'debug' }).logLevel, 'warn');
  assert.equal(loadConfig(undefined, {}, {}).logLevel, 'info');
  assert.match(problems(() => loadConfig(f, {}, { LOG_LEVEL: 'loud' })), /^LOG_LEVEL: expected one of "fatal", .*got "loud"$/);
});

test('listen addresses that cannot all be bound are refused', () => {
  assert.match(problems(() => load(['--listen', '0.0.0.0:5300', '--listen', '127.0.0.1:5300'])), /^\/listen\/1: 127\.0\.0\.1:5300 \(udp\+tcp\) overlaps 0\.0\.0\.0:5300/);
  assert.match(problems(() => load(['--listen', '[::ffff:127.0.0.1]:5300'])), /^\/listen\/0: .*IPv4-mapped/);
  assert.match(problems(() => load(['--listen', '0.0.0.0:9153', '--metrics', '127.0.0.1:9153'])), /^\/metrics: 127\.0\.0\.1:9153 \(tcp\) overlaps 0\.0\.0\.0:9153/);
  assert.deepEqual(load(['--listen', '0.0.0.0:5300', '--listen', '[::]:5300']).listen, ['0.0.0.0:5300', '[::]:5300']);
});
