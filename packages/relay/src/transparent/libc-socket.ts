// Node has no setsockopt(IP_TRANSPARENT): create the socket in libc, set
// IP_TRANSPARENT (and SO_REUSEADDR), bind it to the client's address and port 0,
// then hand the fd to Node, which connects it. Constants, errno names and the
// option setter are @geoedge/linux's (ip(7) IP_TRANSPARENT, ipv6(7) IPV6_TRANSPARENT).
import { K, errnoName, loadLibc, setIntOption, type Libc } from '@geoedge/linux';
import type { TransparentConnector } from '../listen/runtime.js';
import { sockaddr } from '../net/sockaddr.js';

export function createTransparentConnector(): { ok: true; connector: TransparentConnector } | { ok: false; message: string } {
  let c: Libc;
  try {
    c = loadLibc();
  } catch (err) {
    return { ok: false, message: `cannot load libc: ${(err as Error).message}` };
  }
  const connector: TransparentConnector = (source, family, kind) => {
    const af = family === 6 ? K.AF_INET6 : K.AF_INET;
    const fd = c.socket(af, (kind === 'udp' ? K.SOCK_DGRAM : K.SOCK_STREAM) | K.SOCK_NONBLOCK | K.SOCK_CLOEXEC, 0) as number;
    if (fd < 0) return { ok: false, message: `socket() failed, ${errnoName(c.errno())}` };
    const fail = (what: string, e: number) => {
      c.close(fd);
      return { ok: false as const, message: `${what} failed, ${errnoName(e)}${e === 1 ? ' (needs CAP_NET_ADMIN)' : e === 99 ? ' (policy routing for transparent mode missing?)' : ''}` };
    };
    let e = setIntOption(c, fd, K.SOL_SOCKET, K.SO_REUSEADDR, 1);
    if (e) return fail('setsockopt(SO_REUSEADDR)', e);
    e = family === 6 ? setIntOption(c, fd, K.SOL_IPV6, K.IPV6_TRANSPARENT, 1) : setIntOption(c, fd, K.SOL_IP, K.IP_TRANSPARENT, 1);
    if (e) return fail('setsockopt(IP_TRANSPARENT)', e);
    // TCP: port 0 (the kernel picks one). UDP: the client's own port as well, so the
    // backend sees exactly the client's address and replies land on this socket.
    const sa = sockaddr(source.address, kind === 'udp' ? source.port : 0);
    if (!sa) { c.close(fd); return { ok: false, message: `not an IP address: ${source.address}` }; }
    if (c.bind(fd, sa, sa.length) < 0) return fail(`bind(${source.address})`, c.errno());
    return { ok: true, fd };
  };
  return { ok: true, connector };
}
