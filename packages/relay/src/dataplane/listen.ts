// The engine's accepting side: listening sockets (accept4(2) in batches), and
// a client's first bytes (PROXY header, ClientHello) read on its raw
// descriptor while its connection decides where it goes. The descriptor stays
// the engine's from accept to close.
import { errnoName } from '@geoedge/linux';
import { parseSockaddr, sockaddr } from '../net/sockaddr.js';
import type { ProxyAddress } from '../wire/proxy-types.js';
import type { AcceptOptions, ReadSink } from './plane.js';
import type { FdHandler, Loop } from './loop.js';
import {
  AF_INET, AF_INET6, EAGAIN, EPOLLIN, PEER_ENDING, ECONNABORTED, EINTR, EMFILE, ENFILE, IPPROTO_IPV6, IPPROTO_TCP, IPV6_V6ONLY,
  SO_REUSEADDR, SO_REUSEPORT, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_STREAM, SOL_SOCKET, TCP_NODELAY,
} from './linux.js';

/** Accepts per listener per event: a burst of new connections cannot stall the established ones. */
const ACCEPTS_PER_EVENT = 32;
/** The most one recv of a client's first bytes takes (a ClientHello is rarely above 2 KiB). */
const READ_CHUNK = 16 * 1024;

interface Listening extends AcceptOptions<number> {
  /** The listener's own address when it is not a wildcard: every connection's local address (no getsockname per accept). */
  local: ProxyAddress | undefined;
}

export class Acceptor implements FdHandler {
  private readonly listeners = new Map<number, Listening>();
  private readonly peerBuf = Buffer.alloc(28);
  private readonly peerLen = Buffer.alloc(4);
  private readonly nameBuf = Buffer.alloc(28);
  private readonly nameLen = Buffer.alloc(4);
  private readonly one = Buffer.alloc(4);

  constructor(private readonly loop: Loop) {
    this.one.writeInt32LE(1);
  }

  /** Binds and listens on an IP literal; accepted sockets (non-blocking, TCP_NODELAY) go to onAccept. */
  listen(host: string, port: number, o: AcceptOptions<number>): { ok: true; fd: number; address: ProxyAddress } | { ok: false; message: string } {
    const c = this.loop.c;
    const sa = sockaddr(host, port);
    if (!sa) return { ok: false, message: `not an IP address: ${host}` };
    const v6 = sa.length === 28;
    const fd = c.socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) as number;
    if (fd < 0) return { ok: false, message: `socket: ${errnoName(c.errno())}` };
    const fail = (what: string) => { const e = c.errno(); c.close(fd); return { ok: false as const, message: `${what} ${errnoName(e)} ${host}:${port}` }; };
    c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, this.one, 4);
    if (o.reusePort && c.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, this.one, 4) < 0) return fail('setsockopt(SO_REUSEPORT)');
    // Like nginx: "[::]:443" and "0.0.0.0:443" can both be listed.
    if (v6 && c.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, this.one, 4) < 0) return fail('setsockopt(IPV6_V6ONLY)');
    // Accepted sockets inherit it: no setsockopt per connection.
    c.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, this.one, 4);
    const refused = o.prepare?.(fd, v6);
    if (refused !== undefined) { c.close(fd); return { ok: false, message: `${refused} ${host}:${port}` }; }
    if (c.bind(fd, sa, sa.length) < 0) return fail('bind');
    if (c.listen(fd, 4096) < 0) return fail('listen');
    const address = this.localAddress(fd);
    if (!address || !this.loop.addLevel(fd)) return fail('epoll_ctl');
    const perConnection = host === '0.0.0.0' || host === '::' || o.localPerConnection === true;
    this.listeners.set(fd, { reusePort: o.reusePort, onAccept: o.onAccept, onError: o.onError, local: perConnection ? undefined : address });
    this.loop.on(fd, this);
    return { ok: true, fd, address };
  }

  unlisten(fd: number): void {
    if (!this.listeners.delete(fd)) return;
    this.loop.off(fd);
    this.loop.c.close(fd); // also leaves the epoll set
  }

  localAddress(fd: number): ProxyAddress | undefined {
    this.nameLen.writeUInt32LE(28);
    if (this.loop.c.getsockname(fd, this.nameBuf, this.nameLen) < 0) return undefined;
    return parseSockaddr(this.nameBuf);
  }

  onEvent(lfd: number): void {
    const l = this.listeners.get(lfd);
    if (!l) return;
    const c = this.loop.c;
    for (let i = 0; i < ACCEPTS_PER_EVENT; i++) {
      this.peerLen.writeUInt32LE(28);
      const fd = c.accept4(lfd, this.peerBuf, this.peerLen, SOCK_NONBLOCK | SOCK_CLOEXEC) as number;
      if (fd < 0) {
        const e = c.errno();
        if (e === EAGAIN) return;
        if (e === ECONNABORTED || e === EINTR) continue;
        if (e === EMFILE || e === ENFILE) return this.pause(lfd, l, e);
        l.onError(`accept: ${errnoName(e)}`);
        return;
      }
      // The engine's sockets are IPv4 or IPv6-only: the peer needs no ::ffff: normalizing.
      const peer = parseSockaddr(this.peerBuf);
      l.onAccept(fd, peer, l.local ?? this.localAddress(fd) ?? peer);
    }
  }

  /**
   * Out of fds: stop accepting for a moment (nginx does the same), or the
   * level-triggered listener would spin. Connections wait in the backlog.
   */
  private pause(lfd: number, l: Listening, e: number): void {
    l.onError(`accept: ${errnoName(e)}; accepting again in 200 ms`);
    this.loop.del(lfd);
    this.loop.off(lfd);
    setTimeout(() => {
      if (this.listeners.get(lfd) !== l) return;
      if (this.loop.addLevel(lfd)) this.loop.on(lfd, this);
    }, 200).unref();
  }
}

/**
 * Reads accepted clients' first bytes into their connections' sinks. The
 * socket joins the epoll set edge-triggered (as it stays once relayed); every
 * flag it shows is remembered, so attach() knows of a FIN already read past.
 */
export class ClientReader implements FdHandler {
  private readonly sinks: Array<ReadSink | undefined> = [];
  /** The last read found the socket empty (short or EAGAIN) with no end flagged: attach need not read before an edge. */
  private readonly empty: boolean[] = [];
  private readonly buf = Buffer.allocUnsafeSlow(READ_CHUNK);
  private readonly bufAt: number;

  constructor(private readonly loop: Loop) {
    this.bufAt = Number(loop.c.addressOf(this.buf));
  }

  /** Starts (sink) or stops (undefined) delivering fd's bytes; false if epoll refuses the socket. */
  read(fd: number, sink: ReadSink | undefined): boolean {
    if (!sink) {
      if (this.sinks[fd] === undefined) return true;
      this.sinks[fd] = undefined;
      this.loop.off(fd);
      return true;
    }
    // Added now, an fd with bytes already queued gets its first event at the next wait.
    if (!this.loop.has(fd) && !this.loop.addEdge(fd)) return false;
    this.empty[fd] = false;
    this.sinks[fd] = sink;
    this.loop.on(fd, this);
    return true;
  }

  /** True once: fd's last read found it empty (see `empty`). */
  takeEmpty(fd: number): boolean {
    const e = this.empty[fd] === true;
    this.empty[fd] = false;
    return e;
  }

  onEvent(fd: number, flags: number): void {
    this.loop.remember(fd, flags);
    const c = this.loop.c;
    for (let sink = this.sinks[fd]; sink && this.sinks[fd] === sink;) {
      const n = Number(c.recvAt(fd, this.bufAt, READ_CHUNK, 0));
      if (n > 0) {
        // A short read emptied the socket (what came with this event is read): only a new edge says more.
        if (n < READ_CHUNK && !(flags & PEER_ENDING)) this.drained(fd);
        else this.empty[fd] = false;
        sink.onBytes(Buffer.from(this.buf.subarray(0, n)));
        continue;
      }
      const e = n === 0 ? 0 : c.errno();
      if (e === EAGAIN || e === EINTR) {
        if (!(flags & PEER_ENDING)) this.drained(fd);
        return;
      }
      this.read(fd, undefined);
      sink.onEnd(n === 0 ? undefined : `client_error:${errnoName(e)}`);
    }
  }

  private drained(fd: number): void {
    this.empty[fd] = true;
    this.loop.forget(fd, EPOLLIN);
  }
}
