// Adapter for libuv's uv_poll, reached through koffi: Node exports libuv's
// symbols from its own binary (for addons), so koffi.load(null) finds them.
// Lets a raw fd (an epoll set, a UDP socket opened through libc) be watched by
// Node's own event loop on the main thread: no pool thread blocking in a
// syscall, no cross-thread wake-up per batch.
import { loadKoffi } from './libc.js';

/** An fd watched by Node's own event loop (uv_poll, level-triggered, main thread). */
export interface FdWatch {
  start(): void;
  stop(): void;
}

/** The libuv constants used here (uv.h enums; layout.test.ts checks them against Node's own uv.h). */
export const UV = { UV_POLL: 8, UV_READABLE: 1 } as const;

let bound: ((fd: number, onReadable: () => void) => FdWatch) | undefined;

/**
 * Watches `fd` for readability from the main thread's libuv loop: onReadable
 * runs as a callback of that loop (between Node's other callbacks, microtasks
 * after it), again on every loop turn while the fd stays readable. Only for
 * the main thread (uv_default_loop). Call stop() before closing the fd.
 * Throws if the node binary does not export libuv (then callers fall back).
 */
export function watchFd(fd: number, onReadable: () => void): FdWatch {
  if (!bound) {
    const koffi = loadKoffi();
    const node = koffi.load(null);
    const loop = node.func('void *uv_default_loop(void)')();
    const handleSize = node.func('size_t uv_handle_size(int)');
    const init = node.func('int uv_poll_init(void *, void *, int)');
    const PollCb = koffi.proto('void geoedge_uv_poll_cb(void *, int, int)');
    const start = node.func('int uv_poll_start(void *, int, geoedge_uv_poll_cb *)');
    const stop = node.func('int uv_poll_stop(void *)');
    const { UV_POLL, UV_READABLE } = UV;
    bound = (f, cb) => {
      // Never freed (uv_close would need its own callback): a watch lives as
      // long as its socket, and sockets are few and long-lived.
      const handle = koffi.alloc('uint8_t', Number(handleSize(UV_POLL)));
      const e = init(loop, handle, f) as number;
      if (e !== 0) throw new Error(`uv_poll_init failed (${e})`);
      const fn = koffi.register(() => cb(), koffi.pointer(PollCb));
      return {
        start: () => { start(handle, UV_READABLE, fn); },
        stop: () => { stop(handle); },
      };
    };
  }
  return bound(fd, onReadable);
}
