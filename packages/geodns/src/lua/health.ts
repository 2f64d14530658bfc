// Background health checker behind ifportup / ifurlup / ifurlextup /
// pickselfweighted, after PowerDNS's IsUpOracle (lua-record.cc):
//  - a query only reads state; an unknown check is registered and reported as
//    "not checked yet" (-1) and the checker runs it on its next tick;
//  - TCP: connect within `timeout` (seconds, default 2) = up;
//  - HTTP(S): status `httpcode` (default 200) and, with `stringmatch`, that
//    string in the body = up; a body that starts with a number is its weight
//    (pickselfweighted); more than `byteslimit` bytes = down (curl aborts too);
//  - `minimumFailures` (default 1) failures in a row before up turns down;
//  - each check runs every `interval` seconds (default 5);
//  - a check no query has read for an hour is dropped;
//  - every state change is logged and reported to onChange listeners.
import { connect } from 'node:net';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { gaugeFn, labeledGaugeFn, type Logger, type Registry, type Service } from '@geoedge/shared';
import type { CheckSpec, HealthOracle } from './types.js';

export interface HealthCheckerOptions {
  log: Logger;
  defaultIntervalSec?: number;
  expireSec?: number;
  /** How often due checks are looked for (ms, default 250). */
  tickMs?: number;
}

interface Entry {
  id: string;
  spec: CheckSpec;
  /** -1 not checked yet, 0 down, > 0 up (weight). */
  value: number;
  failures: number;
  lastAccess: number;
  nextCheck: number;
  running: boolean;
  /** For the status endpoint (status.ts): when the state last changed, the last check and failure. */
  since: number;
  lastCheck?: number;
  lastError?: string;
  lastErrorAt?: number;
}

export interface CheckState {
  id: string; value: number; failures: number; lastAccess: number;
  spec: CheckSpec; since: number; lastCheck?: number; lastError?: string; lastErrorAt?: number;
}

const num = (v: string | undefined, d: number) => (v !== undefined && Number.isFinite(Number(v)) && Number(v) > 0 ? Number(v) : d);

export function checkId(spec: CheckSpec): string {
  const opts = Object.keys(spec.opts).sort().map((k) => `${k}=${spec.opts[k]}`).join('&');
  return spec.kind === 'tcp' ? `tcp ${spec.address} ${spec.port} ${opts}` : `http ${spec.url} ${spec.address ?? '-'} ${opts}`;
}

export class HealthChecker implements Service, HealthOracle {
  readonly name = 'lua-health';
  private readonly entries = new Map<string, Entry>();
  private readonly listeners: Array<(id: string, value: number) => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: HealthCheckerOptions) {}

  async start(): Promise<void> {
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 250);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  onChange(fn: (id: string, value: number) => void): void {
    this.listeners.push(fn);
  }

  status(spec: CheckSpec): { id: string; value: number } {
    const id = checkId(spec);
    const now = Date.now();
    let e = this.entries.get(id);
    if (!e) {
      e = { id, spec, value: -1, failures: 0, lastAccess: now, nextCheck: now, running: false, since: now };
      this.entries.set(id, e);
    }
    e.lastAccess = now;
    return { id, value: e.value };
  }

  /** geodns_lua_health_up{check} (1 up, 0 down, -1 not checked yet) and the number of checks. */
  registerMetrics(reg: Registry): void {
    labeledGaugeFn(reg, 'geodns_lua_health_up', 'LUA record health checks: 1 up, 0 down, -1 not checked yet', ['check'],
      () => [...this.entries.values()].map((e) => [{ check: e.id }, e.value > 0 ? 1 : e.value]));
    gaugeFn(reg, 'geodns_lua_health_checks', 'LUA record health checks being run', () => this.entries.size);
  }

  states(): CheckState[] {
    return [...this.entries.values()].map(({ id, value, failures, lastAccess, spec, since, lastCheck, lastError, lastErrorAt }) =>
      ({ id, value, failures, lastAccess, spec, since, ...(lastCheck !== undefined ? { lastCheck } : {}), ...(lastError !== undefined ? { lastError, lastErrorAt } : {}) }));
  }

  /** Runs every due check once and resolves when they are done (tests call this directly). */
  async tick(): Promise<void> {
    const now = Date.now();
    const expire = (this.opts.expireSec ?? 3600) * 1000;
    const runs: Promise<void>[] = [];
    for (const e of this.entries.values()) {
      if (e.value !== -1 && e.lastAccess < now - expire) {
        this.entries.delete(e.id);
        this.opts.log.info({ check: e.id }, 'health check expired (unused for an hour)');
        continue;
      }
      if (e.running || e.nextCheck > now) continue;
      runs.push(this.run(e));
    }
    await Promise.all(runs);
  }

  private async run(e: Entry): Promise<void> {
    e.running = true;
    const o = e.spec.opts;
    const timeoutMs = num(o.timeout, 2) * 1000;
    let result: { up: boolean; weight: number; reason?: string };
    try {
      result = e.spec.kind === 'tcp' ? await tcpCheck(e.spec.address, e.spec.port, timeoutMs, o.source) : await httpCheck(e.spec, timeoutMs);
    } catch (err) {
      result = { up: false, weight: 0, reason: (err as Error).message };
    }
    e.running = false;
    e.nextCheck = Date.now() + num(o.interval, this.opts.defaultIntervalSec ?? 5) * 1000;
    this.apply(e, result);
  }

  private apply(e: Entry, r: { up: boolean; weight: number; reason?: string }): void {
    const before = e.value;
    e.lastCheck = Date.now();
    if (!r.up) { e.lastError = r.reason ?? 'down'; e.lastErrorAt = e.lastCheck; }
    if (r.up) {
      e.failures = 0;
      e.value = r.weight > 0 ? r.weight : 1;
    } else {
      e.failures++;
      const minFailures = Math.max(1, Math.trunc(num(e.spec.opts.minimumFailures, 1)));
      // like PowerDNS: "down, but not enough times yet" still counts as up
      e.value = e.failures < minFailures ? Math.max(before, 1) : 0;
    }
    if ((before > 0) !== (e.value > 0) || before === -1) {
      e.since = e.lastCheck;
      this.opts.log.info({ check: e.id, up: e.value > 0, weight: e.value, reason: r.reason }, e.value > 0 ? 'health check UP' : 'health check DOWN');
      for (const fn of this.listeners) fn(e.id, e.value);
    }
  }
}

function tcpCheck(host: string, port: number, timeoutMs: number, source?: string): Promise<{ up: boolean; weight: number; reason?: string }> {
  return new Promise((resolve) => {
    const s = connect({ host, port, localAddress: source, timeout: timeoutMs });
    const done = (up: boolean, reason?: string) => { s.destroy(); resolve({ up, weight: up ? 1 : 0, reason }); };
    s.once('connect', () => done(true));
    s.once('timeout', () => done(false, 'connect timeout'));
    s.once('error', (err) => done(false, err.message));
  });
}

function httpCheck(spec: Extract<CheckSpec, { kind: 'http' }>, timeoutMs: number): Promise<{ up: boolean; weight: number; reason?: string }> {
  const o = spec.opts;
  const url = new URL(spec.url);
  const headers: Record<string, string> = { 'user-agent': o.useragent ?? 'geoedge geodns health check' };
  if (o.headers) Object.assign(headers, JSON.parse(o.headers) as Record<string, string>);
  const lookup: LookupFunction | undefined = spec.address
    ? (_h, opts, cb) => {
      const family = spec.address!.includes(':') ? 6 : 4;
      if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: spec.address!, family }]);
      else cb(null, spec.address!, family);
    }
    : undefined;
  const want = Math.trunc(num(o.httpcode, 200));
  const limit = Math.trunc(num(o.byteslimit, 0));
  const req = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (up: boolean, weight: number, reason?: string) => { if (!settled) { settled = true; resolve({ up, weight, reason }); } };
    const r = req(url, { method: 'GET', headers, lookup, localAddress: o.source, timeout: timeoutMs }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (limit > 0 && size > limit) { r.destroy(); finish(false, 0, `body larger than byteslimit ${limit}`); return; }
        chunks.push(c);
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== want) return finish(false, 0, `HTTP ${res.statusCode}, want ${want}`);
        if (o.stringmatch !== undefined && !body.includes(o.stringmatch)) return finish(false, 0, `unable to match content with '${o.stringmatch}'`);
        const m = /^\s*(\d+)/.exec(body);
        finish(true, m ? Number(m[1]) : 1);
      });
      res.on('error', (err) => finish(false, 0, err.message));
    });
    r.on('timeout', () => { r.destroy(); finish(false, 0, 'timeout'); });
    r.on('error', (err) => finish(false, 0, err.message));
    r.end();
  });
}

export function createHealthChecker(opts: HealthCheckerOptions): HealthChecker {
  return new HealthChecker(opts);
}
