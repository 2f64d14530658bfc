// Loads and compiles the relay config into an immutable snapshot: strings such as
// CIDRs, durations and SNI globs are parsed once here; cross-references (route →
// upstream) and listen addresses that cannot all be bound are checked here. Every
// problem is reported with its path; what would start but is surely a mistake
// (routes after a default route) comes back as a warning.
import { checkConfig, readConfigFile, ConfigError, listenConflicts, parseHostPort, type HostPort, type ListenEntry } from '@geoedge/shared';
import { RelayConfigSchema, UpstreamSchema, type ListenerInput, type RelayConfigInput, type UpstreamInput } from './config-schema.js';
import { CidrSet, parseCidr, type Cidr } from './net/cidr.js';
import { parseDuration } from './net/duration.js';
import { buildMatchers } from './matchers/index.js';
import { routesNeedBytes, type Route } from './route.js';
import { availableCongestion, compileSocketOptions, type SocketCompileContext, type SocketOptions } from './config-socket.js';
import { isIP } from 'node:net';

/** A route's `upstream: original_destination` with no group of that name: this group, with the defaults. */
export const ORIGINAL_DESTINATION = 'original_destination';

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
  /** Connects to each connection's original destination instead of `servers` (empty). */
  originalDestination?: boolean;
  socket?: SocketOptions;
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
  /** IP_TRANSPARENT listener: takes what TPROXY rules send it, for any destination. */
  tproxy: boolean;
  socket?: SocketOptions;
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

export type LoadResult = { ok: true; config: RelayConfig; warnings: string[] } | { ok: false; problems: string[] };

/** Top-level keys given on the command line; each replaces the file's value. */
export type Overrides = Partial<Record<'log_level' | 'admin' | 'workers' | 'data_plane' | 'drain_timeout', unknown>>;

export function loadConfigFile(file: string, overrides: Overrides = {}): LoadResult {
  try {
    const base = readConfigFile(file);
    if (base === null || typeof base !== 'object' || Array.isArray(base)) return { ok: false, problems: [`${file}: top level must be a mapping`] };
    const merged: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = v;
    return compileConfig(merged);
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, problems: err.problems };
    throw err;
  }
}

export interface CompileOptions {
  /** The kernel's congestion controls (default: read from /proc); tests pass their own. */
  congestion?: string[];
}

export function compileConfig(input: unknown, opts: CompileOptions = {}): LoadResult {
  const problems: string[] = [];
  const sockCtx: SocketCompileContext = { problems, congestion: opts.congestion ?? availableCongestion() };
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
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) problems.push(`/upstreams/${name}: expected a name of letters, digits, "_", "." and "-", got ${JSON.stringify(name)}`);
      try {
        const u = checkConfig(UpstreamSchema, value);
        upstreams.set(name, compileUpstream(name, u, `/upstreams/${name}`, sockCtx));
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems.push(...err.problems.map((p) => `/upstreams/${name}${p.startsWith('/:') ? p.slice(1) : p}`));
      }
    }
  }
  if (!raw || problems.length) return { ok: false, problems };
  const warnings: string[] = [];
  const usesImplicit = raw.listeners.some((l) => l.routes.some((r) => r.upstream === ORIGINAL_DESTINATION));
  if (usesImplicit && !upstreams.has(ORIGINAL_DESTINATION)) {
    upstreams.set(ORIGINAL_DESTINATION, compileUpstream(ORIGINAL_DESTINATION, checkConfig(UpstreamSchema, { original_destination: true }), `/upstreams/${ORIGINAL_DESTINATION}`, sockCtx));
  }
  const listeners = raw.listeners.map((l, i) => compileListener(l, `/listeners/${i}`, upstreams, sockCtx, warnings));
  raw.listeners.forEach((l, i) => {
    // tproxy and socket options are set on sockets the engine makes itself (koffi).
    const native = l.tproxy ? 'tproxy' : l.socket ? 'socket' : undefined;
    if (native && raw!.data_plane !== 'engine') problems.push(`/listeners/${i}/${native}: needs data_plane: engine (the sockets are made through the native layer), got data_plane: ${raw!.data_plane}`);
    if (native) l.listen.forEach((a, j) => { if (isIP(listeners[i]!.listen[j]!.host) === 0) problems.push(`/listeners/${i}/listen/${j}: with ${native}, expected an IP address (such as 0.0.0.0:15001 or [::]:15001), got ${a}`); });
  });
  problems.push(...listenConflicts([
    ...listeners.flatMap((l, i) => l.listen.map((hp, j): ListenEntry => ({ path: `/listeners/${i}/listen/${j}`, protocols: [l.protocol], owner: l.name, ...hp }))),
    ...adminPorts(raw.admin, raw.workers),
  ]));
  for (const [name, u] of upstreams) {
    if (!u.socket) continue;
    if (raw.data_plane !== 'engine') problems.push(`/upstreams/${name}/socket: needs data_plane: engine (the sockets are made through the native layer), got data_plane: ${raw.data_plane}`);
    u.servers.forEach((s, i) => { if (isIP(s.host) === 0) problems.push(`/upstreams/${name}/servers/${i}: with socket options, expected an IP address and port, got ${s.address}`); });
  }
  const names = new Set<string>();
  raw.listeners.forEach((l, i) => {
    if (names.has(l.name)) problems.push(`/listeners/${i}/name: duplicate listener name ${l.name}`);
    names.add(l.name);
  });
  if (problems.length) return { ok: false, problems };
  const config: RelayConfig = { logLevel: raw.log_level, workers: raw.workers, dataPlane: raw.data_plane as 'engine' | 'streams', splice: raw.splice, drainTimeoutMs: parseDuration(raw.drain_timeout), upstreams, listeners };
  if (raw.admin) config.admin = raw.admin;
  return { ok: true, config, warnings };
}

function compileUpstream(name: string, u: UpstreamInput, path: string, ctx: SocketCompileContext): UpstreamConfig {
  const problems = ctx.problems;
  if ((u.servers === undefined) === !u.original_destination) problems.push(`${path}: a group needs exactly one of "servers" (a list of host:port) or "original_destination: true"`);
  const servers = (u.servers ?? []).map((s, i): ServerConfig => {
    const spec = typeof s === 'string' ? { address: s, weight: 1, backup: false } : s;
    const hp = hostPort(spec.address, `${path}/servers/${i}`, problems);
    return { ...hp, address: spec.address, weight: spec.weight, backup: spec.backup };
  });
  if (servers.length && servers.every((s) => s.backup)) problems.push(`${path}/servers: at least one server must not be a backup`);
  const out: UpstreamConfig = {
    name, servers, balance: u.balance, proxyProtocol: u.proxy_protocol, tlvs: u.proxy_protocol_tlvs,
    connectTimeoutMs: parseDuration(u.connect_timeout), tries: u.tries, maxFails: u.max_fails,
    failTimeoutMs: parseDuration(u.fail_timeout), transparent: u.transparent, originalDestination: u.original_destination,
  };
  if (u.socket) out.socket = compileSocketOptions(u.socket, `${path}/socket`, 'upstream', ctx);
  if (u.original_destination && u.health_check) problems.push(`${path}/health_check: a group with original_destination has no fixed servers to check`);
  if (u.health_check) {
    const h = u.health_check;
    out.healthCheck = { intervalMs: parseDuration(h.interval), timeoutMs: parseDuration(h.timeout), fails: h.fails, passes: h.passes };
  }
  return out;
}

function compileListener(l: ListenerInput, path: string, upstreams: Map<string, UpstreamConfig>, ctx: SocketCompileContext, warnings: string[]): ListenerConfig {
  const problems = ctx.problems;
  const listen = l.listen.map((a, i) => hostPort(a, `${path}/listen/${i}`, problems));
  const routes = l.routes.map((r, i): Route => {
    const rp = `${path}/routes/${i}`;
    if ((r.upstream === undefined) === (r.close !== true)) problems.push(`${rp}: a route needs exactly one of "upstream" or "close: true"`);
    const up = r.upstream === undefined ? undefined : upstreams.get(r.upstream);
    if (r.upstream !== undefined && !up) problems.push(`${rp}/upstream: no upstream named ${JSON.stringify(r.upstream)}; the upstreams are ${[...upstreams.keys()].join(', ') || '(none)'}`);
    if (l.protocol === 'udp' && up?.proxyProtocol === 'v1') problems.push(`${rp}/upstream: PROXY v1 cannot carry UDP; use v2`);
    const m = r.match ?? {};
    if (l.protocol === 'udp' && (m.sni || m.alpn || m.not_tls !== undefined)) problems.push(`${rp}/match: UDP routes can match on client and dest only`);
    const spec: Parameters<typeof buildMatchers>[0] = {};
    if (m.sni) spec.sni = m.sni;
    if (m.alpn) spec.alpn = m.alpn;
    if (m.not_tls !== undefined) spec.not_tls = m.not_tls;
    if (m.client) spec.client = cidrs(m.client, `${rp}/match/client`, problems);
    if (m.dest) spec.dest = destSpec(m.dest, `${rp}/match/dest`, problems);
    // Without interception the destination is this listener itself: connecting there would loop.
    if (up?.originalDestination && !l.tproxy && !l.proxy_protocol) problems.push(`${rp}/upstream: ${JSON.stringify(r.upstream)} connects to the original destination, which needs tproxy: true on the listener (or a PROXY header naming it)`);
    return { index: i, matchers: buildMatchers(spec), handler: r.upstream !== undefined ? { kind: 'proxy', upstream: r.upstream } : { kind: 'close' } };
  });
  // A route without matchers takes every connection: nothing after it is ever tried.
  const catchAll = routes.findIndex((r) => r.matchers.length === 0);
  if (catchAll >= 0) {
    for (const r of routes.slice(catchAll + 1)) warnings.push(`${path}/routes/${r.index}: unreachable: route ${catchAll} has no match and takes every connection`);
  }
  const out: ListenerConfig = {
    name: l.name, protocol: l.protocol, listen,
    prereadTimeoutMs: parseDuration(l.preread_timeout), prereadMax: l.preread_max_bytes, onPrereadFail: l.on_preread_fail,
    idleTimeoutMs: parseDuration(l.idle_timeout), maxConnections: l.max_connections, maxPerClient: l.max_per_client, routes, needBytes: routesNeedBytes(routes),
    tproxy: l.tproxy,
  };
  if (l.socket) out.socket = compileSocketOptions(l.socket, `${path}/socket`, l.protocol, ctx);
  if (l.proxy_protocol) {
    out.proxyAccept = { trusted: cidrs(l.proxy_protocol.trusted, `${path}/proxy_protocol/trusted`, problems), timeoutMs: parseDuration(l.proxy_protocol.timeout) };
  }
  return out;
}

/** The admin (metrics) sockets: worker i listens on the admin port + i (see main.ts). */
function adminPorts(admin: string | undefined, workers: number): ListenEntry[] {
  if (admin === undefined) return [];
  const hp = hostPort(admin, '/admin', []);
  const n = hp.port === 0 ? 1 : workers;
  return Array.from({ length: n }, (_, i) => ({ path: '/admin', protocols: ['tcp'], owner: i === 0 ? 'admin' : `admin of worker ${i}`, host: hp.host, port: hp.port === 0 ? 0 : hp.port + i }));
}

function hostPort(text: string, path: string, problems: string[]): HostPort {
  try {
    return parseHostPort(text);
  } catch (err) {
    problems.push(`${path}: ${(err as Error).message}`);
    return { host: '0.0.0.0', port: 0 };
  }
}

function destSpec(d: { addresses?: string[]; ports?: Array<number | string> }, path: string, problems: string[]): NonNullable<Parameters<typeof buildMatchers>[0]['dest']> {
  if (!d.addresses && !d.ports) problems.push(`${path}: expected "addresses" (CIDRs), "ports" (443 or "8000-8099"), or both`);
  const ports = (d.ports ?? []).map((p, i): [number, number] => {
    const [lo, hi] = typeof p === 'number' ? [p, p] : p.split('-').map(Number) as [number, number];
    if (!(lo >= 1 && hi <= 65535 && lo <= hi)) problems.push(`${path}/ports/${i}: expected a port range from 1 to 65535 with its low end first, got ${JSON.stringify(p)}`);
    return [lo, hi];
  });
  const out: { addresses?: CidrSet; ports?: Array<[number, number]> } = {};
  if (d.addresses) out.addresses = cidrs(d.addresses, `${path}/addresses`, problems);
  if (d.ports) out.ports = ports;
  return out;
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
