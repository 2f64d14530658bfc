// Every constant this package (and its callers, through it) passes to the
// kernel. They are the same on each supported architecture (x86_64, aarch64,
// 32-bit ARM all use the asm-generic values); the architectures where some
// differ (mips, sparc, alpha, parisc, powerpc) are not supported. layout.test.ts
// checks each against the C headers of every architecture it can compile for.
// Callers name them as they appear in C, so moving a setsockopt from one file
// to another is mechanical: `setIntOption(fd, K.SOL_IP, K.IP_TRANSPARENT, 1)`.

export const K = {
  AF_INET: 2,
  AF_INET6: 10,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_NONBLOCK: 0o4000,
  SOCK_CLOEXEC: 0o2000000,
  SOL_SOCKET: 1,
  SO_REUSEADDR: 2,
  SO_ERROR: 4,
  SO_SNDBUF: 7,
  SO_RCVBUF: 8,
  SO_KEEPALIVE: 9,
  SO_REUSEPORT: 15,
  SO_MARK: 36,
  SOL_IP: 0,
  IPPROTO_IP: 0,
  IP_FREEBIND: 15,
  IP_TRANSPARENT: 19,
  IP_RECVORIGDSTADDR: 20,
  /** The cmsg type IP_RECVORIGDSTADDR delivers (same number). */
  IP_ORIGDSTADDR: 20,
  IPPROTO_TCP: 6,
  TCP_NODELAY: 1,
  IPPROTO_UDP: 17,
  SOL_IPV6: 41,
  IPPROTO_IPV6: 41,
  IPV6_V6ONLY: 26,
  IPV6_RECVORIGDSTADDR: 74,
  IPV6_ORIGDSTADDR: 74,
  IPV6_TRANSPARENT: 75,
  IPV6_FREEBIND: 78,
  MSG_TRUNC: 0x20,
  MSG_DONTWAIT: 0x40,
  MSG_NOSIGNAL: 0x4000,
  SHUT_RD: 0,
  SHUT_WR: 1,
  SHUT_RDWR: 2,
  EPOLLIN: 0x1,
  EPOLLOUT: 0x4,
  EPOLLERR: 0x8,
  EPOLLHUP: 0x10,
  EPOLLRDHUP: 0x2000,
  /** 1u << 31: written with `>>> 0` into a Uint32Array. */
  EPOLLET: 0x80000000,
  EPOLL_CTL_ADD: 1,
  EPOLL_CTL_DEL: 2,
  EPOLL_CTL_MOD: 3,
  EPOLL_CLOEXEC: 0o2000000,
  SPLICE_F_MOVE: 1,
  SPLICE_F_NONBLOCK: 2,
  O_NONBLOCK: 0o4000,
  O_CLOEXEC: 0o2000000,
  F_GETFL: 3,
  F_SETFL: 4,
  F_DUPFD_CLOEXEC: 1030,
  F_SETPIPE_SZ: 1031,
} as const;

export type ConstantName = keyof typeof K;
