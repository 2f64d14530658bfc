import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toDbError } from './db.js';

const s = { display: 'mysql://u:***@db:3306/pdns', password: 'p4ssw0rd!' };

test('driver errors map to stable codes', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.1:3306' }, 'ERR_DB_UNREACHABLE'],
    [{ code: 'ETIMEDOUT', message: 'connect ETIMEDOUT' }, 'ERR_DB_UNREACHABLE'],
    [{ code: 'PROTOCOL_CONNECTION_LOST', message: 'Connection lost: The server closed the connection.' }, 'ERR_DB_UNREACHABLE'],
    [{ code: 'ER_SERVER_SHUTDOWN', message: 'Server shutdown in progress' }, 'ERR_DB_UNREACHABLE'],
    [{ code: 'ER_ACCESS_DENIED_ERROR', message: "Access denied for user 'u'@'h' (using password: YES)" }, 'ERR_DB_AUTH'],
    [{ code: 'ER_DBACCESS_DENIED_ERROR', message: "Access denied for user 'u'@'%' to database 'x'" }, 'ERR_DB_AUTH'],
    [{ code: 'ER_BAD_DB_ERROR', message: "Unknown database 'pdns'" }, 'ERR_DB_UNKNOWN_DATABASE'],
    [{ code: 'ER_PARSE_ERROR', message: 'You have an error in your SQL syntax' }, 'ERR_DB_QUERY'],
    [{ message: "Can't add new command when connection is in closed state" }, 'ERR_DB_UNREACHABLE'],
  ];
  for (const [err, code] of cases) {
    const e = toDbError(err, s);
    assert.equal(e.code, code, String(err.message));
    assert.ok(e.message.startsWith(s.display));
  }
  assert.equal(toDbError('plain string', s).code, 'ERR_DB_QUERY');
  assert.equal(toDbError(undefined, s).code, 'ERR_DB_QUERY');
});

test('a password echoed by a driver message is cut out', () => {
  const e = toDbError({ code: 'ER_PARSE_ERROR', message: "near 'p4ssw0rd!' at line 1" }, s);
  assert.doesNotMatch(e.message, /p4ssw0rd!/);
  assert.match(e.message, /\*\*\*/);
});
