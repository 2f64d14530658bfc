// Loads and compiles the relay config into an immutable snapshot: strings such as
// CIDRs, durations and SNI globs are parsed once here; cross-references (route →
// upstream) are checked here. Every problem is reported with its path.
import { checkConfig, readConfigFile, ConfigError, parseHostPort, type HostPort } from '@geoedge/shared';
import { RelayConfigSchema, UpstreamSchema, type ListenerInput, type RelayConfigInput, type UpstreamInput } from './config-schema.js';
import { CidrSet, parseCidr, type Cidr } from './net/cidr.js';
import { parseDuration } from './net/duration.js';
import { buildMatchers } from './matchers/index.js';
import { routesNeedBytes, type Route } from './route.js';

export interface ServerConfig extends HostPort { address: string; weight: number; backup: boolean }

export interface UpstreamConfig {
  name: string;
  servers: ServerConfig[];
  balance: 'round_robin' | 'least_conn' | 'hash';
  proxyProtocol: 'none' | 'v1' | 'v2';
  tlvs: boolean;
  connectTimeoutMs: number;
  tries: number;
  maxFails: number;
  failTimeoutMs: number;
  healthCheck?: { intervalMs: number; timeoutMs: number; fails: number; passes: number };
  transparent: boolean;
}

export interface ListenerConfig {
  name: string;
  protocol: 'tcp' | 'udp';
  listen: HostPort[];
  proxyAccept?: { trusted: CidrSet; timeoutMs: number };
  prereadTimeoutMs: number;
  prereadMax: number;
  onPrereadFail: 'continue' | 'close';
  idleTimeoutMs: number;
  maxConnections: number;
  maxPerClient: number;
  routes: Route[];
  /** Some route matches on the first flight (SNI, ALPN, not-TLS): connections preread. */
  needBytes: boolean;
}

export interface RelayConfig {
  logLevel: string;
  workers: number;
  dataPlane: 'engine' | 'streams';
  splice: boolean;
  admin?: string;
  drainTimeoutMs: number;
  upstreams: Map<string, UpstreamConfig>;
  listeners: ListenerConfig[];
}

export type LoadResult = { ok: true; config: RelayConfig } | { ok: false; problems: string[] };

export function loadConfigFile(file: string): LoadResult {
  try {
    return compileConfig(readConfigFile(file));
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, problems: err.problems };
    throw err;
  }
}

export function compileConfig(input: unknown): LoadResult {
  const problems: string[] = [];
  let raw: RelayConfigInput | undefined;
  try {
    raw = checkConfig(RelayConfigSchema, input);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  // Upstreams are checked even when the top level has problems, so one run shows all.
  const ups = (input as { upstreams?: unknown } | null)?.upstreams;
  const upstreams = new Map<string, UpstreamConfig>();
  if (ups && typeof ups === 'object' && !Array.isArray(ups)) {
    for (const [name, value] of Object.entries(ups)) {
      try {
        const u = checkConfig(UpstreamSchema, value);
        upstreams.set(name, compileUpstream(name, u, `/upstreams/${name}`, problems));
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems.push(...err.problems.map((p) => `/upstreams/${name}${p.startsWith('/:') ? p.slice(1) : p}`));
      }
    }
  }
  if (!raw || problems.length) return { ok: false, problems };
  const seen = new Set<string>();
  const listeners = raw.listeners.map((l, i) => compileListener(l, `/listeners/${i}`, upstreams, seen, problems));
  const names = new Set<string>();
  raw.listeners.forEach((l, i) => {
    if (names.has(l.name)) problems.push(`/listeners/${i}/name: duplicate listener name ${l.name}`);
    names.add(l.name);
  });
  if (problems.length) return { ok: false, problems };
  const config: RelayConfig = { logLevel: raw.log_level, workers: raw.workers, dataPlane: raw.data_plane as 'engine' | 'streams', splice: raw.splice, drainTimeoutMs: parseDuration(raw.drain_timeout), upstreams, listeners };
  if (raw.admin) config.admin = raw.admin;
  return { ok: true, config };
}

function compileUpstream(name: string, u: UpstreamInput, path: string, problems: string[]): UpstreamConfig {
  const servers = u.servers.map((s, i): ServerConfig => {
    const spec = typeof s === 'string' ? { address: s, weight: 1, backup: false } : s;
    const hp = hostPort(spec.address, `${path}/servers/${i}`, problems);
    return { ...hp, address: spec.address, weight: spec.weight, backup: spec.backup };
  });
  if (servers.every((s) => s.backup)) problems.push(`${path}/servers: at least one server must not be a backup`);
  const out: UpstreamConfig = {
    name, servers, balance: u.balance, proxyProtocol: u.proxy_protocol, tlvs: u.proxy_protocol_tlvs,
    connectTimeoutMs: parseDuration(u.connect_timeout), tries: u.tries, maxFails: u.max_fails,
    failTimeoutMs: parseDuration(u.fail_timeout), transparent: u.transparent,
  };
  if (u.health_check) {
    const h = u.health_check;
    out.healthCheck = { intervalMs: parseDuration(h.interval), timeoutMs: parseDuration(h.timeout), fails: h.fails, passes: h.passes };
  }
  return out;
}

function compileListener(l: ListenerInput, path: string, upstreams: Map<string, UpstreamConfig>, seen: Set<string>, problems: string[]): ListenerConfig {
  const listen = l.listen.map((a, i) => {
    const hp = hostPort(a, `${path}/listen/${i}`, problems);
    const key = `${l.protocol} ${hp.host} ${hp.port}`;
    if (seen.has(key) && hp.port !== 0) problems.push(`${path}/listen/${i}: ${a} (${l.protocol}) is already used by another listener`);
    seen.add(key);
    return hp;
  });
  const routes = l.routes.map((r, i): Route => {
    const rp = `${path}/routes/${i}`;
    if ((r.upstream === undefined) === (r.close !== true)) problems.push(`${rp}: a route needs exactly one of "upstream" or "close: true"`);
    const up = r.upstream === undefined ? undefined : upstreams.get(r.upstream);
    if (r.upstream !== undefined && !up) problems.push(`${rp}/upstream: no upstream named ${JSON.stringify(r.upstream)}`);
    if (l.protocol === 'udp' && up?.proxyProtocol === 'v1') problems.push(`${rp}/upstream: PROXY v1 cannot carry UDP; use v2`);
    const m = r.match ?? {};
    if (l.protocol === 'udp' && (m.sni || m.alpn || m.not_tls !== undefined)) problems.push(`${rp}/match: UDP routes can match on client only`);
    const spec: Parameters<typeof buildMatchers>[0] = {};
    if (m.sni) spec.sni = m.sni;
    if (m.alpn) spec.alpn = m.alpn;
    if (m.not_tls !== undefined) spec.not_tls = m.not_tls;
    if (m.client) spec.client = cidrs(m.client, `${rp}/match/client`, problems);
    return { index: i, matchers: buildMatchers(spec), handler: r.upstream !== undefined ? { kind: 'proxy', upstream: r.upstream } : { kind: 'close' } };
  });
  const out: ListenerConfig = {
    name: l.name, protocol: l.protocol, listen,
    prereadTimeoutMs: parseDuration(l.preread_timeout), prereadMax: l.preread_max_bytes, onPrereadFail: l.on_preread_fail,
    idleTimeoutMs: parseDuration(l.idle_timeout), maxConnections: l.max_connections, maxPerClient: l.max_per_client, routes, needBytes: routesNeedBytes(routes),
  };
  if (l.proxy_protocol) {
    out.proxyAccept = { trusted: cidrs(l.proxy_protocol.trusted, `${path}/proxy_protocol/trusted`, problems), timeoutMs: parseDuration(l.proxy_protocol.timeout) };
  }
  return out;
}

function hostPort(text: string, path: string, problems: string[]): HostPort {
  try {
    return parseHostPort(text);
  } catch (err) {
    problems.push(`${path}: ${(err as Error).message}`);
    return { host: '0.0.0.0', port: 0 };
  }
}

function cidrs(list: string[], path: string, problems: string[]): CidrSet {
  const out: Cidr[] = [];
  list.forEach((t, i) => {
    const r = parseCidr(t);
    if (r.ok) out.push(r.cidr);
    else problems.push(`${path}/${i}: ${r.message}`);
  });
  return new CidrSet(out);
}
