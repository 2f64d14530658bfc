// The engine's upstream connects: a non-blocking connect(2) of a new TCP
// socket (or of one the transparent connector made), its outcome the first
// event on the socket, without a Node socket, a promise or a timer per
// connect: one timer serves every pending connect, due at the earliest deadline.
import { errnoName } from '@geoedge/linux';
import type { ConnectWaiter } from './plane.js';
import type { FdHandler, Loop } from './loop.js';
import { AF_INET, AF_INET6, EINPROGRESS, EPOLLERR, EPOLLHUP, EPOLLOUT, IPPROTO_TCP, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_STREAM, TCP_NODELAY } from './linux.js';

export class Connector implements FdHandler {
  /** Sockets between connect() and its outcome, with their deadlines (by fd). */
  private readonly waiting = new Map<number, ConnectWaiter<number>>();
  private readonly deadlineOf: number[] = [];
  private readonly timeoutOf: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly one = Buffer.alloc(4);

  constructor(private readonly loop: Loop, private readonly socketError: (fd: number) => number) {
    this.one.writeInt32LE(1);
  }

  get pending(): number {
    return this.waiting.size;
  }

  /** Starts connecting to `sa` (a sockaddr); a failure at once is returned, else `w` hears it later. */
  connect(sa: Buffer, timeoutMs: number, w: ConnectWaiter<number>, given?: number): string | undefined {
    const c = this.loop.c;
    const fd = given ?? (c.socket(sa.length === 16 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) as number);
    if (fd < 0) return `socket: ${errnoName(c.errno())}`;
    c.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, this.one, 4);
    if (c.connect(fd, sa, sa.length) < 0) {
      const e = c.errno();
      if (e !== EINPROGRESS) { c.close(fd); return `connect: ${errnoName(e)}`; }
    }
    // The outcome is the first event on the socket (writable, or an error);
    // registered once, edge-triggered, and kept for the relayed connection.
    if (!this.loop.addEdge(fd)) { const e = c.errno(); c.close(fd); return `epoll_ctl: ${errnoName(e)}`; }
    const deadline = Date.now() + timeoutMs;
    this.deadlineOf[fd] = deadline;
    this.timeoutOf[fd] = timeoutMs;
    this.waiting.set(fd, w);
    this.loop.on(fd, this);
    this.armTimer(deadline);
    return undefined;
  }

  onEvent(fd: number, flags: number): void {
    const w = this.waiting.get(fd);
    // A connect's outcome always says writable or failed; anything else is a
    // stale event of an earlier socket with the same number in this batch.
    if (!w || !(flags & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    // Writable without an error flag is a completed connect: no SO_ERROR read needed.
    const e = flags & EPOLLOUT && !(flags & (EPOLLERR | EPOLLHUP)) ? 0 : this.socketError(fd);
    // The same event may already say readable and peer-closed (a backend that
    // answers and closes at once): kept for attach().
    if (e === 0) this.loop.remember(fd, flags);
    this.done(fd, w, e === 0 ? undefined : `connect: ${errnoName(e)}`);
  }

  private done(fd: number, w: ConnectWaiter<number>, failure: string | undefined): void {
    this.waiting.delete(fd);
    if (failure !== undefined) this.loop.closeFd(fd);
    else this.loop.off(fd);
    w.connected(failure === undefined ? fd : undefined, failure);
  }

  private expire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const t = Date.now();
    let next = Infinity;
    for (const [fd, w] of this.waiting) {
      const d = this.deadlineOf[fd]!;
      if (d <= t) this.done(fd, w, `connect timeout after ${this.timeoutOf[fd]} ms`);
      else if (d < next) next = d;
    }
    if (next < Infinity) this.armTimer(next);
  }

  private armTimer(deadline: number): void {
    if (deadline >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = deadline;
    // Unref'd: a pending connect keeps the process alive through the loop's uv_poll watch.
    this.timer = setTimeout(() => this.expire(), Math.max(1, deadline - Date.now())).unref();
  }
}
