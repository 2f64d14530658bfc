// The relay's koffi import: the libc calls Node does not expose
// (setsockopt(IP_TRANSPARENT), splice(2), epoll(7), pipe2(2), recvmmsg(2)), bound
// once and shared; libuv's uv_poll comes from '@geoedge/shared/uv-poll'. Loading fails
// (and callers fall back) where koffi or glibc is missing.
import koffi from 'koffi';

type Fn = ReturnType<ReturnType<typeof koffi.load>['func']>;
export interface Libc {
  socket: Fn; connect: Fn; listen: Fn; accept4: Fn; getsockname: Fn; setsockopt: Fn; getsockopt: Fn; bind: Fn; close: Fn; shutdown: Fn;
  fcntl: Fn; pipe2: Fn; read: Fn; write: Fn; splice: Fn; send: Fn; recvAt: Fn; sendAt: Fn; recvmmsg: Fn; sendmmsg: Fn;
  epollCreate1: Fn; epollCtl: Fn; epollWait: Fn;
  /** The native address of a Buffer's bytes (memmove(p, p, 0) returns p). */
  addressOf(b: Buffer): bigint;
  errno(): number;
}

let cached: Libc | undefined;

export function loadLibc(): Libc {
  if (cached) return cached;
  const lib = koffi.load('libc.so.6');
  const memmove = lib.func('uintptr_t memmove(void *, const void *, size_t)');
  cached = {
    socket: lib.func('int socket(int, int, int)'),
    connect: lib.func('int connect(int, const void *, uint32_t)'),
    listen: lib.func('int listen(int, int)'),
    accept4: lib.func('int accept4(int, void *, void *, int)'),
    getsockname: lib.func('int getsockname(int, void *, void *)'),
    setsockopt: lib.func('int setsockopt(int, int, int, const void *, uint32_t)'),
    getsockopt: lib.func('int getsockopt(int, int, int, void *, void *)'),
    bind: lib.func('int bind(int, const void *, uint32_t)'),
    close: lib.func('int close(int)'),
    shutdown: lib.func('int shutdown(int, int)'),
    fcntl: lib.func('int fcntl(int, int, int)'),
    pipe2: lib.func('int pipe2(void *, int)'),
    read: lib.func('intptr_t read(int, void *, size_t)'),
    write: lib.func('intptr_t write(int, const void *, size_t)'),
    splice: lib.func('intptr_t splice(int, void *, int, void *, size_t, unsigned int)'),
    // recv/send rather than read/write: the kernel goes straight to the socket,
    // without the VFS layer. The *At forms take a native address (the engine's
    // one scratch buffer): no Buffer to look up per call.
    send: lib.func('intptr_t send(int, const void *, size_t, int)'),
    recvAt: lib.func('intptr_t recv(int, uintptr_t, size_t, int)'),
    sendAt: lib.func('intptr_t send(int, uintptr_t, size_t, int)'),
    // mmsghdr arrays by address: they hold pointers to other native memory anyway.
    recvmmsg: lib.func('int recvmmsg(int, uintptr_t, unsigned int, int, void *)'),
    sendmmsg: lib.func('int sendmmsg(int, uintptr_t, unsigned int, int)'),
    epollCreate1: lib.func('int epoll_create1(int)'),
    epollCtl: lib.func('int epoll_ctl(int, int, int, void *)'),
    // The event array goes by address (it is read right after, from the same Buffer).
    epollWait: lib.func('int epoll_wait(int, uintptr_t, int, int)'),
    addressOf: (b) => BigInt(memmove(b, b, 0) as number | bigint),
    errno: () => koffi.errno(),
  };
  return cached;
}

/** errno numbers (Linux, all architectures the relay ships for) to the names Node uses. */
const NAMES: Record<number, string> = {
  1: 'EPERM', 13: 'EACCES', 98: 'EADDRINUSE', 23: 'ENFILE', 9: 'EBADF', 11: 'EAGAIN', 22: 'EINVAL', 24: 'EMFILE', 32: 'EPIPE', 99: 'EADDRNOTAVAIL',
  101: 'ENETUNREACH', 115: 'EINPROGRESS', 103: 'ECONNABORTED', 104: 'ECONNRESET', 107: 'ENOTCONN', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED', 113: 'EHOSTUNREACH',
};
export const errnoName = (e: number): string => NAMES[e] ?? `errno_${e}`;
