// One TCP connection, start to end: caps → PROXY header (trusted sources only)
// → preread until a route decides → handler → one access log line.
import { Socket, isIP } from 'node:net';
import { parseClientHello, type HelloResult } from './wire/client-hello.js';
import { decodeProxyHeader, headerAddresses } from './wire/proxy-header.js';
import type { ProxyAddress } from './wire/proxy-types.js';
import { normalizeIp } from './net/cidr.js';
import { selectRoute, type Route } from './route.js';
import { addClient, removeClient, type ListenerRuntime, type Snapshot } from './listen/runtime.js';
import { proxyConnection, AcceptedProxy } from './handlers/proxy.js';

/** What the access log line says about a connection; filled as it goes. */
export interface ConnInfo {
  start: number;
  client: ProxyAddress;
  /** Set when a PROXY header named another client. */
  proxied?: ProxyAddress;
  /** The address the client connected to (from the PROXY header when present). */
  destination: ProxyAddress;
  sni?: string;
  alpn?: string[];
  route?: number;
  upstream?: string;
  reason: string;
  counted?: string;
  /** Byte counts from the data plane engine, which owns the sockets after the hand-over. */
  bytesIn?: number;
  bytesOut?: number;
}

/** What a handler may change about its connection's life. */
export interface ConnControl {
  /** Logs the connection and frees its slots (once). */
  finish(): void;
  /** Set when the sockets left Node: their close events end nothing. */
  detached: boolean;
  /** What drain calls at its deadline. */
  entry: { destroy(): void };
}

export function addressOf(ip: string | undefined, port: number | undefined): ProxyAddress {
  const a = normalizeIp(ip ?? '0.0.0.0');
  return { family: isIP(a) === 6 ? 6 : 4, address: a, port: port ?? 0 };
}

export function handleTcpConnection(sock: Socket, rt: ListenerRuntime): void {
  const snap: Snapshot = rt.snapshot;
  const l = snap.listener;
  const info: ConnInfo = {
    start: Date.now(),
    client: addressOf(sock.remoteAddress, sock.remotePort),
    destination: addressOf(sock.localAddress, sock.localPort),
    reason: 'done',
  };
  const ctl = connControl(rt, info, () => { sock.destroy(); }, false, () => [sock.bytesRead, sock.bytesWritten]);
  const entry = ctl.entry;
  sock.on('error', (err: NodeJS.ErrnoException) => {
    if (info.reason === 'done' && !ctl.detached) info.reason = `client_error:${err.code ?? 'unknown'}`;
  });
  sock.on('close', () => { if (!ctl.detached) ctl.finish(); });
  if (rt.open.size >= l.maxConnections) return reject(rt, sock, info, 'limit_total');
  rt.open.add(entry);
  const trusted = l.proxyAccept;
  if (trusted && !trusted.trusted.has(info.client.address)) return reject(rt, sock, info, 'untrusted_proxy_source');
  try {
    startReading(sock, rt, snap, info, ctl, !!trusted);
  } catch (err) {
    internalError(rt, info, err, sock);
  }
}

/**
 * A bug met on one connection's path (an exception where none was expected):
 * that connection ends with reason `internal_error`, counted in
 * relay_errors_total{code="internal_error"} and logged with its stack (at most
 * one line a second per listener, with the number left out), and the process
 * keeps serving everyone else. Nothing a client or a trusted peer sends may
 * take the relay down.
 */
export function noteInternalError(rt: ListenerRuntime, err: unknown, count = true): void {
  if (count) rt.metrics.errors.inc2(rt.name, 'internal_error');
  const t = Date.now();
  const q = (rt.internalErrors ??= { last: 0, skipped: 0 });
  if (t - q.last < 1000) { q.skipped++; return; }
  rt.log.error({ err, skipped_since_last: q.skipped }, count ? 'internal error on a connection: closed it' : 'internal error on a datagram: dropped it');
  q.last = t;
  q.skipped = 0;
}

function internalError(rt: ListenerRuntime, info: ConnInfo, err: unknown, sock: Socket): void {
  info.reason = 'internal_error';
  noteInternalError(rt, err);
  sock.destroy();
}

/** The engine's routes decide without bytes: the ClientHello is never there. */
const NO_HELLO = (): HelloResult => ({ kind: 'need-more' });

/**
 * A connection the data plane engine accepted (a bare fd). When the route is
 * known at once and its group can be reached by the engine, it never becomes
 * a Node socket; otherwise (PROXY header or preread to read, an upstream given
 * by name) the fd is wrapped in one and takes the path above.
 */
export function handleAccepted(fd: number, peer: ProxyAddress, rt: ListenerRuntime, bound?: ProxyAddress): void {
  const snap: Snapshot = rt.snapshot;
  const l = snap.listener;
  let conn: AcceptedProxy | undefined;
  try {
    if (l.proxyAccept || l.needBytes) return wrapAccepted(fd, rt);
    const local = bound ?? rt.dataPlane!.localAddress(fd);
    const info: ConnInfo = { start: Date.now(), client: peer, destination: local ?? peer, reason: 'done' };
    conn = new AcceptedProxy(fd, rt, snap, info);
    // The engine's sockets are IPv4 or IPv6-only: `peer` needs no ::ffff: normalizing.
    const d = selectRoute(l.routes, { client: peer.address, dest: info.destination, hello: NO_HELLO, final: true });
    const group = d.kind === 'route' && d.route.handler.kind === 'proxy' ? snap.groups.get(d.route.handler.upstream) : undefined;
    if (group && !group.engineReachable) { conn = undefined; return wrapAccepted(fd, rt); }
    if (rt.open.size >= l.maxConnections) return conn.refuse('limit_total');
    rt.open.add(conn);
    if (!addClient(rt, peer.address, l.maxPerClient)) return conn.refuse('limit_per_client');
    info.counted = peer.address;
    if (d.kind !== 'route') return conn.refuse('no_route');
    info.route = d.route.index;
    if (!group) return conn.refuse('route_close', false);
    conn.start(group);
  } catch (err) {
    if (conn) return conn.abort(err);
    noteInternalError(rt, err);
    rt.dataPlane!.closeFd(fd);
  }
}

function wrapAccepted(fd: number, rt: ListenerRuntime): void {
  handleTcpConnection(new Socket({ fd, allowHalfOpen: true, readable: true, writable: true }), rt);
}

/** The end of a connection (once): its slot in rt.open and per client, its metrics and log line. */
export function finishConnection(rt: ListenerRuntime, entry: { destroy(): void }, info: ConnInfo, bytesIn: number, bytesOut: number): void {
  rt.open.delete(entry);
  if (info.counted !== undefined) removeClient(rt, info.counted);
  logConnection(rt, info, bytesIn, bytesOut);
}

/** The connection's slot in rt.open and its one log line; `bytes` when the engine did not count them. */
function connControl(rt: ListenerRuntime, info: ConnInfo, destroy: () => void, detached: boolean, bytes: () => [number, number]): ConnControl {
  let finished = false;
  const ctl: ConnControl = {
    entry: { destroy },
    detached,
    finish() {
      if (finished) return;
      finished = true;
      const [inb, outb] = bytes();
      finishConnection(rt, ctl.entry, info, info.bytesIn ?? inb, info.bytesOut ?? outb);
    },
  };
  return ctl;
}

function reject(rt: ListenerRuntime, sock: Socket, info: ConnInfo, reason: string): void {
  info.reason = reason;
  rt.metrics.errors.inc2(rt.name, reason);
  if (reason === 'untrusted_proxy_source') rt.log.warn({ client: info.client.address }, 'PROXY header from an untrusted source: closed');
  sock.destroy();
}

function startReading(sock: Socket, rt: ListenerRuntime, snap: Snapshot, info: ConnInfo, ctl: ConnControl, expectProxy: boolean): void {
  const l = snap.listener;
  let buf: Buffer = Buffer.alloc(0);
  let phase: 'proxy' | 'preread' = expectProxy ? 'proxy' : 'preread';
  let helloLen = -1;
  let hello: HelloResult = { kind: 'need-more' };
  const needBytes = l.needBytes;
  // Routes that need no bytes decide at once: no timer, no listeners (the common
  // plain-TCP case, where per-connection cost is what limits connections/s).
  if (!expectProxy && !needBytes) {
    const d = selectRoute(l.routes, { client: info.client.address, dest: info.destination, hello: () => hello, final: true });
    if (!addClient(rt, info.client.address, l.maxPerClient)) return reject(rt, sock, info, 'limit_per_client');
    info.counted = info.client.address;
    if (d.kind !== 'route') return reject(rt, sock, info, 'no_route');
    sock.pause();
    return dispatch(sock, rt, snap, info, ctl, d.route, buf);
  }
  let timer = setTimeout(() => onTimeout(), expectProxy ? l.proxyAccept!.timeoutMs : l.prereadTimeoutMs);
  const helloOf = () => {
    if (helloLen !== buf.length) { hello = parseClientHello(buf, l.prereadMax); helloLen = buf.length; }
    return hello;
  };
  const stop = () => {
    clearTimeout(timer);
    sock.removeListener('data', onData);
    sock.removeListener('end', onEnd);
    sock.pause();
  };
  const close = (reason: string) => {
    stop();
    info.reason = reason;
    rt.metrics.errors.inc2(rt.name, reason);
    sock.destroy();
  };
  // Each entry from the socket's events is guarded: an exception ends this connection only.
  const failed = (err: unknown) => {
    stop();
    internalError(rt, info, err, sock);
  };
  const onTimeout = () => {
    try { if (phase === 'proxy') close('proxy_header_timeout'); else decide(true); } catch (err) { failed(err); }
  };
  const onEnd = () => {
    try { if (phase === 'proxy') close('proxy_header_incomplete'); else decide(true); } catch (err) { failed(err); }
  };
  function onData(chunk: Buffer) {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    try { if (phase === 'proxy') readProxy(); else decide(buf.length >= l.prereadMax); } catch (err) { failed(err); }
  }
  function readProxy() {
    const r = decodeProxyHeader(buf);
    if (r.kind === 'need-more') return;
    if (r.kind === 'error') return close(r.code);
    const named = headerAddresses(r.header);
    if (named) {
      info.proxied = named.source;
      info.destination = named.destination;
    }
    buf = buf.subarray(r.length);
    phase = 'preread';
    clearTimeout(timer);
    timer = setTimeout(onTimeout, l.prereadTimeoutMs);
    decide(buf.length >= l.prereadMax);
  }
  function decide(final: boolean) {
    if (!info.counted) {
      const ip = (info.proxied ?? info.client).address;
      if (!addClient(rt, ip, l.maxPerClient)) return close('limit_per_client');
      info.counted = ip;
    }
    const client = (info.proxied ?? info.client).address;
    if (needBytes && l.onPrereadFail === 'close') {
      const h = helloOf();
      if (h.kind === 'not-tls' || h.kind === 'too-large' || (h.kind === 'need-more' && final)) return close(`preread_${h.kind}`);
    }
    const d = selectRoute(l.routes, { client, dest: info.destination, hello: helloOf, final });
    if (d.kind === 'need-more') return;
    const h = helloOf();
    if (h.kind === 'ok') {
      if (h.sni !== undefined) info.sni = h.sni;
      info.alpn = h.alpn;
    }
    if (d.kind === 'none') return close('no_route');
    stop();
    dispatch(sock, rt, snap, info, ctl, d.route, buf);
  }
  sock.on('data', onData);
  sock.on('end', onEnd);
  sock.resume(); // accepted paused (pauseOnConnect)
  // Routes that need no bytes (client CIDR, default) decide at once: server-speaks-first works.
  if (!expectProxy) decide(false);
}

function dispatch(sock: Socket, rt: ListenerRuntime, snap: Snapshot, info: ConnInfo, ctl: ConnControl, route: Route, first: Buffer): void {
  info.route = route.index;
  if (route.handler.kind === 'close') {
    info.reason = 'route_close';
    sock.destroy();
    return;
  }
  const group = snap.groups.get(route.handler.upstream)!;
  proxyConnection(sock, rt, snap, info, ctl, group, first).catch((err: unknown) => internalError(rt, info, err, sock));
}

function logConnection(rt: ListenerRuntime, info: ConnInfo, bytesIn: number, bytesOut: number): void {
  const r = info.reason, colon = r.indexOf(':');
  rt.metrics.connections.inc2(rt.name, colon < 0 ? r : r.slice(0, colon));
  rt.metrics.bytes.inc2(rt.name, 'in', bytesIn);
  rt.metrics.bytes.inc2(rt.name, 'out', bytesOut);
  if (!rt.log.isLevelEnabled('info')) return; // skip building the line when access logs are off
  rt.log.info(
    {

      client: `${info.client.address}:${info.client.port}`,
      proxied_client: info.proxied ? `${info.proxied.address}:${info.proxied.port}` : undefined,
      // tproxy: where the client was going (the accepted socket's local address).
      original_dst: rt.snapshot.listener.tproxy ? `${info.destination.address}:${info.destination.port}` : undefined,
      sni: info.sni,
      alpn: info.alpn?.length ? info.alpn.join(',') : undefined,
      route: info.route,
      upstream: info.upstream,
      bytes_in: bytesIn,
      bytes_out: bytesOut,
      duration_ms: Date.now() - info.start,
      reason: info.reason,
    },
    'connection',
  );
}
