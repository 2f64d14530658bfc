// Config keys: the database ones (db, dbCache via --db-cache, and its default) and answerCache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@geoedge/shared';
import { defaultDbCache, loadConfig } from './config.js';
import { parseCli } from './cli.js';

test('--db-cache sets dbCache; without it a --db gets a default cache path per database URL', () => {
  const a = loadConfig(undefined, parseCli(['--db', 'mysql://u:p@127.0.0.1:3306/pdns', '--db-cache', '/tmp/x.jsonl']).overrides);
  assert.equal(a.dbCache, '/tmp/x.jsonl');
  assert.equal(a.zones, undefined, 'with a database, no example zones are added');
  const b = loadConfig(undefined, parseCli(['--db', 'mysql://u:p@127.0.0.1:3306/pdns']).overrides);
  const c = loadConfig(undefined, parseCli(['--db', 'mysql://u:p@127.0.0.1:3306/other']).overrides);
  assert.match(b.dbCache!, /db-cache-[0-9a-f]{12}\.jsonl$/);
  assert.notEqual(b.dbCache, c.dbCache, 'two databases never share a cache file');
  assert.equal(loadConfig(undefined, {}).dbCache, undefined, 'no database, no cache');
});

test('defaultDbCache: systemd STATE_DIRECTORY, then XDG_STATE_HOME, then ~/.local/state', () => {
  const url = 'mysql://u@h:3306/d';
  assert.match(defaultDbCache(url, { STATE_DIRECTORY: '/var/lib/geodns:/other' }), /^\/var\/lib\/geodns\/db-cache-[0-9a-f]{12}\.jsonl$/);
  assert.match(defaultDbCache(url, { XDG_STATE_HOME: '/x/state' }), /^\/x\/state\/geodns\/db-cache-/);
  assert.match(defaultDbCache(url, {}), /\/\.local\/state\/geodns\/db-cache-/);
});

test('bad db and dbCache values are config errors naming the key', () => {
  assert.throws(() => loadConfig(undefined, { db: 'mysql://u@h/d', dbCache: '' }), (e: unknown) => e instanceof ConfigError && /\/dbCache/.test(e.message));
  assert.throws(() => loadConfig(undefined, { db: 'postgres://u@h/d' }), (e: unknown) => e instanceof ConfigError && /\/db/.test(e.message));
  for (const bad of ['mysql://root@127.0.0.1:99999/pdns', 'mysql://root@127.0.0.1:3306/pdns?x=%zz', 'mysql://root@127.0.0.1:3306/']) {
    assert.throws(() => loadConfig(undefined, { db: bad }), (e: unknown) => e instanceof ConfigError && /\/db: database URL/.test(e.message), bad);
  }
  assert.throws(() => loadConfig(undefined, { db: 'mysql://u:hunter22@h:99999/d' }), (e: unknown) => e instanceof ConfigError && !e.message.includes('hunter22'));
  assert.throws(() => parseCli(['--db-cache']), (e: unknown) => e instanceof ConfigError && /db-cache/.test(e.message));
});

test('answerCache.entries: PowerDNS max-packet-cache-entries default (1,000,000); out of range names the key', () => {
  assert.equal(loadConfig(undefined, {}).answerCache.entries, 1_000_000);
  assert.equal(loadConfig(undefined, { answerCache: { entries: 5000 } }).answerCache.entries, 5000);
  for (const bad of [10, -1, 'many', 1.5]) {
    assert.throws(() => loadConfig(undefined, { answerCache: { entries: bad } }), (e: unknown) => e instanceof ConfigError && /\/answerCache\/entries/.test(e.message), String(bad));
  }
  assert.throws(() => loadConfig(undefined, { answerCache: { size: 5000 } }), (e: unknown) => e instanceof ConfigError && /\/answerCache/.test(e.message));
});
