// Linux constants the engine passes to libc (the same on x86_64, arm64 and
// 32-bit ARM EABI; asm-generic values).
export const EPOLLIN = 0x1, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10, EPOLLRDHUP = 0x2000, EPOLLET = 0x80000000;
export const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CLOEXEC = 0o2000000;
export const SPLICE_F_MOVE = 1, SPLICE_F_NONBLOCK = 2;
export const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000, F_SETPIPE_SZ = 1031;
export const SHUT_WR = 1, SOL_SOCKET = 1, SO_ERROR = 4, MSG_NOSIGNAL = 0x4000;
export const EAGAIN = 11, EINTR = 4, EINPROGRESS = 115, ECONNABORTED = 103, EMFILE = 24, ENFILE = 23;
export const SO_REUSEADDR = 2, SO_REUSEPORT = 15, IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
export const AF_INET = 2, AF_INET6 = 10, SOCK_STREAM = 1, SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000, IPPROTO_TCP = 6, TCP_NODELAY = 1;
/** Any sign that the peer ended or failed: no read can block for good after it. */
export const PEER_ENDING = EPOLLRDHUP | EPOLLHUP | EPOLLERR;
