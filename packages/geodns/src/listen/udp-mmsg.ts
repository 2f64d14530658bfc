// geodns's batched UDP (libc through @geoedge/linux). Batched UDP (recvmmsg(2)/sendmmsg(2), Linux):
// node:dgram pays a libuv callback, an rinfo object and a send request per packet;
// here Node's own loop watches the socket (uv_poll, @geoedge/linux), and
// when it is readable a non-blocking recvmmsg collects up to BATCH datagrams, the
// Handler answers them all and one non-blocking sendmmsg sends the replies. (An
// earlier version blocked in recvmmsg on a libuv pool thread: the hand-off between
// threads per batch cost ~7% of a saturated server's CPU in futex and task switches.)
// Each process (cluster worker) binds its own socket with SO_REUSEPORT, so the
// kernel spreads datagrams between them.
// Layouts (x86_64/aarch64 LP64, <sys/socket.h>; the table in @geoedge/linux,
// checked against the C headers; server.ts refuses other architectures before
// loading this file, and openBatchUdp checks again):
//   struct iovec   { void *iov_base; size_t iov_len; }                      16 bytes
//   struct msghdr  { void *name; socklen_t namelen; struct iovec *iov;        56 bytes
//                    size_t iovlen; void *control; size_t controllen; int flags; }
//   struct mmsghdr { struct msghdr msg_hdr; unsigned msg_len; }             64 bytes
import { layoutFor, loadLibc, nativeRefusal, watchFd, type Libc } from '@geoedge/linux';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../wire/addr.js';

const AF_INET = 2, AF_INET6 = 10, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_RCVBUF = 8, SO_SNDBUF = 7, SO_REUSEPORT = 15;
const IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
const MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20;
const EINTR = 4, EAGAIN = 11;

const BATCH = 64;
/** Queries bigger than this are not ones we answer; the kernel flags them MSG_TRUNC. */
const RECV_STRIDE = 4096;
/** Replies are at most the EDNS payload limit (≤ 4096); a bigger one goes out alone. */
const SEND_STRIDE = 4096;
const SA_STRIDE = 32; // sizeof(struct sockaddr_in6) = 28, rounded
const HDR = 64, IOV = 16;
/** Batches read per wake-up before Node's loop gets its turn (timers, TCP, the DB poller). */
const TURN = 4;

/** What the Handler sees per datagram; one reused object per socket, address made on demand. */
export interface BatchPeer {
  readonly transport: 'udp';
  readonly address: string;
  readonly port: number;
  readonly localAddress: string;
  /** The address octets: ip[ipAt, +ipLen), read in place from the sockaddr (no string, no copy). */
  readonly ip: Uint8Array;
  readonly ipAt: number;
  readonly ipLen: number;
}

/** Answers one datagram (reply bytes, or null = send nothing). Must not throw. */
export type BatchHandler = (msg: Buffer, peer: BatchPeer) => Buffer | null;

export interface BatchSocket {
  close(): void;
}

export type OpenResult = { ok: true; socket: BatchSocket } | { ok: false; message: string };

/** Binds host:port (IPv4 or IPv6 literal) and starts serving datagrams with `handle`. */
export function openBatchUdp(host: string, port: number, handle: BatchHandler, onError: (message: string) => void): OpenResult {
  const L = layoutFor();
  if (!L || L.mmsghdr.size !== HDR || L.iovec.size !== IOV || L.msghdr.msg_iov !== 16 || L.msghdr.msg_iovlen !== 24 || L.msghdr.msg_flags !== 48 || L.mmsghdr.msg_len !== 56) {
    return { ok: false, message: nativeRefusal() ?? `struct layouts of ${process.arch} differ from the LP64 ones this file writes` };
  }
  let c: Libc;
  try {
    c = loadLibc();
  } catch (err) {
    return { ok: false, message: `cannot load libc: ${(err as Error).message}` };
  }
  const v6 = host.includes(':');
  const sa = Buffer.alloc(v6 ? 28 : 16);
  sa.writeUInt16LE(v6 ? AF_INET6 : AF_INET, 0);
  sa.writeUInt16BE(port, 2);
  if (!(v6 ? parseIPv6(host, sa, 8) : parseIPv4(host, sa, 4))) return { ok: false, message: `not an IP literal: ${host}` };
  const fd = c.socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) as number;
  if (fd < 0) return { ok: false, message: `socket() failed, errno ${c.errno()}` };
  const fail = (what: string): OpenResult => {
    const e = c.errno();
    c.close(fd);
    return { ok: false, message: `${what} failed, errno ${e}` };
  };
  const int = (v: number) => { const b = Buffer.alloc(4); b.writeInt32LE(v); return b; };
  if (c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, int(1), 4) < 0) return fail('setsockopt(SO_REUSEADDR)');
  if (c.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, int(1), 4) < 0) return fail('setsockopt(SO_REUSEPORT)');
  if (v6 && c.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, int(1), 4) < 0) return fail('setsockopt(IPV6_V6ONLY)');
  // Bigger kernel buffers absorb bursts; failure only means the defaults stay.
  c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int(4 << 20), 4);
  c.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, int(4 << 20), 4);
  if (c.bind(fd, sa, sa.length) < 0) return fail(`bind(${host}:${port})`);
  try {
    return { ok: true, socket: serve(c, fd, host, v6, handle, onError) };
  } catch (err) {
    c.close(fd);
    return { ok: false, message: `cannot watch the socket with libuv: ${(err as Error).message}` };
  }
}

/** The pre-allocated arrays: headers point at fixed slots, set up once. */
function arrays(c: Libc) {
  const rbuf = Buffer.allocUnsafeSlow(BATCH * RECV_STRIDE);
  const sbuf = Buffer.allocUnsafeSlow(BATCH * SEND_STRIDE);
  const names = Buffer.alloc(BATCH * SA_STRIDE);
  const rhdr = Buffer.alloc(BATCH * HDR), riov = Buffer.alloc(BATCH * IOV);
  const shdr = Buffer.alloc(BATCH * HDR), siov = Buffer.alloc(BATCH * IOV);
  const at = (b: Buffer) => c.addressOf(b);
  const [ra, sa, na, ria, sia, rha, sha] = [at(rbuf), at(sbuf), at(names), at(riov), at(siov), at(rhdr), at(shdr)];
  for (let i = 0; i < BATCH; i++) {
    const I = BigInt(i);
    riov.writeBigUInt64LE(ra + I * BigInt(RECV_STRIDE), i * IOV);
    riov.writeBigUInt64LE(BigInt(RECV_STRIDE), i * IOV + 8);
    rhdr.writeBigUInt64LE(na + I * BigInt(SA_STRIDE), i * HDR);
    rhdr.writeBigUInt64LE(ria + I * BigInt(IOV), i * HDR + 16);
    rhdr.writeBigUInt64LE(1n, i * HDR + 24);
    siov.writeBigUInt64LE(sa + I * BigInt(SEND_STRIDE), i * IOV);
    shdr.writeBigUInt64LE(sia + I * BigInt(IOV), i * HDR + 16);
    shdr.writeBigUInt64LE(1n, i * HDR + 24);
  }
  // Each slot's sockaddr address as two u32 halves: the reply loop writes them
  // with writeUInt32LE, allocating no BigInt per datagram.
  const nameLo = new Array<number>(BATCH), nameHi = new Array<number>(BATCH);
  for (let i = 0; i < BATCH; i++) {
    const p = na + BigInt(i * SA_STRIDE);
    nameLo[i] = Number(p & 0xffffffffn);
    nameHi[i] = Number(p >> 32n);
  }
  // All of these must stay referenced while the socket lives: the kernel holds only their addresses.
  return { rbuf, sbuf, names, rhdr, shdr, riov, siov, rha, sha, nameLo, nameHi };
}

function serve(c: Libc, fd: number, local: string, v6: boolean, handle: BatchHandler, onError: (m: string) => void): BatchSocket {
  const a = arrays(c);
  let closed = false;
  let slot = 0;
  let addr: string | undefined;
  // One Peer for every datagram: `address` is formatted only if the chain asks (LUA, query log).
  const peer: BatchPeer = {
    transport: 'udp',
    localAddress: local,
    get address() { return (addr ??= v6 ? formatIPv6(a.names, slot * SA_STRIDE + 8) : formatIPv4(a.names, slot * SA_STRIDE + 4)); },
    get port() { return a.names.readUInt16BE(slot * SA_STRIDE + 2); },
    ip: a.names,
    get ipAt() { return slot * SA_STRIDE + (v6 ? 8 : 4); },
    ipLen: v6 ? 16 : 4,
  };
  // A persistent error would wake us on every loop turn: log it once per
  // streak and look again a second later.
  let failing = false;
  let used = BATCH; // headers whose msg_namelen (in/out) the last recvmmsg overwrote
  const onReadable = () => {
    for (let turn = 0; turn < TURN && !closed; turn++) {
      for (let i = 0; i < used; i++) a.rhdr.writeUInt32LE(SA_STRIDE, i * HDR + 8);
      used = 0;
      const n = c.recvmmsg(fd, a.rha, BATCH, MSG_DONTWAIT, null) as number;
      if (n < 0) {
        const e = c.errno();
        if (e === EAGAIN || e === EINTR) return;
        if (!failing) onError(`recvmmsg failed, errno ${e}; retrying each second`);
        failing = true;
        watch.stop();
        setTimeout(() => { if (!closed) watch.start(); }, 1000).unref();
        return;
      }
      failing = false;
      used = n;
      answer(n);
      if (n < BATCH) return;
    }
  };
  const answer = (n: number) => {
    let out = 0;
    for (let i = 0; i < n; i++) {
      const h = i * HDR;
      if (a.rhdr.readInt32LE(h + 48) & MSG_TRUNC) continue; // oversized: not a query we answer
      const len = a.rhdr.readUInt32LE(h + 56);
      slot = i;
      addr = undefined;
      const reply = handle(a.rbuf.subarray(i * RECV_STRIDE, i * RECV_STRIDE + len), peer);
      if (reply === null) continue;
      const namelen = a.rhdr.readUInt32LE(h + 8);
      if (reply.length > SEND_STRIDE) {
        c.sendto(fd, reply, reply.length, MSG_DONTWAIT, a.names.subarray(i * SA_STRIDE), namelen);
        continue;
      }
      reply.copy(a.sbuf, out * SEND_STRIDE);
      a.siov.writeUInt32LE(reply.length, out * IOV + 8); // iov_len's high half stays 0 (≤ SEND_STRIDE)
      a.shdr.writeUInt32LE(a.nameLo[i]!, out * HDR);
      a.shdr.writeUInt32LE(a.nameHi[i]!, out * HDR + 4);
      a.shdr.writeUInt32LE(namelen, out * HDR + 8);
      out++;
    }
    // A full send buffer drops the rest, as a busy server's kernel queue would.
    for (let sent = 0; sent < out;) {
      const r = c.sendmmsg(fd, sent === 0 ? a.sha : a.sha + BigInt(sent * HDR), out - sent, MSG_DONTWAIT) as number;
      if (r <= 0) break;
      sent += r;
    }
  };
  const watch = watchFd(fd, onReadable);
  watch.start();
  return {
    close() {
      if (closed) return;
      closed = true;
      watch.stop();
      c.close(fd);
    },
  };
}
