// The engine's event loop: one epoll set holding every socket the engine owns,
// and which handler each descriptor's events go to. Node's own loop waits for
// it: the epoll fd sits in libuv's epoll set (uv_poll), so an event wakes the
// main thread directly and runs one batch as a callback of Node's loop,
// between its other callbacks. uv_poll is level-triggered: while more than a
// batch is ready, the next loop turn calls again. (The earlier design, a libuv
// pool thread blocking in epoll_wait, cost two thread wake-ups per quiet→busy
// edge.) Small batches (MAX_EVENTS) keep the turns short, which measured a much
// shorter latency tail under load than big ones. Watching stops while no
// descriptor has a handler, so an idle engine keeps no process alive.
import { layoutFor, type FdWatch } from '@geoedge/linux';
import type { Libc } from '@geoedge/linux';
import { EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLLET, EPOLLIN, EPOLLOUT, EPOLLRDHUP } from './linux.js';

const MAX_EVENTS = 16;

/** Where one descriptor's events go. */
export interface FdHandler {
  onEvent(fd: number, flags: number): void;
}

/** Watches a descriptor from Node's loop (uv_poll; a fake in unit tests). */
export type WatchFd = (fd: number, onReadable: () => void) => FdWatch;

export class Loop {
  /** Handler by fd: a descriptor with one keeps the loop watching. */
  private readonly handlers: Array<FdHandler | undefined> = [];
  /**
   * Flags seen on an edge-triggered descriptor while it had no handler (an
   * upstream between its connect and attach, a client between its preread and
   * attach). The edge never comes again: attach() takes and applies them (a
   * backend that answers and closes at once leaves readable + peer-closed here).
   */
  private readonly early: number[] = [];
  private readonly inSet: boolean[] = [];
  /** Counts batches: a link pumps once per batch however many of its events it holds. */
  batch = 0;
  /** Date.now() at the start of the batch. */
  now = Date.now();
  private users = 0;
  private readonly ep: number;
  private readonly events: Uint32Array;
  private readonly eventsAt: bigint;
  private readonly evWords: number;
  private readonly evFd: number;
  /** One epoll_event for epoll_ctl; the data word holds the fd (the rest stays 0). */
  private readonly ev32 = new Uint32Array(4);
  private readonly ev = Buffer.from(this.ev32.buffer);
  private readonly watch: FdWatch;
  private watching = false;
  private stalledUntil = 0;

  /** `onError` hears exceptions thrown by handlers (bugs); the loop goes on. */
  constructor(readonly c: Libc, watchFd: WatchFd, private readonly onError: (err: unknown) => void, arch: string = process.arch) {
    // epoll_event is packed on x86_64 (12 bytes), naturally aligned on arm64 and
    // 32-bit ARM EABI (16, data at 8): @geoedge/linux's table, checked against
    // the C headers. An architecture it does not know is refused (TCP then moves
    // through Node streams), never guessed.
    const ev = layoutFor(arch)?.epoll_event;
    if (!ev) throw new Error(`the epoll_event layout is not known for ${arch}`);
    // Events and fds are read through a Uint32Array (no Buffer method's argument checks per event).
    this.evWords = ev.size / 4;
    this.evFd = ev.data / 4;
    this.ep = c.epollCreate1(EPOLL_CLOEXEC) as number;
    if (this.ep < 0) throw new Error(`epoll_create1 failed, errno ${c.errno()}`);
    this.events = new Uint32Array(MAX_EVENTS * this.evWords);
    this.eventsAt = c.addressOf(Buffer.from(this.events.buffer));
    this.watch = watchFd(this.ep, () => this.turn());
  }

  /** Adds a socket edge-triggered for in, out and peer-closed; its flags start empty. */
  addEdge(fd: number): boolean {
    this.early[fd] = 0;
    if (!this.ctl(EPOLL_CTL_ADD, fd, (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) >>> 0)) return false;
    this.inSet[fd] = true;
    return true;
  }

  /** True while fd was added by addEdge() and not closed by closeFd(). */
  has(fd: number): boolean {
    return this.inSet[fd] === true;
  }

  /** Closes an engine socket: no handler, out of the set (close(2) removes it), nothing remembered. */
  closeFd(fd: number): void {
    this.off(fd);
    this.inSet[fd] = false;
    this.early[fd] = 0;
    this.c.close(fd);
  }

  /** Adds a descriptor level-triggered for readability (listeners, UDP sockets, the probe pipe). */
  addLevel(fd: number): boolean {
    return this.ctl(EPOLL_CTL_ADD, fd, EPOLLIN);
  }

  del(fd: number): void {
    this.ctl(EPOLL_CTL_DEL, fd, 0);
  }

  private ctl(op: number, fd: number, flags: number): boolean {
    this.ev32[0] = flags;
    this.ev32[this.evFd] = fd;
    return this.c.epollCtl(this.ep, op, fd, this.ev) === 0;
  }

  /** Sends fd's events to `h` from now on. */
  on(fd: number, h: FdHandler): void {
    if (this.handlers[fd] === undefined) this.users++;
    this.handlers[fd] = h;
    this.arm();
  }

  /** fd's events are only remembered (see `early`) from now on. */
  off(fd: number): void {
    if (this.handlers[fd] === undefined) return;
    this.handlers[fd] = undefined;
    this.users--;
    this.arm();
  }

  handler(fd: number): FdHandler | undefined {
    return this.handlers[fd];
  }

  /** Adds flags to fd's remembered ones (a handler that saw an edge it did not act on). */
  remember(fd: number, flags: number): void {
    this.early[fd] = (this.early[fd] ?? 0) | flags;
  }

  /** Drops flags from fd's remembered ones (a reader that consumed what its edge announced). */
  forget(fd: number, flags: number): void {
    this.early[fd] = (this.early[fd] ?? 0) & ~flags;
  }

  /** The flags remembered for fd since its addEdge(), cleared. */
  takeEarly(fd: number): number {
    const f = this.early[fd] ?? 0;
    this.early[fd] = 0;
    return f;
  }

  /** Test hook: the loop takes no events for `ms`, as a wedged engine (Node keeps turning). */
  stall(ms: number): void {
    this.stalledUntil = Date.now() + ms;
  }

  /** Starts or stops watching: only while some descriptor has a handler. */
  private arm(): void {
    const want = this.users > 0;
    if (want === this.watching) return;
    this.watching = want;
    if (want) this.watch.start();
    else this.watch.stop();
  }

  /** One batch: the uv_poll callback. */
  turn(): void {
    if (this.stalledUntil !== 0) {
      if (Date.now() < this.stalledUntil) return;
      this.stalledUntil = 0;
    }
    try {
      const n = this.c.epollWait(this.ep, this.eventsAt, MAX_EVENTS, 0) as number;
      if (n > 0) this.handle(n);
    } catch (err) {
      this.onError(err);
    }
  }

  private handle(n: number): void {
    this.batch++;
    this.now = Date.now();
    // An exception from a handler (a bug) must not lose the rest of the batch:
    // with edge-triggered sockets, an event not handled now never comes again.
    for (let i = 0; i < n;) {
      try {
        for (; i < n; i++) this.event(i * this.evWords);
      } catch (err) {
        i++;
        this.onError(err);
      }
    }
  }

  private event(off: number): void {
    const fd = this.events[off + this.evFd]!;
    const flags = this.events[off]!;
    const h = this.handlers[fd];
    if (h) h.onEvent(fd, flags);
    else this.early[fd] = (this.early[fd] ?? 0) | flags;
  }
}
