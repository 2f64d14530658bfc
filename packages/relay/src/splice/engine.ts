// The TCP data plane after a route has decided: both sockets' fds leave Node and
// bytes move socket → pipe → socket with splice(2), never entering JavaScript
// (nginx stream and HAProxy copy through user space; Node's pipe() allocates a
// Buffer per chunk and runs stream machinery per chunk). One epoll set holds
// every spliced socket, edge-triggered; a libuv pool thread blocks in
// epoll_wait (koffi async call) and the main thread pumps the ready
// connections with non-blocking calls, then polls again without blocking while
// work keeps coming, so a busy relay rarely pays the pool-thread round trip.
// Backpressure is the pipe: a direction reads from its source only when its
// pipe is empty, so at most one pipe (PIPE_BYTES) is buffered per direction.
// Pipes are borrowed from a pool while a direction has bytes in flight, so an
// idle connection holds two fds and one small object.
import { errnoName, loadLibc, type Libc } from '../native/libc.js';

const EPOLLIN = 0x1, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLRDHUP = 0x2000, EPOLLET = 0x80000000;
const EPOLL_CTL_ADD = 1, EPOLL_CLOEXEC = 0o2000000;
const SPLICE_F_MOVE = 1, SPLICE_F_NONBLOCK = 2;
const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000, F_DUPFD_CLOEXEC = 1030, F_SETPIPE_SZ = 1031;
const SHUT_WR = 1, SOL_SOCKET = 1, SO_ERROR = 4;
const EAGAIN = 11, EINTR = 4;
/** epoll_event is packed on x86_64 (12 bytes), naturally aligned elsewhere (16). */
const EV_STRIDE = process.arch === 'x64' ? 12 : 16;
const EV_DATA = process.arch === 'x64' ? 4 : 8;
const MAX_EVENTS = 512;
const PIPE_BYTES = 1 << 20;
const POOL_MAX = 256;
/** Non-blocking polls in a row before handing the wait back to the pool thread. */
const SPIN = 4;
const WAIT_MS = 250;

export interface SpliceStats {
  /** Bytes written to the upstream after the hand-over (without the head). */
  toUpstream: number;
  toClient: number;
  reason: string;
}

export interface SpliceOptions {
  /** Written to the upstream before anything spliced from the client (PROXY header, preread bytes). */
  headToUpstream?: Buffer | undefined;
  headToClient?: Buffer | undefined;
  idleMs: number;
  onClose(stats: SpliceStats): void;
}

export interface SpliceConn {
  /** Closes both sockets now (drain deadline); onClose runs with this reason. */
  destroy(reason: string): void;
}

export interface SpliceEngine {
  /** Takes copies of both fds (the caller closes its own); false if the fds cannot be duplicated. */
  attach(clientFd: number, upstreamFd: number, o: SpliceOptions): SpliceConn | undefined;
  readonly open: number;
}

interface Dir {
  src: number;
  dst: number;
  srcSide: 'client' | 'upstream';
  pipe: [number, number] | undefined;
  pending: number;
  head: Buffer | undefined;
  eof: boolean;
  shut: boolean;
  bytes: number;
}

interface Conn extends SpliceConn {
  a: number;
  b: number;
  ab: Dir;
  ba: Dir;
  last: number;
  idleMs: number;
  closed: boolean;
  seen: number;
  onClose: SpliceOptions['onClose'];
}

let engine: SpliceEngine | undefined;

/** The process's engine; throws where koffi/libc cannot be loaded (callers fall back to pipe()). */
export function spliceEngine(): SpliceEngine {
  return (engine ??= createEngine(loadLibc()));
}

function createEngine(c: Libc): SpliceEngine {
  const ep = c.epollCreate1(EPOLL_CLOEXEC) as number;
  if (ep < 0) throw new Error(`epoll_create1 failed, errno ${c.errno()}`);
  const events = Buffer.alloc(MAX_EVENTS * EV_STRIDE);
  const eventsAt = c.addressOf(events);
  const byFd: Array<Conn | undefined> = [];
  const conns = new Set<Conn>();
  const pool: Array<[number, number]> = [];
  const ev = Buffer.alloc(16);
  const pipeFds = Buffer.alloc(8);
  const errBuf = Buffer.alloc(4), lenBuf = Buffer.alloc(4);
  let waiting = false;
  let batch = 0;
  let now = Date.now();
  let sweeper: NodeJS.Timeout | undefined;

  const register = (fd: number): boolean => {
    ev.fill(0);
    ev.writeUInt32LE((EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) >>> 0, 0);
    ev.writeUInt32LE(fd, EV_DATA);
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
        const n = Number(c.write(d.dst, d.head, d.head.length));
        if (n < 0) {
          const e = c.errno();
          if (e === EAGAIN || e === EINTR) return true;
          fail(k, d.srcSide === 'client' ? 'upstream' : 'client', e);
          return false;
        }
        d.head = n === d.head.length ? undefined : d.head.subarray(n);
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
          c.shutdown(d.dst, SHUT_WR); // half-close: the other direction keeps flowing
        }
        return true;
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
    for (const d of [k.ab, k.ba]) if (d.pipe) returnPipe(d);
    byFd[k.a] = undefined;
    byFd[k.b] = undefined;
    c.close(k.a);
    c.close(k.b);
    conns.delete(k);
    if (conns.size === 0 && sweeper) { clearInterval(sweeper); sweeper = undefined; }
    k.onClose({ toUpstream: k.ab.bytes, toClient: k.ba.bytes, reason });
  };

  const socketError = (fd: number): number => {
    lenBuf.writeUInt32LE(4);
    if (c.getsockopt(fd, SOL_SOCKET, SO_ERROR, errBuf, lenBuf) < 0) return c.errno();
    return errBuf.readInt32LE(0);
  };

  /** Handles n ready events; the count of connections touched. */
  const handle = (n: number) => {
    batch++;
    now = Date.now();
    for (let i = 0; i < n; i++) {
      const off = i * EV_STRIDE;
      const fd = events.readUInt32LE(off + EV_DATA);
      const k = byFd[fd];
      if (!k || k.closed) continue;
      // Pump first even on EPOLLERR: bytes that came before a reset are still
      // readable and belong to the other side.
      if (k.seen !== batch) {
        k.seen = batch;
        pump(k);
      }
      if (!k.closed && events.readUInt32LE(off) & EPOLLERR) {
        const e = socketError(fd);
        if (e !== 0) fail(k, fd === k.a ? 'client' : 'upstream', e);
      }
    }
  };

  const onWait = (err: unknown, n: number) => {
    waiting = false;
    if (!err && n > 0) {
      handle(n);
      // While work keeps coming, poll from here: no pool-thread round trip.
      for (let i = 0; i < SPIN; i++) {
        const m = c.epollWait(ep, eventsAt, MAX_EVENTS, 0) as number;
        if (m <= 0) break;
        handle(m);
      }
    }
    arm();
  };
  const arm = () => {
    if (waiting || conns.size === 0) return;
    waiting = true;
    c.epollWait.async(ep, eventsAt, MAX_EVENTS, WAIT_MS, onWait);
  };

  const sweep = () => {
    const t = Date.now();
    for (const k of conns) if (t - k.last >= k.idleMs) close(k, 'idle_timeout');
  };

  return {
    get open() { return conns.size; },
    attach(clientFd, upstreamFd, o) {
      const a = c.fcntl(clientFd, F_DUPFD_CLOEXEC, 0) as number;
      if (a < 0) return undefined;
      const b = c.fcntl(upstreamFd, F_DUPFD_CLOEXEC, 0) as number;
      if (b < 0) { c.close(a); return undefined; }
      const dir = (src: number, dst: number, srcSide: Dir['srcSide'], head: Buffer | undefined): Dir =>
        ({ src, dst, srcSide, pipe: undefined, pending: 0, head: head?.length ? head : undefined, eof: false, shut: false, bytes: 0 });
      const k: Conn = {
        a, b, ab: dir(a, b, 'client', o.headToUpstream), ba: dir(b, a, 'upstream', o.headToClient),
        last: Date.now(), idleMs: o.idleMs, closed: false, seen: 0, onClose: o.onClose,
        destroy: (reason) => close(k, reason),
      };
      byFd[a] = k;
      byFd[b] = k;
      conns.add(k);
      if (!register(a) || !register(b)) {
        close(k, 'epoll_failed');
        return k;
      }
      sweeper ??= setInterval(sweep, 1000).unref();
      // Bytes may already wait on either socket (their edges came before the
      // registration): move them now, then wait.
      now = Date.now();
      pump(k);
      arm();
      return k;
    },
  };
}
