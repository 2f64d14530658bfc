import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDbUrl, maskPassword } from './db-url.js';

test('a full URL gives every setting', () => {
  const r = parseDbUrl('mysql://pdns:s%40cret@db.example:3307/powerdns');
  assert.ok(r.ok);
  assert.equal(r.settings.host, 'db.example');
  assert.equal(r.settings.port, 3307);
  assert.equal(r.settings.user, 'pdns');
  assert.equal(r.settings.password, 's@cret');
  assert.equal(r.settings.database, 'powerdns');
  assert.equal(r.settings.display, 'mysql://pdns:***@db.example:3307/powerdns');
});

test('defaults: port 3306, empty password; mariadb: scheme and ?socket= accepted', () => {
  const r = parseDbUrl('mysql://root@127.0.0.1/pdns');
  assert.ok(r.ok);
  assert.equal(r.settings.port, 3306);
  assert.equal(r.settings.password, '');
  const s = parseDbUrl('mariadb://root@localhost/pdns?socket=/run/mysqld/mysqld.sock');
  assert.ok(s.ok);
  assert.equal(s.settings.socket, '/run/mysqld/mysqld.sock');
  const v6 = parseDbUrl('mysql://root@[::1]:3306/pdns');
  assert.ok(v6.ok);
  assert.equal(v6.settings.host, '::1');
});

test('the password never shows when settings are logged or printed', () => {
  const r = parseDbUrl('mysql://pdns:hunter2hunter2@db:3306/pdns');
  assert.ok(r.ok);
  assert.doesNotMatch(JSON.stringify(r.settings), /hunter2/);
  assert.doesNotMatch(String(r.settings), /hunter2/);
  assert.doesNotMatch(JSON.stringify({ db: r.settings }), /hunter2/);
  assert.equal(r.settings.password, 'hunter2hunter2', 'still readable by the adapter');
});

test('garbage URLs are refused with ERR_DB_URL and a masked message', () => {
  const bad = [
    '', 'not a url', 'http://u:p@h/db', 'mysql://u:p@h', 'mysql://u:p@h/', 'mysql://u:p@h/a/b',
    'mysql://:p@h/db', 'mysql://u:topsecret@h/db?ssl=1', 'mysql://u:p@h:99999/db', '\u0000mysql://',
  ];
  for (const text of bad) {
    const r = parseDbUrl(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) {
      assert.equal(r.code, 'ERR_DB_URL');
      assert.doesNotMatch(r.message, /topsecret/);
    }
  }
});

test('maskPassword hides passwords holding @ and :', () => {
  assert.equal(maskPassword('mysql://u:a@b:c@host:1/db'), 'mysql://u:***@host:1/db');
  assert.equal(maskPassword('mysql://u@host/db'), 'mysql://u@host/db');
});
