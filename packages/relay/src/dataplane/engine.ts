// The TCP data plane after a route has decided: both sockets' fds leave Node
// and an epoll loop moves the bytes with read(2)/write(2) through one reused
// native buffer, as nginx stream does: no Buffer per chunk, no stream machinery
// per chunk (Node's pipe()), no Node socket for the upstream at all. With
// `splice: true`, a direction whose read fills the buffer switches to
// splice(2) (socket → pipe → socket, HAProxy's splice-auto); on loopback in a
// VM that measured slower than copying (the receiver gets page-fragment skbs),
// so it is off by default; it saves memory bandwidth on real NICs.
// One epoll set holds every socket, edge-triggered; Node's loop watches the
// set itself (see `watch` below). Small batches (MAX_EVENTS) keep the turns
// short, which measured a much shorter latency tail under load than big ones.
// Backpressure: a direction reads from its source only when what it read
// before has been written, so at most one buffer's worth (copied into the
// direction's `head`) or one pipe waits per direction.
import { watchFd } from '@geoedge/linux';
import { errnoName, loadLibc, type Libc } from '../native/libc.js';
import { parseSockaddr, sockaddr } from '../net/sockaddr.js';
import type { ProxyAddress } from '../wire/proxy-types.js';

const EPOLLIN = 0x1, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10, EPOLLRDHUP = 0x2000, EPOLLET = 0x80000000;
const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CLOEXEC = 0o2000000;
const SPLICE_F_MOVE = 1, SPLICE_F_NONBLOCK = 2;
const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000, F_DUPFD_CLOEXEC = 1030, F_SETPIPE_SZ = 1031;
const SHUT_WR = 1, SOL_SOCKET = 1, SO_ERROR = 4, MSG_NOSIGNAL = 0x4000;
const EAGAIN = 11, EINTR = 4, EINPROGRESS = 115, ECONNABORTED = 103, EMFILE = 24, ENFILE = 23;
const SO_REUSEADDR = 2, SO_REUSEPORT = 15, IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
/** Accepts per listener per event: a burst of new connections cannot stall the established ones. */
const ACCEPTS_PER_EVENT = 32;
const AF_INET = 2, AF_INET6 = 10, SOCK_STREAM = 1, SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000, IPPROTO_TCP = 6, TCP_NODELAY = 1;
/**
 * epoll_event is packed on x86_64 (12 bytes), naturally aligned on arm64 and
 * 32-bit ARM EABI (16, data at 8); ia32 and anything else are refused (the
 * engine does not start, TCP moves through Node streams) rather than guessed.
 */
const EPOLL_ARCHES = ['x64', 'arm64', 'arm'];
const EV_STRIDE = process.arch === 'x64' ? 12 : 16;
const EV_DATA = process.arch === 'x64' ? 4 : 8;
/** The same in 32-bit words: events and fds are read through a Uint32Array (no Buffer method's argument checks per event). */
const EV_WORDS = EV_STRIDE / 4, EV_FD = EV_DATA / 4;
const MAX_EVENTS = 16;
const PIPE_BYTES = 1 << 20;
const POOL_MAX = 256;
/** 64 KiB measured far slower than 128 or 256 on loopback (iperf3); nginx reads 16 KiB. */
const SCRATCH = 256 * 1024;

export interface PlaneStats {
  /** Bytes written to the upstream after the hand-over (without the head). */
  toUpstream: number;
  toClient: number;
  reason: string;
}

/** Hears how a connectTo() ended, once, from the loop. */
export interface ConnectWaiter {
  /** `fd` connected (failure undefined), or the failure's text and fd -1 (the socket is closed). */
  connected(fd: number, failure: string | undefined): void;
}

export interface PlaneOptions {
  /** The client fd is the engine's already (accepted by it): no copy is taken. */
  ownClient?: boolean;
  /** Written to the upstream before anything spliced from the client (PROXY header, preread bytes). */
  headToUpstream?: Buffer | undefined;
  idleMs: number;
  /** Called as a method of the options object (the owner may pass itself: no closure per connection). */
  onClose(stats: PlaneStats): void;
}

export interface PlaneConn {
  /** Closes both sockets now (drain deadline); onClose runs with this reason. */
  destroy(reason: string): void;
}


/** Sets options on a new socket before bind (tproxy, socket options: native/sockopts.ts); a failure's text, or undefined. */
export type Prepare = (fd: number, v6: boolean) => string | undefined;

export interface Listener {
  onAccept(fd: number, peer: ProxyAddress): void;
  onError(message: string): void;
}

export interface DataPlane {
  /**
   * Takes the upstream fd, which must come from connect(), and the client fd:
   * itself with `ownClient` (accepted by the engine), else a copy (the caller
   * closes its own); undefined if the copy fails (the upstream fd is then closed).
   */
  attach(clientFd: number, upstreamFd: number, o: PlaneOptions): PlaneConn | undefined;
  /**
   * Non-blocking connect of a new TCP socket (or of `fd`, made by the
   * transparent connector) to `sa`, without a Node socket, a promise or a timer
   * per connect: the waiter hears the outcome later; a failure at once
   * (socket(), connect(), epoll_ctl()) is returned as its text instead.
   */
  connectTo(sa: Buffer, timeoutMs: number, w: ConnectWaiter, fd?: number): string | undefined;
  /** Closes a connected fd that was not attached. */
  closeFd(fd: number): void;
  /**
   * Binds and listens on an IP literal (reusePort in cluster workers, which
   * each bind their own socket); accepted sockets (non-blocking, TCP_NODELAY)
   * go to onAccept until unlisten().
   */
  listen(host: string, port: number, o: Listener & { reusePort: boolean; prepare?: Prepare }):
    { ok: true; fd: number; address: ProxyAddress } | { ok: false; message: string };
  unlisten(fd: number): void;
  /** The local address of a socket (getsockname). */
  localAddress(fd: number): ProxyAddress | undefined;
  /**
   * Calls onReadable from the loop while `fd` is readable (level-triggered, in
   * the same epoll set: the UDP sockets of dataplane/udp.ts); false if epoll refuses it.
   */
  watch(fd: number, onReadable: () => void): boolean;
  /** Stops watching `fd` (before the caller closes it). */
  unwatch(fd: number): void;
  /**
   * A liveness probe through the engine's own loop (epoll set, uv_poll watch,
   * handler): `poke()` writes a byte to a pipe in the set, and the loop stamps
   * `answeredAt` when it reads it. /healthz compares the two (liveness.ts).
   */
  probe(): { poke(): void; readonly pokedAt: number; readonly answeredAt: number; close(): void } | undefined;
  /** Test hook (EDGE_RELAY_TEST_HOOKS=1, SIGUSR2): the loop takes no events for `ms`, as a wedged engine. */
  stall(ms: number): void;
  readonly libc: Libc;
}

interface Dir {
  src: number;
  dst: number;
  srcSide: 'client' | 'upstream';
  pipe: [number, number] | undefined;
  pending: number;
  head: Buffer | undefined;
  /** True while `head` holds bytes copied from src (counted when written). */
  headCounts: boolean;
  /** Spliced (bulk) rather than copied. */
  bulk: boolean;
  eof: boolean;
  shut: boolean;
  bytes: number;
  /**
   * The last read returned less than asked: the socket is empty until its next
   * EPOLLIN edge, so no read just to see EAGAIN (nginx's rule). Not once the
   * peer's FIN is flagged (EPOLLRDHUP): the end must still be read.
   */
  drained: boolean;
  rdhup: boolean;
  /**
   * EPOLLRDHUP alone (a FIN, no reset): every byte before it is queued, so a
   * read shorter than asked has reached the end: no read just to see the 0.
   */
  fin: boolean;
}

let engine: DataPlane | undefined;

/** The process's engine (options of the first call win); throws where koffi/libc cannot be loaded. */
export function dataPlane(o: { splice: boolean; onError?: (err: unknown) => void }): DataPlane {
  return (engine ??= createEngine(loadLibc(), o.splice, o.onError ?? ((err) => { process.emitWarning(`data plane: ${(err as Error).stack ?? err}`); })));
}

/** `onError` hears exceptions thrown by the handlers the loop calls (bugs); the loop goes on. */
function createEngine(c: Libc, splice: boolean, onError: (err: unknown) => void): DataPlane {
  if (!EPOLL_ARCHES.includes(process.arch)) throw new Error(`the epoll_event layout is known for ${EPOLL_ARCHES.join(', ')} only, not ${process.arch}`);
  const ep = c.epollCreate1(EPOLL_CLOEXEC) as number;
  if (ep < 0) throw new Error(`epoll_create1 failed, errno ${c.errno()}`);
  const events = new Uint32Array(MAX_EVENTS * EV_WORDS);
  const eventsAt = c.addressOf(Buffer.from(events.buffer));
  const byFd: Array<Conn | undefined> = [];
  /** Sockets between connect() and its outcome, with their deadlines (by fd). */
  const connecting = new Map<number, ConnectWaiter>();
  const deadlineOf: number[] = [], timeoutOf: number[] = [];
  /**
   * Connected upstream sockets not attached yet, by fd: the epoll flags seen
   * since the connect finished (-1: none parked). The connect's own event may
   * already say readable and peer-closed (a backend that answers and closes at
   * once); edge-triggered, it never comes again, so attach() applies them.
   */
  const parked: number[] = [];
  /** One timer for every pending connect, due at the earliest deadline. */
  let connectTimer: NodeJS.Timeout | undefined;
  let connectTimerAt = Infinity;
  const listeners = new Map<number, Listener>();
  const peerBuf = Buffer.alloc(28), peerLen = Buffer.alloc(4);
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  const conns = new Set<Conn>();
  const pool: Array<[number, number]> = [];
  /** One epoll_event for epoll_ctl; the data word holds the fd (the rest stays 0). */
  const ev32 = new Uint32Array(4);
  const ev = Buffer.from(ev32.buffer);
  const pipeFds = Buffer.alloc(8);
  const errBuf = Buffer.alloc(4), lenBuf = Buffer.alloc(4);
  const scratch = Buffer.allocUnsafeSlow(SCRATCH);
  const scratchAt = Number(c.addressOf(scratch)); // user-space addresses fit in 2^53
  let batch = 0;
  let now = Date.now();
  let sweeper: NodeJS.Timeout | undefined;

  // A class rather than an object literal with a destroy closure: short
  // connections are what this path is measured by, and each allocation counts.
  class Conn implements PlaneConn {
    closed = false;
    seen = 0;
    last = now;
    constructor(readonly a: number, readonly b: number, readonly ab: Dir, readonly ba: Dir, readonly idleMs: number, readonly owner: PlaneOptions) {}
    destroy(reason: string) { close(this, reason); }
  }

  const register = (fd: number): boolean => {
    ev32[0] = (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) >>> 0;
    ev32[EV_FD] = fd;
    return c.epollCtl(ep, EPOLL_CTL_ADD, fd, ev) === 0;
  };

  const borrowPipe = (): [number, number] | undefined => {
    const p = pool.pop();
    if (p) return p;
    if (c.pipe2(pipeFds, O_NONBLOCK | O_CLOEXEC) < 0) return undefined;
    const made: [number, number] = [pipeFds.readInt32LE(0), pipeFds.readInt32LE(4)];
    c.fcntl(made[1], F_SETPIPE_SZ, PIPE_BYTES); // failure keeps the default 64 KiB
    return made;
  };
  const returnPipe = (d: Dir) => {
    const p = d.pipe!;
    d.pipe = undefined;
    // A pipe with bytes in it belongs to a dead connection: never reuse it.
    if (d.pending === 0 && pool.length < POOL_MAX) pool.push(p);
    else { c.close(p[0]); c.close(p[1]); }
  };

  const fail = (k: Conn, side: 'client' | 'upstream', errno: number) => close(k, `${side}_error:${errnoName(errno)}`);

  /** Moves what can move in one direction; false when the connection was closed. */
  const pumpDir = (k: Conn, d: Dir): boolean => {
    for (;;) {
      if (d.head) {
        const n = Number(c.send(d.dst, d.head, d.head.length, MSG_NOSIGNAL));
        if (n < 0) {
          const e = c.errno();
          if (e === EAGAIN || e === EINTR) return true;
          fail(k, d.srcSide === 'client' ? 'upstream' : 'client', e);
          return false;
        }
        if (d.headCounts) d.bytes += n;
        d.head = n === d.head.length ? undefined : d.head.subarray(n);
        if (!d.head) d.headCounts = false;
        k.last = now;
        continue;
      }
      if (d.pending > 0) {
        const n = Number(c.splice(d.pipe![0], null, d.dst, null, d.pending, SPLICE_F_MOVE | SPLICE_F_NONBLOCK));
        if (n < 0) {
          const e = c.errno();
          if (e === EAGAIN || e === EINTR) return true;
          fail(k, d.srcSide === 'client' ? 'upstream' : 'client', e);
          return false;
        }
        d.pending -= n;
        d.bytes += n;
        k.last = now;
        if (d.pending === 0 && d.eof) returnPipe(d);
        continue;
      }
      if (d.eof) {
        if (!d.shut) {
          d.shut = true;
          if (d.pipe) returnPipe(d);
          // Half-close: the other direction keeps flowing. If it is done too, both
          // sockets close next and close(2) sends this FIN: one syscall fewer per connection.
          const other = d === k.ab ? k.ba : k.ab;
          if (!other.shut) c.shutdown(d.dst, SHUT_WR);
        }
        return true;
      }
      if (d.drained) return true;
      if (!d.bulk) {
        const n = Number(c.recvAt(d.src, scratchAt, SCRATCH, 0));
        if (n > 0) {
          let end = false;
          if (n === SCRATCH && splice) d.bulk = true; // small traffic never pays for a pipe
          else if (n < SCRATCH) {
            if (d.fin) end = true;
            else if (!d.rdhup) d.drained = true;
          }
          const w = Number(c.sendAt(d.dst, scratchAt, n, MSG_NOSIGNAL));
          if (w < 0) {
            const e = c.errno();
            if (e !== EAGAIN && e !== EINTR) { fail(k, d.srcSide === 'client' ? 'upstream' : 'client', e); return false; }
            d.head = Buffer.from(scratch.subarray(0, n));
          } else if (w < n) d.head = Buffer.from(scratch.subarray(w, n));
          if (w > 0) d.bytes += w;
          d.headCounts = true;
          k.last = now;
          if (end) d.eof = true;
          continue;
        }
        if (n === 0) { d.eof = true; continue; }
        const e = c.errno();
        if (e === EAGAIN || e === EINTR) return true;
        fail(k, d.srcSide, e);
        return false;
      }
      d.pipe ??= borrowPipe();
      if (!d.pipe) {
        close(k, 'pipe_failed');
        return false;
      }
      const n = Number(c.splice(d.src, null, d.pipe[1], null, PIPE_BYTES, SPLICE_F_MOVE | SPLICE_F_NONBLOCK));
      if (n > 0) {
        d.pending = n;
        k.last = now;
        continue;
      }
      if (n === 0) {
        d.eof = true;
        continue;
      }
      const e = c.errno();
      if (e === EAGAIN || e === EINTR) {
        returnPipe(d); // nothing in flight: an idle direction holds no pipe
        return true;
      }
      fail(k, d.srcSide, e);
      return false;
    }
  };

  const pump = (k: Conn) => {
    if (!pumpDir(k, k.ab) || !pumpDir(k, k.ba)) return;
    if (k.ab.shut && k.ba.shut) close(k, 'done');
  };

  const close = (k: Conn, reason: string) => {
    if (k.closed) return;
    k.closed = true;
    if (k.ab.pipe) returnPipe(k.ab);
    if (k.ba.pipe) returnPipe(k.ba);
    byFd[k.a] = undefined;
    byFd[k.b] = undefined;
    c.close(k.a);
    c.close(k.b);
    conns.delete(k);
    if (conns.size === 0 && sweeper) { clearInterval(sweeper); sweeper = undefined; }
    k.owner.onClose({ toUpstream: k.ab.bytes, toClient: k.ba.bytes, reason });
    arm();
  };

  const watched = new Map<number, () => void>();
  const idle = () => conns.size === 0 && connecting.size === 0 && listeners.size === 0 && watched.size === 0;

  const acceptSome = (lfd: number, l: Listener) => {
    for (let i = 0; i < ACCEPTS_PER_EVENT; i++) {
      peerLen.writeUInt32LE(28);
      const fd = c.accept4(lfd, peerBuf, peerLen, SOCK_NONBLOCK | SOCK_CLOEXEC) as number;
      if (fd < 0) {
        const e = c.errno();
        if (e === EAGAIN) return;
        if (e === ECONNABORTED || e === EINTR) continue;
        if (e === EMFILE || e === ENFILE) {
          // Out of fds: stop accepting for a moment (nginx does the same), or the
          // level-triggered listener would spin. Connections wait in the backlog.
          l.onError(`accept: ${errnoName(e)}; accepting again in 200 ms`);
          c.epollCtl(ep, EPOLL_CTL_DEL, lfd, ev);
          setTimeout(() => { if (listeners.get(lfd) === l) { registerListener(lfd); arm(); } }, 200).unref();
          return;
        }
        l.onError(`accept: ${errnoName(e)}`);
        return;
      }
      l.onAccept(fd, parseSockaddr(peerBuf)); // TCP_NODELAY comes from the listener (Linux copies it to accepted sockets)
    }
  };
  const registerListener = (fd: number): boolean => {
    ev32[0] = EPOLLIN; // level-triggered: accepting stops at ACCEPTS_PER_EVENT and resumes next poll
    ev32[EV_FD] = fd;
    return c.epollCtl(ep, EPOLL_CTL_ADD, fd, ev) === 0;
  };
  const nameBuf = Buffer.alloc(28), nameLen = Buffer.alloc(4);
  const localAddress = (fd: number): ProxyAddress | undefined => {
    nameLen.writeUInt32LE(28);
    if (c.getsockname(fd, nameBuf, nameLen) < 0) return undefined;
    return parseSockaddr(nameBuf);
  };

  const socketError = (fd: number): number => {
    lenBuf.writeUInt32LE(4);
    if (c.getsockopt(fd, SOL_SOCKET, SO_ERROR, errBuf, lenBuf) < 0) return c.errno();
    return errBuf.readInt32LE(0);
  };

  /** Handles n ready events. */
  const handle = (n: number) => {
    batch++;
    now = Date.now();
    // An exception from a handler (a bug) must not lose the rest of the batch:
    // with edge-triggered sockets, an event not handled now never comes again.
    for (let i = 0; i < n;) {
      try {
        for (; i < n; i++) event(i * EV_WORDS);
      } catch (err) {
        i++;
        onError(err);
      }
    }
  };

  const event = (off: number) => {
    const fd = events[off + EV_FD]!;
    const k = byFd[fd];
    if (!k) {
      const w = connecting.get(fd);
      if (w) {
        // Writable without an error flag is a completed connect: no SO_ERROR read needed.
        const f = events[off]!;
        const e = f & EPOLLOUT && !(f & (EPOLLERR | EPOLLHUP)) ? 0 : socketError(fd);
        if (e === 0) parked[fd] = f;
        connectDone(fd, w, e === 0 ? undefined : `connect: ${errnoName(e)}`);
        return;
      }
      const l = listeners.get(fd);
      if (l) { acceptSome(fd, l); return; }
      const onReadable = watched.get(fd);
      if (onReadable) { onReadable(); return; }
      const p = parked[fd];
      if (p !== undefined && p >= 0) parked[fd] = p | events[off]!;
      return;
    }
    if (k.closed) return;
    const flags = events[off]!;
    // A second event of this batch pumps again only if it woke a drained direction.
    let woke = false;
    if (flags & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      const d = fd === k.a ? k.ab : k.ba;
      woke = d.drained;
      d.drained = false;
      if (flags & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) d.rdhup = true;
      if ((flags & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) === EPOLLRDHUP) d.fin = true;
    }
    // Pump first even on EPOLLERR: bytes that came before a reset are still
    // readable and belong to the other side.
    if (k.seen !== batch || woke) {
      k.seen = batch;
      pump(k);
    }
    if (!k.closed && flags & EPOLLERR) {
      const e = socketError(fd);
      if (e !== 0) fail(k, fd === k.a ? 'client' : 'upstream', e);
    }
  };

  // Node's own loop waits for our events: the epoll fd sits in libuv's epoll
  // set (uv_poll, native/libc.ts), so an event wakes the main thread directly
  // and runs one batch as a callback of Node's loop, between its other
  // callbacks. uv_poll is level-triggered: while more than a batch is ready,
  // the next loop turn calls again. (The earlier design, a libuv pool thread
  // blocking in epoll_wait, cost two thread wake-ups per quiet→busy edge.)
  // Watching stops when the engine holds nothing, so it keeps no process alive.
  let stalledUntil = 0;
  const watch = watchFd(ep, () => {
    if (stalledUntil !== 0) {
      if (Date.now() < stalledUntil) return;
      stalledUntil = 0;
    }
    try {
      const m = c.epollWait(ep, eventsAt, MAX_EVENTS, 0) as number;
      if (m > 0) handle(m);
    } catch (err) {
      onError(err);
    }
    arm();
  });
  let watching = false;
  const arm = () => {
    const want = !idle();
    if (want === watching) return;
    watching = want;
    if (want) watch.start();
    else watch.stop();
  };

  const sweep = () => {
    const t = Date.now();
    for (const k of conns) if (t - k.last >= k.idleMs) close(k, 'idle_timeout');
  };

  const connectDone = (fd: number, w: ConnectWaiter, failure: string | undefined) => {
    connecting.delete(fd);
    if (failure !== undefined) { c.close(fd); arm(); }
    w.connected(failure === undefined ? fd : -1, failure);
  };
  const expireConnects = () => {
    connectTimer = undefined;
    connectTimerAt = Infinity;
    const t = Date.now();
    let next = Infinity;
    for (const [fd, w] of connecting) {
      const d = deadlineOf[fd]!;
      if (d <= t) connectDone(fd, w, `connect timeout after ${timeoutOf[fd]} ms`);
      else if (d < next) next = d;
    }
    if (next < Infinity) armConnectTimer(next);
  };
  const armConnectTimer = (deadline: number) => {
    if (deadline >= connectTimerAt) return;
    if (connectTimer) clearTimeout(connectTimer);
    connectTimerAt = deadline;
    // Unref'd: a pending connect keeps the loop alive through the engine's uv_poll watch.
    connectTimer = setTimeout(expireConnects, Math.max(1, deadline - Date.now())).unref();
  };

  const connectTo = (sa: Buffer, timeoutMs: number, w: ConnectWaiter, given?: number): string | undefined => {
    const fd = given ?? (c.socket(sa.length === 16 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) as number);
    if (fd < 0) return `socket: ${errnoName(c.errno())}`;
    c.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, one, 4);
    if (c.connect(fd, sa, sa.length) < 0) {
      const e = c.errno();
      if (e !== EINPROGRESS) { c.close(fd); return `connect: ${errnoName(e)}`; }
    }
    // The outcome is the first event on the socket (writable, or an error);
    // registered once, edge-triggered, and kept for the relayed connection.
    if (!register(fd)) { const e = c.errno(); c.close(fd); return `epoll_ctl: ${errnoName(e)}`; }
    const deadline = Date.now() + timeoutMs;
    deadlineOf[fd] = deadline;
    timeoutOf[fd] = timeoutMs;
    connecting.set(fd, w);
    armConnectTimer(deadline);
    arm();
    return undefined;
  };

  return {
    libc: c,
    connectTo,
    closeFd: (fd) => { parked[fd] = -1; c.close(fd); },
    localAddress,
    watch(fd, onReadable) {
      if (!registerListener(fd)) return false;
      watched.set(fd, onReadable);
      arm();
      return true;
    },
    unwatch(fd) {
      if (!watched.delete(fd)) return;
      c.epollCtl(ep, EPOLL_CTL_DEL, fd, ev);
      arm();
    },
    probe() {
      if (c.pipe2(pipeFds, O_NONBLOCK | O_CLOEXEC) < 0) return undefined;
      const [r, w] = [pipeFds.readInt32LE(0), pipeFds.readInt32LE(4)];
      const byte = Buffer.alloc(16);
      const p = {
        pokedAt: 0,
        answeredAt: 0,
        poke() { if (c.write(w, byte, 1) === 1) p.pokedAt = Date.now(); },
        close: () => { this.unwatch(r); c.close(r); c.close(w); },
      };
      if (!this.watch(r, () => { while (Number(c.read(r, byte, byte.length)) > 0); p.answeredAt = Date.now(); })) {
        c.close(r); c.close(w);
        return undefined;
      }
      return p;
    },
    stall(ms) {
      // Like a wedged loop: Node keeps turning, the engine's callback returns at once.
      stalledUntil = Date.now() + ms;
    },
    listen(host, port, o) {
      const sa = sockaddr(host, port);
      if (!sa) return { ok: false, message: `not an IP address: ${host}` };
      const v6 = sa.length === 28;
      const fd = c.socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) as number;
      if (fd < 0) return { ok: false, message: `socket: ${errnoName(c.errno())}` };
      const fail = (what: string) => { const e = c.errno(); c.close(fd); return { ok: false as const, message: `${what} ${errnoName(e)} ${host}:${port}` }; };
      c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4);
      if (o.reusePort && c.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, one, 4) < 0) return fail('setsockopt(SO_REUSEPORT)');
      // Like nginx: "[::]:443" and "0.0.0.0:443" can both be listed.
      if (v6 && c.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, one, 4) < 0) return fail('setsockopt(IPV6_V6ONLY)');
      // Accepted sockets inherit it: no setsockopt per connection.
      c.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, one, 4);
      const refused = o.prepare?.(fd, v6);
      if (refused !== undefined) { c.close(fd); return { ok: false, message: `${refused} ${host}:${port}` }; }
      if (c.bind(fd, sa, sa.length) < 0) return fail('bind');
      if (c.listen(fd, 4096) < 0) return fail('listen');
      const address = localAddress(fd);
      if (!address || !registerListener(fd)) return fail('epoll_ctl');
      listeners.set(fd, { onAccept: o.onAccept, onError: o.onError });
      arm();
      return { ok: true, fd, address };
    },
    unlisten(fd) {
      if (!listeners.delete(fd)) return;
      c.close(fd); // also leaves the epoll set
      arm();
    },
    attach(clientFd, upstreamFd, o) {
      const b = upstreamFd;
      const a = o.ownClient ? clientFd : (c.fcntl(clientFd, F_DUPFD_CLOEXEC, 0) as number);
      if (a < 0) { parked[b] = -1; c.close(b); return undefined; }
      const dir = (src: number, dst: number, srcSide: Dir['srcSide'], head: Buffer | undefined): Dir =>
        ({ src, dst, srcSide, pipe: undefined, pending: 0, head: head?.length ? head : undefined, headCounts: false, bulk: false, eof: false, shut: false, bytes: 0, drained: false, rdhup: false, fin: false });
      now = Date.now();
      const k = new Conn(a, b, dir(a, b, 'client', o.headToUpstream), dir(b, a, 'upstream', undefined), o.idleMs, o);
      const early = parked[b] ?? -1;
      parked[b] = -1;
      if (early > 0) {
        // What the upstream said since its connect: bytes, a FIN, an error (see `parked`).
        if (early & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) k.ba.rdhup = true;
        if ((early & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) === EPOLLRDHUP) k.ba.fin = true;
      }
      byFd[a] = k;
      byFd[b] = k;
      conns.add(k);
      if (!register(a)) {
        close(k, 'epoll_failed');
        return k;
      }
      sweeper ??= setInterval(sweep, 1000).unref();
      // Bytes may already wait on either socket (their edges came before the
      // registration): move them now, then wait.
      pump(k);
      if (!k.closed && early > 0 && early & EPOLLERR) {
        const e = socketError(b);
        if (e !== 0) fail(k, 'upstream', e);
      }
      arm();
      return k;
    },
  };
}
