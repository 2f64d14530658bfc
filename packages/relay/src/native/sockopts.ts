// Socket options Node does not expose, set through libc (loadLibc) on sockets
// the engine makes: the listener's (accepted sockets inherit every one of them
// on Linux: congestion control, keepalive, mark, TOS, buffers, user timeout) and
// each upstream socket before its connect. Also IP_TRANSPARENT and
// IP_RECVORIGDSTADDR for tproxy listeners. Values from Linux's uapi headers
// (asm-generic socket.h, in.h, in6.h, tcp.h): the same on x86_64, arm64 and arm.
import type { SocketOptions } from '../config-socket.js';
// Types only from libc.ts: importing it loads koffi, which must stay optional at start.
import type { Libc } from './libc.js';

const SOL_SOCKET = 1, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_KEEPALIVE = 9, SO_MARK = 36;
const IPPROTO_TCP = 6, TCP_KEEPIDLE = 4, TCP_KEEPINTVL = 5, TCP_KEEPCNT = 6, TCP_CONGESTION = 13, TCP_USER_TIMEOUT = 18, TCP_FASTOPEN = 23, TCP_FASTOPEN_CONNECT = 30;
const SOL_IP = 0, IP_TOS = 1, IP_TRANSPARENT = 19, IP_RECVORIGDSTADDR = 20;
const SOL_IPV6 = 41, IPV6_TCLASS = 67, IPV6_RECVORIGDSTADDR = 74, IPV6_TRANSPARENT = 75;
/** TCP_CA_NAME_MAX. */
const CA_NAME = 16;

/** The cmsg (level, type) that carries a datagram's original destination. */
export const ORIGDST_CMSG = { v4: [SOL_IP, IP_RECVORIGDSTADDR], v6: [SOL_IPV6, IPV6_RECVORIGDSTADDR] } as const;

const int = (v: number) => { const b = Buffer.alloc(4); b.writeInt32LE(v | 0); return b; };
const ERRNO: Record<number, string> = {
  1: 'EPERM (needs CAP_NET_ADMIN)', 2: 'ENOENT (the algorithm is not in this kernel)', 22: 'EINVAL', 92: 'ENOPROTOOPT (not supported by this kernel)', 95: 'EOPNOTSUPP',
};
const errnoName = (e: number) => ERRNO[e] ?? `errno ${e}`;

/** One setsockopt; the failure's text names the option (as the config does). */
function set(c: Libc, fd: number, level: number, opt: number, value: Buffer, key: string): string | undefined {
  if (c.setsockopt(fd, level, opt, value, value.length) === 0) return undefined;
  const e = c.errno();
  return `setsockopt(${key}): ${errnoName(e)}`;
}

/** IP_TRANSPARENT (and for UDP, IP_RECVORIGDSTADDR) on a listening socket, before bind. */
export function setTproxy(c: Libc, fd: number, v6: boolean, udp: boolean): string | undefined {
  const one = int(1);
  return set(c, fd, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_TRANSPARENT : IP_TRANSPARENT, one, 'tproxy: IP_TRANSPARENT')
    ?? (udp ? set(c, fd, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_RECVORIGDSTADDR : IP_RECVORIGDSTADDR, one, 'tproxy: IP_RECVORIGDSTADDR') : undefined);
}

/**
 * Sets `o` on `fd` (before bind/listen for a listener, before connect for an
 * upstream); the first failure's text, or undefined. TCP-only options are
 * skipped on UDP sockets (the config refuses them there anyway).
 */
export function applySocketOptions(c: Libc, fd: number, v6: boolean, o: SocketOptions, tcp: boolean): string | undefined {
  const steps: Array<() => string | undefined> = [];
  if (o.mark !== undefined) steps.push(() => set(c, fd, SOL_SOCKET, SO_MARK, int(o.mark!), 'mark: SO_MARK'));
  if (o.tos !== undefined) steps.push(() => set(c, fd, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_TCLASS : IP_TOS, int(o.tos!), v6 ? 'tos: IPV6_TCLASS' : 'tos: IP_TOS'));
  if (o.rcvbuf !== undefined) steps.push(() => set(c, fd, SOL_SOCKET, SO_RCVBUF, int(o.rcvbuf!), 'rcvbuf: SO_RCVBUF'));
  if (o.sndbuf !== undefined) steps.push(() => set(c, fd, SOL_SOCKET, SO_SNDBUF, int(o.sndbuf!), 'sndbuf: SO_SNDBUF'));
  if (tcp) {
    if (o.congestion) steps.push(() => set(c, fd, IPPROTO_TCP, TCP_CONGESTION, Buffer.from(o.congestion!, 'latin1'), `congestion: TCP_CONGESTION ${o.congestion}`));
    const k = o.keepalive;
    if (k) {
      steps.push(() => set(c, fd, SOL_SOCKET, SO_KEEPALIVE, int(1), 'keepalive: SO_KEEPALIVE'));
      steps.push(() => set(c, fd, IPPROTO_TCP, TCP_KEEPIDLE, int(k.idle), 'keepalive: TCP_KEEPIDLE'));
      steps.push(() => set(c, fd, IPPROTO_TCP, TCP_KEEPINTVL, int(k.interval), 'keepalive: TCP_KEEPINTVL'));
      steps.push(() => set(c, fd, IPPROTO_TCP, TCP_KEEPCNT, int(k.count), 'keepalive: TCP_KEEPCNT'));
    }
    if (o.userTimeoutMs !== undefined) steps.push(() => set(c, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, int(o.userTimeoutMs!), 'user_timeout: TCP_USER_TIMEOUT'));
    if (o.fastopenQueue !== undefined) steps.push(() => set(c, fd, IPPROTO_TCP, TCP_FASTOPEN, int(o.fastopenQueue!), 'fastopen: TCP_FASTOPEN'));
    if (o.fastopenConnect) steps.push(() => set(c, fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, int(1), 'fastopen: TCP_FASTOPEN_CONNECT'));
  }
  for (const step of steps) {
    const failed = step();
    if (failed) return failed;
  }
  return undefined;
}

function getInt(c: Libc, fd: number, level: number, opt: number): number | undefined {
  const v = Buffer.alloc(4), len = Buffer.alloc(4);
  len.writeUInt32LE(4);
  return c.getsockopt(fd, level, opt, v, len) === 0 ? v.readInt32LE(0) : undefined;
}

/**
 * What the kernel holds for the options `o` names, read back with getsockopt
 * (the listener's first log line reports these, not the config's wishes:
 * SO_RCVBUF reads back doubled, capped at net.core.rmem_max).
 */
export function readSocketOptions(c: Libc, fd: number, v6: boolean, o: SocketOptions, tcp: boolean): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  if (o.mark !== undefined) r.mark = getInt(c, fd, SOL_SOCKET, SO_MARK);
  if (o.tos !== undefined) r.tos = getInt(c, fd, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_TCLASS : IP_TOS);
  if (o.rcvbuf !== undefined) r.rcvbuf = getInt(c, fd, SOL_SOCKET, SO_RCVBUF);
  if (o.sndbuf !== undefined) r.sndbuf = getInt(c, fd, SOL_SOCKET, SO_SNDBUF);
  if (!tcp) return r;
  if (o.congestion) {
    const name = Buffer.alloc(CA_NAME), len = Buffer.alloc(4);
    len.writeUInt32LE(CA_NAME);
    if (c.getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, len) === 0) r.congestion = name.toString('latin1', 0, name.indexOf(0) < 0 ? CA_NAME : name.indexOf(0));
  }
  if (o.keepalive) {
    r.keepalive = {
      on: getInt(c, fd, SOL_SOCKET, SO_KEEPALIVE) === 1,
      idle: getInt(c, fd, IPPROTO_TCP, TCP_KEEPIDLE),
      interval: getInt(c, fd, IPPROTO_TCP, TCP_KEEPINTVL),
      count: getInt(c, fd, IPPROTO_TCP, TCP_KEEPCNT),
    };
  }
  if (o.userTimeoutMs !== undefined) r.user_timeout_ms = getInt(c, fd, IPPROTO_TCP, TCP_USER_TIMEOUT);
  if (o.fastopenQueue !== undefined) r.fastopen = getInt(c, fd, IPPROTO_TCP, TCP_FASTOPEN);
  if (o.fastopenConnect) r.fastopen_connect = getInt(c, fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT) === 1;
  return r;
}
