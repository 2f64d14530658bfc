// The engine's byte pump: a relayed pair of sockets (a Link) moves bytes in
// two Directions with recv(2)/send(2) through one reused native buffer, as
// nginx stream does: no Buffer per chunk, no stream machinery per chunk. With
// `splice: true`, a direction whose read fills the buffer switches to
// splice(2) (socket → pipe → socket, HAProxy's splice-auto); on loopback in a
// VM that measured slower than copying (the receiver gets page-fragment skbs),
// so it is off by default; it saves memory bandwidth on real NICs.
// Backpressure: a direction reads from its source only when what it read
// before has been written, so at most one buffer's worth (copied into the
// direction's `head`) or one pipe waits per direction. Each direction is a
// state machine (direction.ts, with its transition table); a link closes
// when both are SHUT ('done'), on an error, on its idle timeout (one sweep a
// second over all links), or when destroyed.
import { errnoName, type Libc } from '@geoedge/linux';
import type { LinkOwner, PlaneLink } from './plane.js';
import type { FdHandler, Loop } from './loop.js';
import { CLOSING, DRAINED, Direction, FLUSHING, READING, SHUT } from './direction.js';
import {
  EAGAIN, EINTR, EPOLLERR, EPOLLIN, F_SETPIPE_SZ, MSG_NOSIGNAL, O_CLOEXEC, O_NONBLOCK, PEER_ENDING,
  SHUT_WR, SO_ERROR, SOL_SOCKET, SPLICE_F_MOVE, SPLICE_F_NONBLOCK,
} from './linux.js';

const PIPE_BYTES = 1 << 20;
const POOL_MAX = 256;
/** 64 KiB measured far slower than 128 or 256 on loopback (iperf3); nginx reads 16 KiB. */
export const SCRATCH = 256 * 1024;

/** What every link shares: libc, the loop, the scratch buffer, the pipe pool, the idle sweeper. */
export class Pump {
  private readonly c: Libc;
  private readonly scratch = Buffer.allocUnsafeSlow(SCRATCH);
  /** Its native address (user-space addresses fit in 2^53). */
  private readonly scratchAt: number;
  private readonly pool: Array<[number, number]> = [];
  private readonly pipeFds = Buffer.alloc(8);
  private readonly errBuf = Buffer.alloc(4);
  private readonly lenBuf = Buffer.alloc(4);
  readonly links = new Set<Link>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(readonly loop: Loop, readonly splice: boolean) {
    this.c = loop.c;
    this.scratchAt = Number(this.c.addressOf(this.scratch));
  }

  /**
   * Relays fds a (client) and b (upstream), both already in the epoll set
   * (addEdge); flags their sockets showed before now are applied.
   */
  link(a: number, b: number, head: Buffer | undefined, owner: LinkOwner, clientEmpty = false): Link {
    const loop = this.loop;
    loop.now = Date.now();
    const ea = loop.takeEarly(a);
    // Read empty before (the preread reader's last read was short) and no edge since: no read until one comes.
    const k = new Link(this, a, b, head, owner, clientEmpty && !(ea & (EPOLLIN | PEER_ENDING)));
    if (ea & (EPOLLIN | PEER_ENDING)) k.ab.readable(ea);
    const early = loop.takeEarly(b);
    if (early & (EPOLLIN | PEER_ENDING)) k.ba.readable(early);
    this.links.add(k);
    loop.on(a, k);
    loop.on(b, k);
    this.sweeper ??= setInterval(() => this.sweep(), 1000).unref();
    // Bytes may already wait on either socket (their edges came before now): move them, then wait.
    this.pump(k);
    if (!k.closed && early & EPOLLERR) this.checkError(k, b);
    return k;
  }

  /** Reads SO_ERROR of fd: a pending error closes the link. */
  checkError(k: Link, fd: number): void {
    const e = this.socketError(fd);
    if (e !== 0) this.fail(k, fd === k.a, e);
  }

  socketError(fd: number): number {
    this.lenBuf.writeUInt32LE(4);
    if (this.c.getsockopt(fd, SOL_SOCKET, SO_ERROR, this.errBuf, this.lenBuf) < 0) return this.c.errno();
    return this.errBuf.readInt32LE(0);
  }

  pump(k: Link): void {
    if (!this.pumpDir(k, k.ab) || !this.pumpDir(k, k.ba)) return;
    if (k.ab.state === SHUT && k.ba.state === SHUT) this.close(k, 'done');
  }

  private fail(k: Link, clientSide: boolean, errno: number): void {
    this.close(k, `${clientSide ? 'client' : 'upstream'}_error:${errnoName(errno)}`);
  }

  /** Moves what can move in one direction; false when the link was closed. */
  pumpDir(k: Link, d: Direction): boolean {
    for (;;) {
      switch (d.state) {
        case DRAINED:
        case SHUT:
          return true;
        case FLUSHING:
        case CLOSING: {
          if (d.head || d.pending > 0) {
            const r = d.head ? this.sendHead(k, d) : this.spliceOut(k, d);
            if (r <= 0) return r === 0;
            continue;
          }
          if (d.state === CLOSING) this.shut(k, d);
          else d.state = d.afterFlush;
          continue;
        }
        case READING: {
          const r = d.bulk ? this.spliceIn(k, d) : this.copy(k, d);
          if (r <= 0) return r === 0;
          continue;
        }
      }
    }
  }

  /** Writes d.head: 1 progress, 0 would block, -1 closed. */
  private sendHead(k: Link, d: Direction): number {
    const head = d.head!;
    const n = Number(this.c.send(d.dst, head, head.length, MSG_NOSIGNAL));
    if (n < 0) return this.sendFailed(k, d);
    if (d.headCounts) d.bytes += n;
    if (n === head.length) {
      d.head = undefined;
      d.headCounts = false;
    } else d.head = head.subarray(n);
    k.last = this.loop.now;
    return 1;
  }

  private sendFailed(k: Link, d: Direction): number {
    const e = this.c.errno();
    if (e === EAGAIN || e === EINTR) return 0;
    this.fail(k, !d.fromClient, e);
    return -1;
  }

  private readFailed(k: Link, d: Direction): number {
    const e = this.c.errno();
    if (e === EAGAIN || e === EINTR) {
      d.state = DRAINED;
      return 0;
    }
    this.fail(k, d.fromClient, e);
    return -1;
  }

  /** One recv into the scratch buffer and one send of it: 1 progress, 0 would block, -1 closed. */
  private copy(k: Link, d: Direction): number {
    const n = Number(this.c.recvAt(d.src, this.scratchAt, SCRATCH, 0));
    if (n === 0) {
      d.state = CLOSING;
      return 1;
    }
    if (n < 0) return this.readFailed(k, d);
    const full = n === SCRATCH;
    if (full && this.splice) d.bulk = true; // small traffic never pays for a pipe
    const end = !full && d.fin;
    let w = Number(this.c.sendAt(d.dst, this.scratchAt, n, MSG_NOSIGNAL));
    if (w < 0) {
      if (this.sendFailed(k, d) < 0) return -1;
      w = 0;
    }
    d.bytes += w;
    k.last = this.loop.now;
    if (w < n) {
      d.head = Buffer.from(this.scratch.subarray(w, n));
      d.headCounts = true;
      d.state = end ? CLOSING : FLUSHING;
      d.afterFlush = full || d.rdhup ? READING : DRAINED;
    } else d.state = end ? CLOSING : full || d.rdhup ? READING : DRAINED;
    return 1;
  }

  /** Splices src into the direction's pipe: 1 progress, 0 would block, -1 closed. */
  private spliceIn(k: Link, d: Direction): number {
    d.pipe ??= this.borrowPipe();
    if (!d.pipe) {
      this.close(k, 'pipe_failed');
      return -1;
    }
    const n = Number(this.c.splice(d.src, null, d.pipe[1], null, PIPE_BYTES, SPLICE_F_MOVE | SPLICE_F_NONBLOCK));
    if (n > 0) {
      d.pending = n;
      d.state = FLUSHING;
      d.afterFlush = READING;
      k.last = this.loop.now;
      return 1;
    }
    if (n === 0) {
      this.returnPipe(d);
      d.state = CLOSING;
      return 1;
    }
    const r = this.readFailed(k, d);
    if (r === 0) this.returnPipe(d); // nothing in flight: an idle direction holds no pipe
    return r;
  }

  /** Splices the pipe into dst: 1 progress, 0 would block, -1 closed. */
  private spliceOut(k: Link, d: Direction): number {
    const n = Number(this.c.splice(d.pipe![0], null, d.dst, null, d.pending, SPLICE_F_MOVE | SPLICE_F_NONBLOCK));
    if (n < 0) return this.sendFailed(k, d);
    d.pending -= n;
    d.bytes += n;
    k.last = this.loop.now;
    return 1;
  }

  /** The source's end passed on: half-close, so the other direction keeps flowing. */
  private shut(k: Link, d: Direction): void {
    d.state = SHUT;
    if (d.pipe) this.returnPipe(d);
    // If the other direction is done too, both sockets close next and close(2)
    // sends this FIN: one syscall fewer per connection.
    const other = d === k.ab ? k.ba : k.ab;
    if (other.state !== SHUT) this.c.shutdown(d.dst, SHUT_WR);
  }

  private borrowPipe(): [number, number] | undefined {
    const p = this.pool.pop();
    if (p) return p;
    if (this.c.pipe2(this.pipeFds, O_NONBLOCK | O_CLOEXEC) < 0) return undefined;
    const made: [number, number] = [this.pipeFds.readInt32LE(0), this.pipeFds.readInt32LE(4)];
    this.c.fcntl(made[1], F_SETPIPE_SZ, PIPE_BYTES); // failure keeps the default 64 KiB
    return made;
  }

  private returnPipe(d: Direction): void {
    const p = d.pipe;
    if (!p) return;
    d.pipe = undefined;
    // A pipe with bytes in it belongs to a dead connection: never reuse it.
    if (d.pending === 0 && this.pool.length < POOL_MAX) this.pool.push(p);
    else { this.c.close(p[0]); this.c.close(p[1]); }
    d.pending = 0;
  }

  close(k: Link, reason: string): void {
    if (k.closed) return;
    k.closed = true;
    this.returnPipe(k.ab);
    this.returnPipe(k.ba);
    this.loop.closeFd(k.a);
    this.loop.closeFd(k.b);
    this.links.delete(k);
    if (this.links.size === 0 && this.sweeper) { clearInterval(this.sweeper); this.sweeper = undefined; }
    k.owner.onClose({ toUpstream: k.ab.bytes, toClient: k.ba.bytes, reason });
  }

  sweep(t = Date.now()): void {
    for (const k of this.links) if (t - k.last >= k.owner.idleMs) this.close(k, 'idle_timeout');
  }
}

// A class rather than an object literal with closures: short connections are
// what this path is measured by, and each allocation counts.
export class Link implements PlaneLink, FdHandler {
  closed = false;
  /** The loop batch this link last pumped in. */
  seen = 0;
  last: number;
  readonly ab: Direction;
  readonly ba: Direction;

  constructor(private readonly p: Pump, readonly a: number, readonly b: number, head: Buffer | undefined, readonly owner: LinkOwner, clientEmpty: boolean) {
    this.last = p.loop.now;
    this.ab = new Direction(a, b, true, head, clientEmpty);
    this.ba = new Direction(b, a, false, undefined);
  }

  destroy(reason: string): void {
    this.p.close(this, reason);
  }

  onEvent(fd: number, flags: number): void {
    if (this.closed) return;
    // A second event of this batch pumps again only if it woke a drained direction.
    const woke = flags & (EPOLLIN | PEER_ENDING) ? (fd === this.a ? this.ab : this.ba).readable(flags) : false;
    // Pump first even on EPOLLERR: bytes that came before a reset are still
    // readable and belong to the other side.
    const batch = this.p.loop.batch;
    if (this.seen !== batch || woke) {
      this.seen = batch;
      this.p.pump(this);
    }
    if (!this.closed && flags & EPOLLERR) this.p.checkError(this, fd);
  }
}
