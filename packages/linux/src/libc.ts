// The repository's one koffi import: the libc calls Node does not expose
// (setsockopt of any option, splice(2), epoll(7), pipe2(2), recvmmsg(2),
// sendmmsg(2), …), bound once and shared by every caller. koffi is required
// lazily: importing @geoedge/linux never loads it, and loadLibc() throws, with
// the reason, where the platform is refused (platform.ts) or koffi / glibc is
// missing; callers then take their portable path.
import { createRequire } from 'node:module';
import type koffiModule from 'koffi';
import { nativeLayout } from './platform.js';

type Koffi = typeof koffiModule;
type Fn = ReturnType<ReturnType<Koffi['load']>['func']>;

export interface Libc {
  socket: Fn; connect: Fn; listen: Fn; accept4: Fn; getsockname: Fn; getpeername: Fn; setsockopt: Fn; getsockopt: Fn; bind: Fn; close: Fn; shutdown: Fn;
  fcntl: Fn; pipe2: Fn; read: Fn; write: Fn; splice: Fn; send: Fn; sendto: Fn; recvAt: Fn; sendAt: Fn; recvmmsg: Fn; sendmmsg: Fn;
  epollCreate1: Fn; epollCtl: Fn; epollWait: Fn;
  /** The native address of a Buffer's bytes (memmove(p, p, 0) returns p). */
  addressOf(b: Buffer): bigint;
  errno(): number;
}

let koffi: Koffi | undefined;
let cached: Libc | undefined;

/** koffi itself (for uv-poll.ts); throws where its binary is missing for this platform. */
export function loadKoffi(): Koffi {
  nativeLayout(); // refuses unknown architectures and non-glibc systems first
  return (koffi ??= createRequire(import.meta.url)('koffi') as Koffi);
}

export function loadLibc(): Libc {
  if (cached) return cached;
  const k = loadKoffi();
  const lib = k.load('libc.so.6');
  const memmove = lib.func('uintptr_t memmove(void *, const void *, size_t)');
  cached = {
    socket: lib.func('int socket(int, int, int)'),
    connect: lib.func('int connect(int, const void *, uint32_t)'),
    listen: lib.func('int listen(int, int)'),
    accept4: lib.func('int accept4(int, void *, void *, int)'),
    getsockname: lib.func('int getsockname(int, void *, void *)'),
    getpeername: lib.func('int getpeername(int, void *, void *)'),
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
    // without the VFS layer. The *At forms take a native address (a caller's
    // scratch buffer): no Buffer to look up per call.
    send: lib.func('intptr_t send(int, const void *, size_t, int)'),
    sendto: lib.func('intptr_t sendto(int, const void *, size_t, int, const void *, uint32_t)'),
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
    errno: () => k.errno(),
  };
  return cached;
}
