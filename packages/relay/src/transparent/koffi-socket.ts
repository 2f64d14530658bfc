// Node has no setsockopt(IP_TRANSPARENT): create the socket in libc, set
// IP_TRANSPARENT (and SO_REUSEADDR), bind it to the client's address and port 0,
// then hand the fd to Node, which connects it.
// Linux: ip(7) IP_TRANSPARENT = 19 (SOL_IP 0), ipv6(7) IPV6_TRANSPARENT = 75 (SOL_IPV6 41).
import type { TransparentConnector } from '../listen/runtime.js';
import { loadLibc, type Libc } from '../native/libc.js';
import { sockaddr } from '../net/sockaddr.js';

const AF_INET = 2, AF_INET6 = 10, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1, SO_REUSEADDR = 2, SOL_IP = 0, IP_TRANSPARENT = 19, SOL_IPV6 = 41, IPV6_TRANSPARENT = 75;

export function createTransparentConnector(): { ok: true; connector: TransparentConnector } | { ok: false; message: string } {
  let c: Libc;
  try {
    c = loadLibc();
  } catch (err) {
    return { ok: false, message: `cannot load libc: ${(err as Error).message}` };
  }
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  const connector: TransparentConnector = (source, family, kind) => {
    const af = family === 6 ? AF_INET6 : AF_INET;
    const fd = c.socket(af, (kind === 'udp' ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) as number;
    if (fd < 0) return { ok: false, message: `socket() failed, errno ${c.errno()}` };
    const fail = (what: string) => {
      const e = c.errno();
      c.close(fd);
      return { ok: false as const, message: `${what} failed, errno ${e}${e === 1 ? ' (EPERM: needs CAP_NET_ADMIN)' : e === 99 ? ' (EADDRNOTAVAIL: policy routing for transparent mode missing?)' : ''}` };
    };
    if (c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4) < 0) return fail('setsockopt(SO_REUSEADDR)');
    const [lvl, opt] = family === 6 ? [SOL_IPV6, IPV6_TRANSPARENT] : [SOL_IP, IP_TRANSPARENT];
    if (c.setsockopt(fd, lvl, opt, one, 4) < 0) return fail('setsockopt(IP_TRANSPARENT)');
    // TCP: port 0 (the kernel picks one). UDP: the client's own port as well, so the
    // backend sees exactly the client's address and replies land on this socket.
    const sa = sockaddr(source.address, kind === 'udp' ? source.port : 0);
    if (!sa) { c.close(fd); return { ok: false, message: `not an IP address: ${source.address}` }; }
    if (c.bind(fd, sa, sa.length) < 0) return fail(`bind(${source.address})`);
    return { ok: true, fd };
  };
  return { ok: true, connector };
}
