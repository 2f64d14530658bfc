// The health status endpoint (issue 20), on the metrics address next to
// /metrics: GET /status/health with X-API-Key: <statusKey> answers every
// ifportup/ifurlup/ifurlextup/pickselfweighted target the health checker runs
// (lua/health.ts, read only):
//   {"checks": [{id, kind, target, address?, state: "up"|"down"|"unknown",
//                weight, since, last_check, last_error, last_error_at, failures}]}
// (times ISO 8601 UTC, null when none). geoctl reads it for its web page.
// Without `statusKey` the path is not served (404): the metrics address is often
// reachable from a monitoring network, and the targets are internal addresses.
// A wrong or missing key is 401. The key is compared as SHA-256 digests in
// constant time, and may be configured as sha256:<hex>. With `workers > 1` each
// worker has its own checker and the primary serves the metrics: the path
// answers 503 there (geodns_lua_health_up has the per-worker states).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { CheckState } from './lua/index.js';

export type StatusHandler = (path: string, req: IncomingMessage) => { status: number; body: string } | undefined;

export const STATUS_PATH = '/status/health';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Whether a request carries the status key (X-API-Key), compared as SHA-256 digests in constant time. */
export function keyChecker(statusKey: string): (req: IncomingMessage) => boolean {
  const want = statusKey.startsWith('sha256:') ? Buffer.from(statusKey.slice(7), 'hex') : sha256(statusKey);
  return (req) => {
    const raw = req.headers['x-api-key'];
    const given = Array.isArray(raw) ? raw[0] : raw;
    return given !== undefined && timingSafeEqual(sha256(given), want);
  };
}

export function createStatusHandler(statusKey: string | undefined, states: (() => CheckState[]) | undefined): StatusHandler {
  if (statusKey === undefined) return () => undefined;
  const allowed = keyChecker(statusKey);
  return (path, req) => {
    if (path !== STATUS_PATH) return undefined;
    if (!allowed(req)) return json(401, { error: 'Unauthorized' });
    if (!states) return json(503, { error: 'health checks are not available here (lua disabled, or workers > 1: see geodns_lua_health_up)' });
    return json(200, { checks: states().map(view).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) });
  };
}

function view(c: CheckState) {
  const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
  const s = c.spec;
  return {
    id: c.id,
    kind: s.kind,
    target: s.kind === 'tcp' ? (s.address.includes(':') ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`) : s.url,
    address: s.kind === 'tcp' ? s.address : (s.address ?? null),
    state: c.value > 0 ? 'up' : c.value === 0 ? 'down' : 'unknown',
    weight: c.value > 0 ? c.value : 0,
    since: iso(c.since),
    last_check: iso(c.lastCheck),
    last_error: c.lastError ?? null,
    last_error_at: iso(c.lastErrorAt),
    failures: c.failures,
  };
}

function json(status: number, body: unknown): { status: number; body: string } {
  return { status, body: JSON.stringify(body) };
}
