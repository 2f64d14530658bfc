// Batched UDP on the data plane engine: one recvmmsg(2) takes up to BATCH
// datagrams from a socket, the listener's session logic (listen/udp.ts) sees
// each as a view into one shared native arena, and what it sends goes out
// with one sendmmsg(2) per socket at the end of the batch, the PROXY header
// and the payload as two iovecs (no copy, no Buffer per datagram, no libuv
// send request, no rinfo object). node:dgram pays all of those per datagram.
// The arena is shared by every socket: a batch is handled and flushed whole
// before the next recvmmsg on any socket, so the views never outlive it.
// Layouts: layoutFor() from @geoedge/linux (x86_64, aarch64, 32-bit ARM,
// checked against the C headers there); udpPlane() refuses any other
// architecture and the listeners use node:dgram (listen/udp-transport.ts).
import { layoutFor, nativeRefusal } from '@geoedge/linux';
import type { Libc } from '../native/libc.js';
import { errnoName } from '../native/libc.js';
import { sockaddr, parseSockaddr } from '../net/sockaddr.js';
import type { DataPlane } from './engine.js';

const AF_INET = 2, AF_INET6 = 10, SOCK_DGRAM = 2, SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_REUSEPORT = 15, IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
const MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20;
const EAGAIN = 11, EINTR = 4;
const BATCH = 32;
/** The largest UDP payload (65,535 − 8 − 20); a bigger one cannot arrive. */
const STRIDE = 65536;
/** This machine's struct layouts (undefined where unknown: udpPlane() then refuses). Pointers and size_t are WORD bytes: 8 (LP64), 4 (32-bit ARM). */
const L = layoutFor();
const WORD = L?.word ?? 8;
/** Writes a pointer or size_t (user-space values fit in 2^48 on LP64: the top two bytes stay 0). */
const putWord = (b: Buffer, v: number, at: number) => { b.writeUIntLE(v, at, WORD === 8 ? 6 : 4); };
const SA = 32, HDR = L?.mmsghdr.size ?? 0, IOV = L?.iovec.size ?? 0;
const IOV_LEN = L?.iovec.iov_len ?? 0, NAMELEN = L?.msghdr.msg_namelen ?? 0, MSG_IOV = L?.msghdr.msg_iov ?? 0, MSG_IOVLEN = L?.msghdr.msg_iovlen ?? 0;
const MSG_FLAGS = L?.msghdr.msg_flags ?? 0, MSG_LEN = L?.mmsghdr.msg_len ?? 0;
/** Datagrams queued per socket per batch; beyond, the rest is dropped as a full socket buffer would. */
const SEND_MAX = 64;

export interface UdpEndpoint {
  readonly fd: number;
  /** Queues one datagram made of `parts` (to `to`, a sockaddr, on an unconnected socket); sent at the end of the batch. */
  send(parts: readonly Buffer[], to?: Buffer): void;
  close(): void;
}

export interface UdpHandlers {
  /** `data` and `from` are views valid only during the call (copy what must last). */
  onDatagram(data: Buffer, from: Buffer, ep: UdpEndpoint): void;
  /** A receive or send error (ECONNREFUSED: the ICMP port unreachable of a connected socket). */
  onError(code: string): void;
  /** Datagrams dropped: truncated (too big) or the send queue was full. */
  onDrop?(reason: 'truncated' | 'send_full'): void;
}

export interface UdpPlane {
  bind(host: string, port: number, reusePort: boolean, h: UdpHandlers): { ok: true; ep: UdpEndpoint; address: { address: string; port: number } } | { ok: false; message: string };
  /** A socket connected to an IP literal (or `fd`, made by the transparent connector). */
  connect(host: string, port: number, h: UdpHandlers, fd?: number): { ok: true; ep: UdpEndpoint } | { ok: false; message: string };
}

let plane: UdpPlane | undefined;
/**
 * Every Buffer whose address the kernel is given lives here for good: one that
 * only native memory points to (the receive iovecs) would otherwise be
 * collected, and recvmmsg would then read freed memory (EFAULT, seen).
 */
const pinned: Buffer[] = [];

/** Throws where the struct layouts are not known (callers use node:dgram instead). */
export function udpPlane(engine: DataPlane): UdpPlane {
  const refused = nativeRefusal();
  if (refused) throw new Error(refused);
  return (plane ??= createUdpPlane(engine));
}

function createUdpPlane(engine: DataPlane): UdpPlane {
  const c: Libc = engine.libc;
  const addr = (b: Buffer) => Number(c.addressOf(b));
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  // Receive side: BATCH slots of STRIDE bytes, each with room for the sender's address.
  const arena = Buffer.allocUnsafeSlow(BATCH * STRIDE);
  const names = Buffer.alloc(BATCH * SA);
  const rhdr = Buffer.alloc(BATCH * HDR);
  const riov = Buffer.alloc(BATCH * IOV);
  pinned.push(arena, names, rhdr, riov);
  const arenaAt = addr(arena), namesAt = addr(names), riovAt = addr(riov), rhdrAt = addr(rhdr);
  for (let i = 0; i < BATCH; i++) {
    putWord(riov, arenaAt + i * STRIDE, i * IOV);
    putWord(riov, STRIDE, i * IOV + IOV_LEN);
    putWord(rhdr, namesAt + i * SA, i * HDR);
    putWord(rhdr, riovAt + i * IOV, i * HDR + MSG_IOV);
    putWord(rhdr, 1, i * HDR + MSG_IOVLEN);
  }
  // Send side: one socket's queue at a time.
  const shdr = Buffer.alloc(SEND_MAX * HDR);
  const siov = Buffer.alloc(SEND_MAX * 2 * IOV);
  pinned.push(shdr, siov);
  const shdrAt = addr(shdr), siovAt = addr(siov);
  /** Native address of a Buffer's bytes: arena views by offset, other Buffers by their ArrayBuffer (pool slabs, headers). */
  const bases = new WeakMap<ArrayBufferLike, number>();
  const ptr = (b: Buffer): number => {
    if (b.buffer === arena.buffer) return arenaAt + b.byteOffset - arena.byteOffset;
    let base = bases.get(b.buffer);
    if (base === undefined) {
      const whole = Buffer.from(b.buffer, 0, b.buffer.byteLength);
      base = addr(whole);
      bases.set(b.buffer, base);
    }
    return base + b.byteOffset;
  };

  let inBatch = false;
  const dirty = new Set<Endpoint>();

  class Endpoint implements UdpEndpoint {
    queue: Array<readonly Buffer[] | Buffer | undefined> = [];
    closed = false;
    constructor(readonly fd: number, readonly h: UdpHandlers) {}

    send(parts: readonly Buffer[], to?: Buffer): void {
      if (this.closed) return;
      if (this.queue.length >= 2 * SEND_MAX) { this.h.onDrop?.('send_full'); return; }
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
        const sent = c.sendmmsg(this.fd, shdrAt, n, MSG_DONTWAIT) as number;
        if (sent < 0) {
          const e = c.errno();
          if (e === EINTR) { i -= 2 * n; continue; }
          if (e === EAGAIN) this.h.onDrop?.('send_full');
          else { this.queue = []; this.h.onError(errnoName(e)); return; }
        }
        // A partial send stops at the failing datagram (full buffer): UDP drops it.
        else if (sent < n) this.h.onDrop?.('send_full');
      }
      this.queue = [];
    }

    receive(): void {
      if (this.closed) return;
      for (let i = 0; i < BATCH; i++) rhdr.writeUInt32LE(SA, i * HDR + NAMELEN);
      const n = c.recvmmsg(this.fd, rhdrAt, BATCH, MSG_DONTWAIT, null) as number;
      if (n < 0) {
        const e = c.errno();
        if (e !== EAGAIN && e !== EINTR) this.h.onError(errnoName(e));
        return;
      }
      inBatch = true;
      try {
        for (let i = 0; i < n && !this.closed; i++) {
          if (rhdr.readInt32LE(i * HDR + MSG_FLAGS) & MSG_TRUNC) { this.h.onDrop?.('truncated'); continue; }
          const len = rhdr.readUInt32LE(i * HDR + MSG_LEN);
          this.h.onDatagram(arena.subarray(i * STRIDE, i * STRIDE + len), names.subarray(i * SA, i * SA + rhdr.readUInt32LE(i * HDR + NAMELEN)), this);
        }
      } finally {
        inBatch = false;
        for (const d of dirty) d.flush();
        dirty.clear();
      }
    }

    close(): void {
      if (this.closed) return;
      this.closed = true;
      dirty.delete(this);
      engine.unwatch(this.fd);
      c.close(this.fd);
    }
  }

  const open = (fd: number, h: UdpHandlers): Endpoint | undefined => {
    const ep = new Endpoint(fd, h);
    return engine.watch(fd, () => ep.receive()) ? ep : undefined;
  };
  const socketFor = (sa: Buffer) => c.socket(sa.length === 28 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) as number;

  return {
    bind(host, port, reusePort, h) {
      const sa = sockaddr(host, port);
      if (!sa) return { ok: false, message: `not an IP address: ${host}` };
      const fd = socketFor(sa);
      if (fd < 0) return { ok: false, message: `socket: ${errnoName(c.errno())}` };
      const fail = (what: string) => { const e = c.errno(); c.close(fd); return { ok: false as const, message: `${what} ${errnoName(e)} ${host}:${port}` }; };
      c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4);
      // Cluster workers each bind their own socket; the kernel keeps a client's datagrams on one worker (4-tuple hash).
      if (reusePort && c.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, one, 4) < 0) return fail('setsockopt(SO_REUSEPORT)');
      if (sa.length === 28 && c.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, one, 4) < 0) return fail('setsockopt(IPV6_V6ONLY)');
      if (c.bind(fd, sa, sa.length) < 0) return fail('bind');
      const local = engine.localAddress(fd);
      if (!local) return fail('getsockname');
      const ep = open(fd, h);
      if (!ep) return fail('epoll_ctl');
      return { ok: true, ep, address: { address: local.address, port: local.port } };
    },
    connect(host, port, h, given) {
      const sa = sockaddr(host, port);
      if (!sa) { if (given !== undefined) c.close(given); return { ok: false, message: `not an IP address: ${host}` }; }
      const fd = given ?? socketFor(sa);
      if (fd < 0) return { ok: false, message: `socket: ${errnoName(c.errno())}` };
      if (c.connect(fd, sa, sa.length) < 0) { const e = c.errno(); c.close(fd); return { ok: false, message: `connect: ${errnoName(e)}` }; }
      const ep = open(fd, h);
      if (!ep) { c.close(fd); return { ok: false, message: 'epoll_ctl failed' }; }
      return { ok: true, ep };
    },
  };
}

/** The client address of a received datagram, formatted (at session start only). */
export const peerOf = (from: Buffer) => parseSockaddr(from);
