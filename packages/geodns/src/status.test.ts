import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createStatusHandler, STATUS_PATH } from './status.js';
import type { CheckState } from './lua/index.js';

const req = (key?: string) => ({ headers: key === undefined ? {} : { 'x-api-key': key } }) as unknown as IncomingMessage;
const states = (): CheckState[] => [
  { id: 'tcp 192.0.2.1 443 ', value: 0, failures: 2, lastAccess: 0, spec: { kind: 'tcp', address: '192.0.2.1', port: 443, opts: {} }, since: Date.UTC(2026, 0, 1), lastCheck: Date.UTC(2026, 0, 1, 0, 0, 5), lastError: 'connect ECONNREFUSED', lastErrorAt: Date.UTC(2026, 0, 1, 0, 0, 5) },
  { id: 'http https://a.example/ - ', value: 3, failures: 0, lastAccess: 0, spec: { kind: 'http', url: 'https://a.example/', opts: {} }, since: Date.UTC(2026, 0, 1) },
  { id: 'tcp 2001:db8::1 53 ', value: -1, failures: 0, lastAccess: 0, spec: { kind: 'tcp', address: '2001:db8::1', port: 53, opts: {} }, since: Date.UTC(2026, 0, 1) },
];

test('without statusKey the path is not served', () => {
  assert.equal(createStatusHandler(undefined, states)(STATUS_PATH, req('x')), undefined);
});

test('key checked (plain or sha256:), other paths left alone, states as JSON', () => {
  for (const key of ['status-key-1', `sha256:${createHash('sha256').update('status-key-1').digest('hex')}`]) {
    const h = createStatusHandler(key, states);
    assert.equal(h('/other', req('status-key-1')), undefined);
    assert.equal(h(STATUS_PATH, req())?.status, 401);
    assert.equal(h(STATUS_PATH, req('status-key-2'))?.status, 401);
    const ok = h(STATUS_PATH, req('status-key-1'));
    assert.equal(ok?.status, 200);
    const { checks } = JSON.parse(ok!.body) as { checks: Array<Record<string, unknown>> };
    assert.deepEqual(checks.map((c) => [c.target, c.state, c.weight]), [['https://a.example/', 'up', 3], ['192.0.2.1:443', 'down', 0], ['[2001:db8::1]:53', 'unknown', 0]]);
    assert.deepEqual(checks[1], {
      id: 'tcp 192.0.2.1 443 ', kind: 'tcp', target: '192.0.2.1:443', address: '192.0.2.1', state: 'down', weight: 0,
      since: '2026-01-01T00:00:00.000Z', last_check: '2026-01-01T00:00:05.000Z', last_error: 'connect ECONNREFUSED', last_error_at: '2026-01-01T00:00:05.000Z', failures: 2,
    });
  }
  assert.equal(createStatusHandler('status-key-1', undefined)(STATUS_PATH, req('status-key-1'))?.status, 503);
});
