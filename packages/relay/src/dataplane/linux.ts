// The constants the engine passes to the kernel, from @geoedge/linux (the one
// native package, whose tables a test checks against the C headers of each
// supported architecture), as module constants for the hot paths.
import { ERRNO, K } from '@geoedge/linux';

export const { EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP, EPOLLET, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CLOEXEC } = K;
export const { SPLICE_F_MOVE, SPLICE_F_NONBLOCK, O_NONBLOCK, O_CLOEXEC, F_SETPIPE_SZ } = K;
export const { SHUT_WR, SOL_SOCKET, SO_ERROR, MSG_NOSIGNAL, SO_REUSEADDR, SO_REUSEPORT, IPPROTO_IPV6, IPV6_V6ONLY } = K;
export const { AF_INET, AF_INET6, SOCK_STREAM, SOCK_NONBLOCK, SOCK_CLOEXEC, IPPROTO_TCP, TCP_NODELAY } = K;
export const { EAGAIN, EINTR, EINPROGRESS, ECONNABORTED, EMFILE, ENFILE } = ERRNO;
/** Any sign that the peer ended or failed: no read can block for good after it. */
export const PEER_ENDING = EPOLLRDHUP | EPOLLHUP | EPOLLERR;
