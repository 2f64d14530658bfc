// The one batched UDP socket of the suite (geodns's listeners, the relay's UDP
// listeners and their upstream sockets). One recvmmsg(2) takes up to `batch`
// datagrams from a socket into one shared native arena; the caller sees each
// as a view (payload, and the sender's sockaddr: no string, no copy, no rinfo
// object); what it sends during the batch goes out with one sendmmsg(2) per
// socket when the batch ends, each datagram as up to `maxParts` iovecs (the
// relay's PROXY header and payload, uncopied). node:dgram pays a libuv
// callback, an rinfo object and a send request per datagram.
// The arena is shared by every socket of a batcher: a batch is handled and
// flushed whole before the next recvmmsg on any socket, so views never outlive
// it. Struct layouts come from layout.ts for this architecture (pointers and
// size_t are `word` bytes): never LP64 assumed.
import { K } from './constants.js';
import { errnoName, ERRNO } from './errno.js';
import { loadLibc, type Libc } from './libc.js';
import { nativeLayout } from './platform.js';
import { encodeSockaddr, decodeSockaddr } from './sockaddr.js';
import { setIntOption } from './sockopt.js';
import { watchFd } from './uv-poll.js';

export interface UdpEndpoint {
  readonly fd: number;
  /**
   * Queues one datagram made of `parts` (to `to`, a sockaddr, on an unbound-peer
   * socket); sent when the batch ends, or at once outside a batch. The parts
   * must stay unchanged until then unless the batcher copies (`copySends`).
   */
  send(parts: readonly Buffer[], to?: Buffer): void;
  close(): void;
}

export interface UdpHandlers {
  /**
   * `data` and `from` (the sender's sockaddr) are views valid only during the
   * call: copy what must last. `to` is the datagram's original destination (a
   * sockaddr view) on a socket bound with `origDst` (TPROXY), when the kernel gave one.
   */
  onDatagram(data: Buffer, from: Buffer, ep: UdpEndpoint, to?: Buffer): void;
  /** A receive or send error by errno name (ECONNREFUSED: the ICMP port unreachable of a connected socket). */
  onError(code: string): void;
  /** Datagrams dropped: truncated (bigger than the stride) or the send queue was full. */
  onDrop?(reason: 'truncated' | 'send_full'): void;
}

/** Who tells the batcher a socket is readable: Node's loop (uv_poll, the default) or the relay's epoll engine. */
export interface FdWatcher {
  watch(fd: number, onReadable: () => void): boolean;
  unwatch(fd: number): void;
}

export interface BatchOptions {
  /** Datagrams per recvmmsg. */
  batch: number;
  /** Bytes per receive slot; a bigger datagram is dropped as truncated (65,536 takes any). */
  stride: number;
  /** Datagrams per socket per sendmmsg; beyond 2x this queued, the rest is dropped as a full socket buffer would. */
  sendMax?: number;
  /** iovecs per datagram sent (parts). */
  maxParts?: number;
  /** Copy each datagram sent during a batch into a send slot of this many bytes (the caller reuses its reply buffers); a bigger one is sent at once. */
  copySends?: number;
  /** Batches read per readiness before the loop gets its turn again (only with a full batch). */
  turns?: number;
  /** After a persistent receive error (not EAGAIN/EINTR/ECONNREFUSED), stop reading this socket for this long instead of spinning. */
  pauseOnErrorMs?: number;
  watcher?: FdWatcher;
}

export interface BindOptions {
  reusePort?: boolean;
  /** Kernel buffer sizes to ask for; failure keeps the defaults. */
  rcvbuf?: number;
  sndbuf?: number;
  /** Sets further options before bind (IP_TRANSPARENT, socket options); a failure's text, or undefined. */
  prepare?: (fd: number, v6: boolean) => string | undefined;
  /** Read each datagram's original destination (IP_RECVORIGDSTADDR / IPV6_RECVORIGDSTADDR, set by `prepare`). */
  origDst?: boolean;
}

export type BindResult = { ok: true; ep: UdpEndpoint; address: { address: string; port: number } } | { ok: false; message: string };
export type ConnectResult = { ok: true; ep: UdpEndpoint } | { ok: false; message: string };

export interface UdpBatcher {
  /** A socket bound to host:port (an IP literal; IPv6 is v6-only, as nginx lists [::] and 0.0.0.0 apart). */
  bind(host: string, port: number, o: BindOptions, h: UdpHandlers): BindResult;
  /** A socket connected to host:port (an IP literal), or `fd` (a socket made by the caller, e.g. transparent) connected there. */
  connect(host: string, port: number, h: UdpHandlers, fd?: number): ConnectResult;
  /** Reads and sends on a socket made elsewhere (a TPROXY session's reply socket, bound to the original destination). */
  adopt(fd: number, h: UdpHandlers): ConnectResult;
}

const SA = 32; // sockaddr slot: sizeof(struct sockaddr_in6) = 28, rounded
/** Control space per datagram on origDst sockets: CMSG_SPACE(sizeof(struct sockaddr_in6)) is 48 (LP64) or 40 (32-bit). */
const CTRL = 64;

/**
 * Every Buffer whose address the kernel is given lives here for good: one that
 * only native memory points to (the receive iovecs) would otherwise be
 * collected, and recvmmsg would then read freed memory (EFAULT, seen).
 */
const pinned: Buffer[] = [];

/**
 * Node's loop as the watcher. uv_poll handles are never freed (uv-poll.ts), so
 * one is made per fd number and reused: a socket paused and watched again, or a
 * new socket on a reused number, takes the existing handle.
 */
const uvWatcher = (): FdWatcher => {
  const handles = new Map<number, ReturnType<typeof watchFd>>();
  const targets = new Map<number, () => void>();
  return {
    watch(fd, onReadable) {
      targets.set(fd, onReadable);
      let w = handles.get(fd);
      if (!w) {
        w = watchFd(fd, () => targets.get(fd)?.());
        handles.set(fd, w);
      }
      w.start();
      return true;
    },
    unwatch(fd) { handles.get(fd)?.stop(); targets.delete(fd); },
  };
};

/** Throws with the reason where the native layer is refused or cannot load (callers use node:dgram). */
export function createUdpBatcher(o: BatchOptions): UdpBatcher {
  const L = nativeLayout();
  const c: Libc = loadLibc();
  const watcher = o.watcher ?? uvWatcher();
  const BATCH = o.batch, STRIDE = o.stride, SEND_MAX = o.sendMax ?? 64, PARTS = o.maxParts ?? 2, COPY = o.copySends ?? 0, TURNS = o.turns ?? 1;
  const WORD = L.word, HDR = L.mmsghdr.size, IOV = L.iovec.size, IOV_LEN = L.iovec.iov_len;
  const MSG_CONTROL = L.msghdr.msg_control, MSG_CONTROLLEN = L.msghdr.msg_controllen, CMSG = L.cmsghdr;
  const NAMELEN = L.msghdr.msg_namelen, MSG_IOV = L.msghdr.msg_iov, MSG_IOVLEN = L.msghdr.msg_iovlen, MSG_FLAGS = L.msghdr.msg_flags, MSG_LEN = L.mmsghdr.msg_len;
  /** Writes a pointer or size_t (user-space addresses fit in 2^48 on LP64: the top two bytes stay 0). */
  const putWord = WORD === 8 ? (b: Buffer, v: number, at: number) => { b.writeUIntLE(v, at, 6); } : (b: Buffer, v: number, at: number) => { b.writeUInt32LE(v, at); };
  const addr = (b: Buffer) => Number(c.addressOf(b));

  // Receive side: BATCH slots of STRIDE bytes, each with room for the sender's address.
  const arena = Buffer.allocUnsafeSlow(BATCH * STRIDE);
  const names = Buffer.alloc(BATCH * SA);
  const rhdr = Buffer.alloc(BATCH * HDR);
  const riov = Buffer.alloc(BATCH * IOV);
  // Send side: one socket's queue at a time (and its copies, with copySends).
  const shdr = Buffer.alloc(SEND_MAX * HDR);
  const siov = Buffer.alloc(SEND_MAX * PARTS * IOV);
  const sbuf = Buffer.allocUnsafeSlow(Math.max(1, SEND_MAX * 2 * COPY));
  const ctrl = Buffer.alloc(BATCH * CTRL);
  pinned.push(arena, names, rhdr, riov, shdr, siov, sbuf, ctrl);
  const ctrlAt = addr(ctrl);
  /** The receive headers hold control pointers (set for an origDst socket's receive, cleared for the next plain one). */
  let ctrlSet = false;
  const setControl = (on: boolean) => {
    for (let i = 0; i < BATCH; i++) {
      putWord(rhdr, on ? ctrlAt + i * CTRL : 0, i * HDR + MSG_CONTROL);
      putWord(rhdr, on ? CTRL : 0, i * HDR + MSG_CONTROLLEN);
    }
    ctrlSet = on;
  };
  const readWord = WORD === 8 ? (b: Buffer, at: number) => b.readUIntLE(at, 6) : (b: Buffer, at: number) => b.readUInt32LE(at);
  /** The IP_ORIGDSTADDR / IPV6_ORIGDSTADDR sockaddr of datagram i (a view), if the kernel gave one (the first cmsg). */
  const origDstOf = (i: number): Buffer | undefined => {
    const at = i * CTRL;
    if (readWord(rhdr, i * HDR + MSG_CONTROLLEN) < CMSG.size + 16) return undefined;
    const level = ctrl.readInt32LE(at + CMSG.cmsg_level), type = ctrl.readInt32LE(at + CMSG.cmsg_type);
    if (level === K.SOL_IP && type === K.IP_ORIGDSTADDR) return ctrl.subarray(at + CMSG.size, at + CMSG.size + 16);
    if (level === K.SOL_IPV6 && type === K.IPV6_ORIGDSTADDR) return ctrl.subarray(at + CMSG.size, at + CMSG.size + 28);
    return undefined;
  };
  const arenaAt = addr(arena), namesAt = addr(names), riovAt = addr(riov), rhdrAt = addr(rhdr);
  const shdrAt = addr(shdr), siovAt = addr(siov), sbufAt = addr(sbuf);
  for (let i = 0; i < BATCH; i++) {
    putWord(riov, arenaAt + i * STRIDE, i * IOV);
    putWord(riov, STRIDE, i * IOV + IOV_LEN);
    putWord(rhdr, namesAt + i * SA, i * HDR);
    putWord(rhdr, riovAt + i * IOV, i * HDR + MSG_IOV);
    putWord(rhdr, 1, i * HDR + MSG_IOVLEN);
  }
  /** Native address of a Buffer's bytes: the batcher's own by offset, others by their ArrayBuffer (pool slabs, headers). */
  const bases = new WeakMap<ArrayBufferLike, number>();
  const ptr = (b: Buffer): number => {
    if (b.buffer === arena.buffer) return arenaAt + b.byteOffset - arena.byteOffset;
    if (b.buffer === names.buffer) return namesAt + b.byteOffset - names.byteOffset;
    if (b.buffer === sbuf.buffer) return sbufAt + b.byteOffset - sbuf.byteOffset;
    let base = bases.get(b.buffer);
    if (base === undefined) {
      base = addr(Buffer.from(b.buffer, 0, b.buffer.byteLength));
      bases.set(b.buffer, base);
    }
    return base + b.byteOffset;
  };

  let inBatch = false;
  /** Send slots used by copies in this batch (copySends). */
  let copied = 0;
  const dirty = new Set<Endpoint>();

  class Endpoint implements UdpEndpoint {
    queue: Array<readonly Buffer[] | Buffer | undefined> = [];
    closed = false;
    paused = false;
    constructor(readonly fd: number, readonly h: UdpHandlers, readonly origDst: boolean) {}

    send(parts: readonly Buffer[], to?: Buffer): void {
      if (this.closed) return;
      if (this.queue.length >= 2 * SEND_MAX) { this.h.onDrop?.('send_full'); return; }
      if (parts.length > PARTS) parts = [Buffer.concat(parts)];
      if (COPY && inBatch) {
        let len = 0;
        for (const p of parts) len += p.length;
        if (len <= COPY && copied < SEND_MAX * 2) {
          const slot = sbuf.subarray(copied * COPY, copied * COPY + len);
          copied++;
          let at = 0;
          for (const p of parts) { p.copy(slot, at); at += p.length; }
          parts = [slot];
        } else {
          // Too big for a slot: this one goes now, after what is queued (order kept).
          this.flush();
          this.queue.push(parts, to);
          this.flush();
          return;
        }
      }
      this.queue.push(parts, to);
      if (inBatch) dirty.add(this);
      else this.flush();
    }

    flush(): void {
      const q = this.queue;
      let i = 0;
      while (i < q.length && !this.closed) {
        let n = 0, v = 0;
        for (; i < q.length && n < SEND_MAX; i += 2, n++) {
          const parts = q[i] as readonly Buffer[];
          const to = q[i + 1] as Buffer | undefined;
          const h = n * HDR;
          putWord(shdr, to ? ptr(to) : 0, h);
          shdr.writeUInt32LE(to ? to.length : 0, h + NAMELEN);
          putWord(shdr, siovAt + v * IOV, h + MSG_IOV);
          putWord(shdr, parts.length, h + MSG_IOVLEN);
          for (const p of parts) {
            putWord(siov, p.length ? ptr(p) : 0, v * IOV);
            putWord(siov, p.length, v * IOV + IOV_LEN);
            v++;
          }
        }
        const sent = c.sendmmsg(this.fd, shdrAt, n, K.MSG_DONTWAIT) as number;
        if (sent < 0) {
          const e = c.errno();
          if (e === ERRNO.EINTR) { i -= 2 * n; continue; }
          if (e === ERRNO.EAGAIN || e === ERRNO.ENOBUFS) this.h.onDrop?.('send_full');
          else { this.queue = []; this.h.onError(errnoName(e)); return; }
        }
        // A partial send stops at the failing datagram (full buffer): UDP drops it.
        else if (sent < n) this.h.onDrop?.('send_full');
      }
      this.queue = [];
    }

    receive(): void {
      for (let turn = 0; turn < TURNS && !this.closed; turn++) {
        for (let i = 0; i < BATCH; i++) rhdr.writeUInt32LE(SA, i * HDR + NAMELEN);
        // msg_controllen is in/out: reset for every receive of an origDst socket.
        if (this.origDst || ctrlSet) setControl(this.origDst);
        const n = c.recvmmsg(this.fd, rhdrAt, BATCH, K.MSG_DONTWAIT, null) as number;
        if (n < 0) {
          const e = c.errno();
          if (e === ERRNO.EAGAIN || e === ERRNO.EINTR) return;
          this.h.onError(errnoName(e));
          if (o.pauseOnErrorMs && e !== ERRNO.ECONNREFUSED && !this.paused) {
            // A persistent error would wake us on every loop turn: look again later.
            this.paused = true;
            watcher.unwatch(this.fd);
            setTimeout(() => { this.paused = false; if (!this.closed) watcher.watch(this.fd, () => this.receive()); }, o.pauseOnErrorMs).unref();
          }
          return;
        }
        inBatch = true;
        try {
          for (let i = 0; i < n && !this.closed; i++) {
            if (rhdr.readInt32LE(i * HDR + MSG_FLAGS) & K.MSG_TRUNC) { this.h.onDrop?.('truncated'); continue; }
            const len = rhdr.readUInt32LE(i * HDR + MSG_LEN);
            this.h.onDatagram(arena.subarray(i * STRIDE, i * STRIDE + len), names.subarray(i * SA, i * SA + rhdr.readUInt32LE(i * HDR + NAMELEN)), this, this.origDst ? origDstOf(i) : undefined);
          }
        } finally {
          inBatch = false;
          for (const d of dirty) d.flush();
          dirty.clear();
          copied = 0;
        }
        if (n < BATCH) return;
      }
    }

    close(): void {
      if (this.closed) return;
      this.closed = true;
      dirty.delete(this);
      if (!this.paused) watcher.unwatch(this.fd);
      c.close(this.fd);
    }
  }

  const open = (fd: number, h: UdpHandlers, origDst = false): Endpoint | undefined => {
    const ep = new Endpoint(fd, h, origDst);
    try {
      return watcher.watch(fd, () => ep.receive()) ? ep : undefined;
    } catch {
      return undefined;
    }
  };
  const socketFor = (sa: Buffer) => c.socket(sa.length === 28 ? K.AF_INET6 : K.AF_INET, K.SOCK_DGRAM | K.SOCK_NONBLOCK | K.SOCK_CLOEXEC, 0) as number;
  const nameBuf = Buffer.alloc(SA), nameLen = Buffer.alloc(4);

  return {
    bind(host, port, b, h) {
      const sa = encodeSockaddr(host, port);
      if (!sa) return { ok: false, message: `not an IP literal: ${host}` };
      const fd = socketFor(sa);
      if (fd < 0) return { ok: false, message: `socket: ${errnoName(c.errno())}` };
      const fail = (what: string, e = c.errno()) => { c.close(fd); return { ok: false as const, message: `${what}: ${errnoName(e)}` }; };
      setIntOption(c, fd, K.SOL_SOCKET, K.SO_REUSEADDR, 1);
      let e: number;
      // Cluster workers each bind their own socket; the kernel keeps a client's datagrams on one (4-tuple hash).
      if (b.reusePort && (e = setIntOption(c, fd, K.SOL_SOCKET, K.SO_REUSEPORT, 1))) return fail('setsockopt(SO_REUSEPORT)', e);
      if (sa.length === 28 && (e = setIntOption(c, fd, K.IPPROTO_IPV6, K.IPV6_V6ONLY, 1))) return fail('setsockopt(IPV6_V6ONLY)', e);
      // Bigger kernel buffers absorb bursts; failure only means the defaults stay.
      if (b.rcvbuf) setIntOption(c, fd, K.SOL_SOCKET, K.SO_RCVBUF, b.rcvbuf);
      if (b.sndbuf) setIntOption(c, fd, K.SOL_SOCKET, K.SO_SNDBUF, b.sndbuf);
      const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      const refused = b.prepare?.(fd, sa.length === 28);
      if (refused !== undefined) { c.close(fd); return { ok: false, message: `${refused} ${where}` }; }
      if (c.bind(fd, sa, sa.length) < 0) return fail(`bind(${where})`);
      nameLen.writeUInt32LE(SA);
      if (c.getsockname(fd, nameBuf, nameLen) < 0) return fail('getsockname');
      const local = decodeSockaddr(nameBuf);
      const ep = open(fd, h, b.origDst);
      if (!ep) return fail('watch', ERRNO.EINVAL);
      return { ok: true, ep, address: { address: local.address, port: local.port } };
    },
    connect(host, port, h, given) {
      const sa = encodeSockaddr(host, port);
      if (!sa) { if (given !== undefined) c.close(given); return { ok: false, message: `not an IP literal: ${host}` }; }
      const fd = given ?? socketFor(sa);
      if (fd < 0) return { ok: false, message: `socket: ${errnoName(c.errno())}` };
      if (c.connect(fd, sa, sa.length) < 0) { const e = c.errno(); c.close(fd); return { ok: false, message: `connect: ${errnoName(e)}` }; }
      const ep = open(fd, h);
      if (!ep) { c.close(fd); return { ok: false, message: 'watch failed' }; }
      return { ok: true, ep };
    },
    adopt(fd, h) {
      const ep = open(fd, h);
      if (!ep) { c.close(fd); return { ok: false, message: 'watch failed' }; }
      return { ok: true, ep };
    },
  };
}
