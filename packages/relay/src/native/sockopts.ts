// Socket options Node does not expose, set through @geoedge/linux on sockets
// the engine makes: the listener's (accepted sockets inherit every one of them
// on Linux: congestion control, keepalive, mark, TOS, buffers, user timeout,
// Fast Open queue) and each upstream socket before its connect. Also
// IP_TRANSPARENT and IP_RECVORIGDSTADDR for tproxy listeners. The constants
// are @geoedge/linux's K, checked against the C headers there.
import { K, getIntOption, getStringOption, setIntOption, setStringOption, errnoName, type Libc } from '@geoedge/linux';
import type { SocketOptions } from '../config-socket.js';

/** TCP_CA_NAME_MAX. */
const CA_NAME = 16;
const HINT: Record<number, string> = { 1: ' (needs CAP_NET_ADMIN)', 2: ' (the algorithm is not in this kernel)', 92: ' (not supported by this kernel)' };

/** One int option; the failure's text names the config key and the option (as the config does). */
function set(c: Libc, fd: number, level: number, opt: number, value: number, key: string): string | undefined {
  const e = setIntOption(c, fd, level, opt, value);
  return e === 0 ? undefined : `setsockopt(${key}): ${errnoName(e)}${HINT[e] ?? ''}`;
}

/** IP_TRANSPARENT (and for UDP, IP_RECVORIGDSTADDR) on a listening socket, before bind. */
export function setTproxy(c: Libc, fd: number, v6: boolean, udp: boolean): string | undefined {
  return set(c, fd, v6 ? K.SOL_IPV6 : K.SOL_IP, v6 ? K.IPV6_TRANSPARENT : K.IP_TRANSPARENT, 1, 'tproxy: IP_TRANSPARENT')
    ?? (udp ? set(c, fd, v6 ? K.SOL_IPV6 : K.SOL_IP, v6 ? K.IPV6_RECVORIGDSTADDR : K.IP_RECVORIGDSTADDR, 1, 'tproxy: IP_RECVORIGDSTADDR') : undefined);
}

/**
 * Sets `o` on `fd` (before bind/listen for a listener, before connect for an
 * upstream); the first failure's text, or undefined. TCP-only options are
 * skipped on UDP sockets (the config refuses them there anyway).
 */
export function applySocketOptions(c: Libc, fd: number, v6: boolean, o: SocketOptions, tcp: boolean): string | undefined {
  const ip = v6 ? K.SOL_IPV6 : K.SOL_IP;
  const steps: Array<() => string | undefined> = [];
  if (o.mark !== undefined) steps.push(() => set(c, fd, K.SOL_SOCKET, K.SO_MARK, o.mark! | 0, 'mark: SO_MARK'));
  if (o.tos !== undefined) steps.push(() => set(c, fd, ip, v6 ? K.IPV6_TCLASS : K.IP_TOS, o.tos!, v6 ? 'tos: IPV6_TCLASS' : 'tos: IP_TOS'));
  if (o.rcvbuf !== undefined) steps.push(() => set(c, fd, K.SOL_SOCKET, K.SO_RCVBUF, o.rcvbuf!, 'rcvbuf: SO_RCVBUF'));
  if (o.sndbuf !== undefined) steps.push(() => set(c, fd, K.SOL_SOCKET, K.SO_SNDBUF, o.sndbuf!, 'sndbuf: SO_SNDBUF'));
  if (tcp) {
    if (o.congestion) steps.push(() => setCongestion(c, fd, o.congestion!));
    const k = o.keepalive;
    if (k) {
      steps.push(() => set(c, fd, K.SOL_SOCKET, K.SO_KEEPALIVE, 1, 'keepalive: SO_KEEPALIVE'));
      steps.push(() => set(c, fd, K.IPPROTO_TCP, K.TCP_KEEPIDLE, k.idle, 'keepalive: TCP_KEEPIDLE'));
      steps.push(() => set(c, fd, K.IPPROTO_TCP, K.TCP_KEEPINTVL, k.interval, 'keepalive: TCP_KEEPINTVL'));
      steps.push(() => set(c, fd, K.IPPROTO_TCP, K.TCP_KEEPCNT, k.count, 'keepalive: TCP_KEEPCNT'));
    }
    if (o.userTimeoutMs !== undefined) steps.push(() => set(c, fd, K.IPPROTO_TCP, K.TCP_USER_TIMEOUT, o.userTimeoutMs!, 'user_timeout: TCP_USER_TIMEOUT'));
    if (o.fastopenQueue !== undefined) steps.push(() => set(c, fd, K.IPPROTO_TCP, K.TCP_FASTOPEN, o.fastopenQueue!, 'fastopen: TCP_FASTOPEN'));
    if (o.fastopenConnect) steps.push(() => set(c, fd, K.IPPROTO_TCP, K.TCP_FASTOPEN_CONNECT, 1, 'fastopen: TCP_FASTOPEN_CONNECT'));
  }
  for (const step of steps) {
    const failed = step();
    if (failed) return failed;
  }
  return undefined;
}

/** TCP_CONGESTION takes the algorithm's name (not an int). */
function setCongestion(c: Libc, fd: number, name: string): string | undefined {
  const e = setStringOption(c, fd, K.IPPROTO_TCP, K.TCP_CONGESTION, name);
  if (e === 0) return undefined;
  return `setsockopt(congestion: TCP_CONGESTION ${name}): ${errnoName(e)}${HINT[e] ?? ''}`;
}

const int = (c: Libc, fd: number, level: number, opt: number): number | undefined => {
  const v = getIntOption(c, fd, level, opt);
  return typeof v === 'number' ? v : undefined;
};

/**
 * What the kernel holds for the options `o` names, read back with getsockopt
 * (the listener's first log line reports these, not the config's wishes:
 * SO_RCVBUF reads back doubled, capped at net.core.rmem_max).
 */
export function readSocketOptions(c: Libc, fd: number, v6: boolean, o: SocketOptions, tcp: boolean): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  if (o.mark !== undefined) { const m = int(c, fd, K.SOL_SOCKET, K.SO_MARK); r.mark = m === undefined ? undefined : m >>> 0; }
  if (o.tos !== undefined) r.tos = int(c, fd, v6 ? K.SOL_IPV6 : K.SOL_IP, v6 ? K.IPV6_TCLASS : K.IP_TOS);
  if (o.rcvbuf !== undefined) r.rcvbuf = int(c, fd, K.SOL_SOCKET, K.SO_RCVBUF);
  if (o.sndbuf !== undefined) r.sndbuf = int(c, fd, K.SOL_SOCKET, K.SO_SNDBUF);
  if (!tcp) return r;
  if (o.congestion) {
    const name = getStringOption(c, fd, K.IPPROTO_TCP, K.TCP_CONGESTION, CA_NAME);
    if (typeof name === 'string') r.congestion = name;
  }
  if (o.keepalive) {
    r.keepalive = {
      on: int(c, fd, K.SOL_SOCKET, K.SO_KEEPALIVE) === 1,
      idle: int(c, fd, K.IPPROTO_TCP, K.TCP_KEEPIDLE),
      interval: int(c, fd, K.IPPROTO_TCP, K.TCP_KEEPINTVL),
      count: int(c, fd, K.IPPROTO_TCP, K.TCP_KEEPCNT),
    };
  }
  if (o.userTimeoutMs !== undefined) r.user_timeout_ms = int(c, fd, K.IPPROTO_TCP, K.TCP_USER_TIMEOUT);
  if (o.fastopenQueue !== undefined) r.fastopen = int(c, fd, K.IPPROTO_TCP, K.TCP_FASTOPEN);
  if (o.fastopenConnect) r.fastopen_connect = int(c, fd, K.IPPROTO_TCP, K.TCP_FASTOPEN_CONNECT) === 1;
  return r;
}
