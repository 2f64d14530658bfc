// A fake libc for the engine's unit tests: stream sockets, listeners and an
// epoll set in memory, with the kernel's edge-triggered rules (an edge when a
// socket becomes readable, writable or ends; one at EPOLL_CTL_ADD if already
// ready), so each part of the engine runs without a socket or koffi. The test
// plays the far end of every socket (`peer(fd)`) and turns the loop by hand.
import { layoutFor, type FdWatch, type Libc } from '@geoedge/linux';
import type { WatchFd } from './loop.js';
import { EAGAIN, EINPROGRESS, EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLL_CTL_ADD, EPOLL_CTL_DEL } from './linux.js';

const EBADF = 9, EPIPE = 32, EINVAL = 22;

/** One stream socket as the engine sees it, and its far end as the test drives it. */
export class FakeSocket {
  /** Bytes for the engine to recv. */
  rx: Buffer[] = [];
  /** The far end sent its FIN (after rx). */
  rxFin = false;
  /** An error the next recv/send returns (ECONNRESET), and SO_ERROR. */
  error = 0;
  /** What the engine sent. */
  tx: Buffer[] = [];
  /** The engine shut its write side (or closed). */
  txShut = false;
  /** Bytes send() may still take before EAGAIN. */
  room = Infinity;
  closed = false;
  recvCalls = 0;
  /** A pending connect: writable only once the test completes it. */
  connecting = false;

  constructor(private readonly lib: FakeLibc, readonly fd: number) {}

  // The far end's side.
  write(data: string | Buffer): void { this.rx.push(Buffer.from(data)); this.lib.edge(this.fd); }
  end(): void { this.rxFin = true; this.lib.edge(this.fd); }
  reset(errno = 104): void { this.error = errno; this.lib.edge(this.fd); }
  /** Takes what the engine sent so far. */
  read(): string { const s = Buffer.concat(this.tx).toString(); this.tx = []; return s; }
  /** Lets send() take `n` more bytes (and, once there is room, signals writable). */
  allow(n: number): void { this.room = n; if (n > 0) this.lib.edge(this.fd); }
  /** Finishes a connect: writable, or failed with `errno` (SO_ERROR). */
  connected(errno = 0): void { this.connecting = false; if (errno) this.error = errno; this.lib.edge(this.fd); }

  readyFlags(): number {
    if (this.closed) return 0;
    let f = 0;
    if (this.rx.length || this.rxFin || this.error) f |= EPOLLIN;
    if (this.rxFin) f |= EPOLLRDHUP;
    if (this.error) f |= EPOLLERR | EPOLLHUP;
    if (!this.connecting && this.room > 0) f |= EPOLLOUT;
    return f;
  }
}

interface Watched { events: number; edge: boolean; pending: boolean }

export class FakeLibc {
  readonly sockets = new Map<number, FakeSocket>();
  /** Listening fd → peers waiting to be accepted (address, port). */
  readonly backlog = new Map<number, Array<{ address: string; port: number; sock?: FakeSocket }>>();
  readonly bound = new Map<number, Buffer>();
  private readonly watched = new Map<number, Watched>();
  private readonly memory = new Map<number, Buffer>();
  private nextFd = 10;
  private nextAddr = 0x1000;
  private err = 0;
  private epfd = -1;
  /** Calls by name, for tests that count syscalls. */
  readonly calls = new Map<string, number>();
  /** What the next socket() returns: an fd, or -1 with errno. */
  failSocket = 0;
  /** The errno connect() returns (EINPROGRESS: the test completes it). */
  connectErrno: number = EINPROGRESS;
  /** The errno accept4() returns when the backlog is empty. */
  acceptErrno: number = EAGAIN;

  constructor(readonly arch = 'x64') {}

  /** The far end of socket `fd`. */
  peer(fd: number): FakeSocket {
    const s = this.sockets.get(fd);
    if (!s) throw new Error(`no fake socket ${fd}`);
    return s;
  }

  /** A client waits on listener `lfd`; accept4 will return a socket for it. */
  incoming(lfd: number, address = '198.51.100.7', port = 40000): void {
    this.backlog.get(lfd)!.push({ address, port });
    this.edge(lfd);
  }

  edge(fd: number): void {
    const w = this.watched.get(fd);
    if (w) w.pending = true;
  }

  private count(name: string): void { this.calls.set(name, (this.calls.get(name) ?? 0) + 1); }
  private fail(e: number): number { this.err = e; return -1; }
  private sock(fd: number): FakeSocket | undefined { const s = this.sockets.get(fd); return s && !s.closed ? s : undefined; }
  private newSocket(): FakeSocket { const s = new FakeSocket(this, this.nextFd++); this.sockets.set(s.fd, s); return s; }

  private flagsOf(fd: number): number {
    if (fd === this.epfd) return 0;
    const b = this.backlog.get(fd);
    if (b) return b.length ? EPOLLIN : 0;
    return this.sockets.get(fd)?.readyFlags() ?? 0;
  }

  private recvInto(s: FakeSocket, target: Buffer, len: number): number {
    this.count('recv');
    s.recvCalls++;
    if (s.rx.length) {
      let n = 0;
      while (s.rx.length && n < len) {
        const b = s.rx[0]!;
        const k = Math.min(b.length, len - n);
        b.copy(target, n, 0, k);
        n += k;
        if (k === b.length) s.rx.shift();
        else s.rx[0] = b.subarray(k);
      }
      return n;
    }
    if (s.error) return this.fail(s.error);
    if (s.rxFin) return 0;
    return this.fail(EAGAIN);
  }

  private sendFrom(s: FakeSocket, src: Buffer): number {
    this.count('send');
    if (s.error) return this.fail(s.error);
    if (s.txShut) return this.fail(EPIPE);
    const n = Math.min(src.length, s.room);
    if (n === 0) return this.fail(EAGAIN);
    s.tx.push(Buffer.from(src.subarray(0, n)));
    s.room -= n;
    return n;
  }

  /** The Libc the engine is given. */
  libc(): Libc {
    const f = <T extends (...a: never[]) => unknown>(fn: T) => fn as unknown as Libc['socket'];
    const at = (addr: number | bigint) => this.memory.get(Number(addr))!;
    const c = {
      socket: f(() => { this.count('socket'); if (this.failSocket) return this.fail(this.failSocket); const s = this.newSocket(); s.connecting = true; return s.fd; }),
      connect: f((fd: number) => { this.count('connect'); return this.sock(fd) ? this.fail(this.connectErrno) : this.fail(EBADF); }),
      listen: f((fd: number) => { this.backlog.set(fd, []); return 0; }),
      bind: f((fd: number, sa: Buffer) => { this.bound.set(fd, Buffer.from(sa)); return 0; }),
      accept4: f((lfd: number, peerBuf: Buffer, peerLen: Buffer) => {
        this.count('accept4');
        const next = this.backlog.get(lfd)?.shift();
        if (!next) return this.fail(this.acceptErrno);
        const s = this.newSocket();
        next.sock = s;
        peerBuf.fill(0);
        peerBuf.writeUInt16LE(2, 0);
        peerBuf.writeUInt16BE(next.port, 2);
        next.address.split('.').forEach((p, i) => (peerBuf[4 + i] = Number(p)));
        peerLen.writeUInt32LE(16);
        return s.fd;
      }),
      getsockname: f((fd: number, buf: Buffer) => {
        const sa = this.bound.get(fd);
        if (!sa) return this.fail(EBADF);
        buf.fill(0);
        sa.copy(buf);
        return 0;
      }),
      setsockopt: f(() => 0),
      getsockopt: f((fd: number, _l: number, _o: number, buf: Buffer) => {
        const s = this.sock(fd);
        if (!s) return this.fail(EBADF);
        buf.writeInt32LE(s.error, 0);
        s.error = 0;
        return 0;
      }),
      close: f((fd: number) => {
        this.count('close');
        const s = this.sockets.get(fd);
        if (s) { s.closed = true; s.txShut = true; }
        this.watched.delete(fd);
        this.backlog.delete(fd);
        return 0;
      }),
      shutdown: f((fd: number) => { this.count('shutdown'); const s = this.sock(fd); if (s) s.txShut = true; return 0; }),
      fcntl: f(() => 0),
      pipe2: f((out: Buffer) => {
        const r = this.newSocket(), w = this.newSocket();
        out.writeInt32LE(r.fd, 0);
        out.writeInt32LE(w.fd, 4);
        return 0;
      }),
      read: f((fd: number, buf: Buffer, len: number) => { const s = this.sock(fd); return s ? this.recvInto(s, buf, len) : this.fail(EBADF); }),
      write: f((fd: number, buf: Buffer, len: number) => { const s = this.sock(fd); if (!s) return this.fail(EBADF); this.sockets.get(fd - 1)?.write(buf.subarray(0, len)); return len; }),
      splice: f(() => this.fail(EINVAL)),
      send: f((fd: number, buf: Buffer, len: number) => { const s = this.sock(fd); return s ? this.sendFrom(s, buf.subarray(0, len)) : this.fail(EBADF); }),
      recvAt: f((fd: number, addr: number, len: number) => { const s = this.sock(fd); return s ? this.recvInto(s, at(addr), len) : this.fail(EBADF); }),
      sendAt: f((fd: number, addr: number, len: number) => { const s = this.sock(fd); return s ? this.sendFrom(s, at(addr).subarray(0, len)) : this.fail(EBADF); }),
      recvmmsg: f(() => this.fail(EINVAL)),
      sendmmsg: f(() => this.fail(EINVAL)),
      epollCreate1: f(() => { this.epfd = this.nextFd++; return this.epfd; }),
      epollCtl: f((_ep: number, op: number, fd: number, ev: Buffer) => {
        if (op === EPOLL_CTL_DEL) { this.watched.delete(fd); return 0; }
        if (op !== EPOLL_CTL_ADD) return this.fail(EINVAL);
        if (this.watched.has(fd)) return this.fail(17);
        const events = ev.readUInt32LE(0);
        // As the kernel: a descriptor already ready when added gets an event.
        this.watched.set(fd, { events, edge: (events & EPOLLET) !== 0, pending: true });
        return 0;
      }),
      epollWait: f((_ep: number, addr: number, max: number) => {
        this.count('epoll_wait');
        const out = at(addr);
        const { size: stride, data: dataAt } = layoutFor(this.arch)!.epoll_event;
        let n = 0;
        for (const [fd, w] of this.watched) {
          if (n >= max) break;
          if (w.edge && !w.pending) continue;
          const flags = this.flagsOf(fd) & (w.events | EPOLLERR | EPOLLHUP);
          w.pending = false;
          if (!flags) continue;
          out.writeUInt32LE(flags, n * stride);
          out.writeUInt32LE(fd, n * stride + dataAt);
          n++;
        }
        return n;
      }),
      addressOf: (b: Buffer) => { const a = this.nextAddr; this.nextAddr += 0x1000; this.memory.set(a, b); return BigInt(a); },
      errno: () => this.err,
    };
    return c as unknown as Libc;
  }

  /** A WatchFd whose callback the test runs with turn(). */
  watch(): WatchFd & { turn(max?: number): number; readonly watching: boolean } {
    let cb: (() => void) | undefined;
    let on = false;
    const w = ((_fd: number, onReadable: () => void): FdWatch => {
      cb = onReadable;
      return { start: () => { on = true; }, stop: () => { on = false; } };
    }) as WatchFd & { turn(max?: number): number; readonly watching: boolean };
    /** Runs the loop's callback until no descriptor has an event (at most `max` turns); the number of turns. */
    w.turn = (max = 50) => {
      let turns = 0;
      const ready = () => [...this.watched.entries()].some(([fd, x]) => (!x.edge || x.pending) && this.flagsOf(fd) & (x.events | EPOLLERR | EPOLLHUP));
      while (on && turns < max && ready()) { cb!(); turns++; }
      return turns;
    };
    Object.defineProperty(w, 'watching', { get: () => on });
    return w;
  }
}
