// A bound UDP address, split into per-client sessions (caddy-l4 / nginx stream
// style): the first datagram from a client address picks a route and an upstream
// server and opens a connected socket to it; replies on that socket go back to
// the client. Sessions end after idle_timeout without traffic either way.
// PROXY v2 over UDP follows go-mmproxy: a header in front of every datagram.
// The sockets themselves are listen/udp-transport.ts (the engine's batched
// ones, or node:dgram).
import type { HostPort } from '@geoedge/shared';
import { addressOf, noteInternalError, type ConnInfo } from '../conn-info.js';
import { buildProxyHeader } from '../handlers/proxy-header-out.js';
import { selectRoute } from '../route.js';
import { decodeProxyHeader, headerAddresses } from '../wire/proxy-header.js';
import type { UpstreamGroup } from '../upstream/group.js';
import type { UpstreamServer } from '../upstream/server.js';
import { addClient, removeClient, type ListenerRuntime } from './runtime.js';
import type { BoundSocket } from './tcp.js';
import { createTransport, type From, type TproxyOptions, type Transport, type UpSocket } from './udp-transport.js';
import { listenerPrepare, logListening, needsNative } from './listener-socket.js';
import { upstreamUdpFd } from '../upstream/upstream-socket.js';

interface Session {
  info: ConnInfo;
  up: UpSocket;
  server: UpstreamServer;
  group: UpstreamGroup;
  header?: Buffer;
  last: number;
  bytesIn: number;
  bytesOut: number;
  idleMs: number;
  destroy(): void;
}

const NOT_TLS = { kind: 'not-tls', reason: 'udp' } as const;

/** What the transport needs for tproxy and socket options (undefined: a plain listener); createTransport refuses them without the engine. */
function tproxyOptions(rt: ListenerRuntime): TproxyOptions | undefined {
  const l = rt.snapshot.listener;
  if (!needsNative(l)) return undefined;
  if (!rt.dataPlane) return {};
  const o: TproxyOptions = { prepare: listenerPrepare(rt.dataPlane.libc, l)!, origDst: l.tproxy };
  if (rt.transparent) o.transparent = rt.transparent;
  return o;
}

export function createUdpBound(hp: HostPort, rt: ListenerRuntime): BoundSocket {
  const drop = (reason: string) => rt.metrics.errors.inc([rt.name, reason]);
  let sock: Transport;
  try {
    sock = createTransport(hp, rt.dataPlane, drop, tproxyOptions(rt));
  } catch (err) {
    // tproxy or socket options without the engine: this address cannot be bound (start says why).
    const message = (err as Error).message;
    return { key: `udp ${hp.host} ${hp.port}`, start: () => Promise.reject(new Error(message)), close: async () => {}, address: () => undefined };
  }
  const sessions = new Map<string, Session>();
  let sweeper: NodeJS.Timeout | undefined;
  let closing = false;

  /** One datagram; an exception on its path drops it (counted, logged), never the listener or the data plane. */
  function onMessage(msg: Buffer, from: From) {
    try {
      onDatagram(msg, from);
    } catch (err) {
      drop('internal_error');
      noteInternalError(rt, err, false);
    }
  }

  function onDatagram(msg: Buffer, from: From) {
    let key = sock.key(from);
    const l = rt.snapshot.listener;
    let payload = msg;
    let proxied: ConnInfo['proxied'];
    let destination: ConnInfo['destination'] | undefined;
    if (l.proxyAccept) {
      if (!l.proxyAccept.trusted.has(sock.peer(from).address)) return drop('untrusted_proxy_source');
      const r = decodeProxyHeader(msg);
      if (r.kind !== 'ok') return drop(r.kind === 'error' ? r.code : 'proxy_header_incomplete');
      const named = headerAddresses(r.header);
      if (named) {
        proxied = named.source;
        destination = named.destination;
        // One trusted socket may carry many clients (dnsdist useProxyProtocol, a
        // PoP reusing a source port): a session per (socket, named client), as
        // go-mmproxy keys them. The table stays bounded by max_connections.
        key = `${key}|${proxied.address}|${proxied.port}`;
      }
      payload = msg.subarray(r.length);
    }
    const s = sessions.get(key) ?? (closing ? undefined : openSession(key, from, proxied, destination));
    if (!s) return;
    s.last = Date.now();
    s.bytesIn += payload.length;
    s.up.send(s.header ? [s.header, payload] : [payload]);
  }

  function openSession(key: string, from: From, proxied: ConnInfo['proxied'], destination: ConnInfo['destination'] | undefined): Session | undefined {
    const snap = rt.snapshot;
    const l = snap.listener;
    const peer = sock.peer(from);
    const info: ConnInfo = { start: Date.now(), client: addressOf(peer.address, peer.port), destination: destination ?? sock.destination(from) ?? localAddress(), reason: 'idle_timeout' };
    if (proxied) info.proxied = proxied;
    const clientIp = (proxied ?? info.client).address;
    if (rt.open.size >= l.maxConnections) return void drop('limit_total');
    const d = selectRoute(l.routes, { client: clientIp, dest: info.destination, hello: () => NOT_TLS, final: true });
    if (d.kind !== 'route' || d.route.handler.kind === 'close') return void drop('no_route');
    const group = snap.groups.get(d.route.handler.upstream)!;
    const server = group.pick(clientIp, new Set(), Date.now(), info.destination);
    if (!server) return void drop('no_upstream');
    info.route = d.route.index;
    info.upstream = server.cfg.address;
    // Built before anything is counted or opened: nothing to undo if it throws.
    const header = buildProxyHeader(group.cfg, info, 'udp');
    if (!addClient(rt, clientIp, l.maxPerClient)) return void drop('limit_per_client');
    info.counted = clientIp;
    server.active++;
    let fd: number | undefined;
    if (group.cfg.transparent) {
      // Transparent: the session socket is bound to the client's address and port (IP_TRANSPARENT).
      const src = proxied ?? info.client;
      const t = rt.transparent ? rt.transparent(src, src.family, 'udp') : { ok: false as const, message: 'transparent mode is not available' };
      if (!t.ok) {
        server.active--;
        removeClient(rt, clientIp);
        rt.log.warn({ upstream: server.cfg.address, err: t.message }, 'transparent UDP session failed');
        return void drop('transparent_failed');
      }
      fd = t.fd;
    }
    if (group.cfg.socket) {
      const o = upstreamUdpFd(rt, group.cfg, server, fd);
      if (!o.ok) {
        server.active--;
        removeClient(rt, clientIp);
        rt.log.warn({ upstream: server.cfg.address, err: o.message }, 'upstream socket options failed');
        return void drop('socket_options_failed');
      }
      fd = o.fd;
    }
    const s: Session = {
      info, server, group, last: Date.now(), bytesIn: 0, bytesOut: 0, idleMs: l.idleTimeoutMs,
      up: sock.upstream(server.cfg.host, server.cfg.port, fd, from, {
        reply(bytes) {
          s.last = Date.now();
          s.bytesOut += bytes;
        },
        error(code) {
          // ECONNREFUSED here is the ICMP port unreachable of a connected socket: passive health.
          if (server.failed(Date.now(), group.cfg.maxFails, group.cfg.failTimeoutMs)) rt.log.warn({ upstream: server.cfg.address }, 'upstream server marked down');
          rt.metrics.upstreamFailures.inc([group.cfg.name, server.cfg.address]);
          info.reason = `upstream_error:${code}`;
          close(key, s);
        },
      }),
      destroy: () => close(key, s),
    };
    if (header) s.header = header;
    sessions.set(key, s);
    rt.open.add(s);
    return s;
  }

  function close(key: string, s: Session) {
    if (sessions.get(key) !== s) return;
    sessions.delete(key);
    rt.open.delete(s);
    s.server.active--;
    if (s.info.counted) removeClient(rt, s.info.counted);
    s.up.close();
    const i = s.info;
    rt.metrics.connections.inc([rt.name, i.reason.split(':')[0]!]);
    rt.metrics.bytes.inc([rt.name, 'in'], s.bytesIn);
    rt.metrics.bytes.inc([rt.name, 'out'], s.bytesOut);
    rt.log.info({
      protocol: 'udp', client: `${i.client.address}:${i.client.port}`,
      proxied_client: i.proxied ? `${i.proxied.address}:${i.proxied.port}` : undefined,
      original_dst: rt.snapshot.listener.tproxy ? `${i.destination.address}:${i.destination.port}` : undefined,
      route: i.route, upstream: i.upstream, bytes_in: s.bytesIn, bytes_out: s.bytesOut,
      duration_ms: Date.now() - i.start, reason: i.reason,
    }, 'session');
  }

  function localAddress(): ConnInfo['destination'] {
    const a = sock.address();
    return addressOf(a?.address, a?.port);
  }

  function sweep() {
    const now = Date.now();
    for (const [key, s] of sessions) if (now - s.last >= s.idleMs) close(key, s);
  }

  return {
    key: `udp ${hp.host} ${hp.port}`,
    async start() {
      await sock.bind(onMessage, (err) => rt.log.error({ err }, 'udp listener error'));
      const a = sock.address();
      if (a) logListening(rt, rt.dataPlane?.libc, sock.fd?.() ?? -1, a);
      // Sweep often enough that a session outlives its timeout by at most a quarter of it.
      const every = Math.max(50, Math.min(1000, rt.snapshot.listener.idleTimeoutMs / 4));
      sweeper = setInterval(sweep, every);
      sweeper.unref();
    },
    async close() {
      // The listening socket carries replies (and later datagrams) of live sessions:
      // stop opening new ones, and close the socket once the last session ends.
      closing = true;
      const finish = () => {
        if (sessions.size > 0) return;
        clearInterval(sweeper);
        sock.close();
      };
      clearInterval(sweeper);
      sweeper = setInterval(() => { sweep(); finish(); }, 100);
      sweeper.unref();
      finish();
    },
    address: () => sock.address(),
  };
}
