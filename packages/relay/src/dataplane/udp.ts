// Batched UDP on the data plane engine: @geoedge/linux's one batched socket
// (recvmmsg/sendmmsg, shared with geodns) with the engine's epoll set telling
// it when a socket is readable. The listener's session logic (listen/udp.ts)
// sees each datagram as a view into one shared native arena, and what it sends
// goes out with one sendmmsg(2) per socket at the end of the batch, the PROXY
// header and the payload as two iovecs (no copy, no Buffer per datagram, no
// libuv send request, no rinfo object). Where the native layer is refused
// (nativeRefusal), udpPlane() throws and the listeners use node:dgram
// (listen/udp-transport.ts).
import { createUdpBatcher, nativeRefusal, type UdpEndpoint, type UdpHandlers } from '@geoedge/linux';
import { parseSockaddr } from '../net/sockaddr.js';
import type { DataPlane } from './engine.js';

export type { UdpEndpoint, UdpHandlers };

/** Datagrams per recvmmsg. */
const BATCH = 32;
/** The largest UDP payload (65,535 − 8 − 20); a bigger one cannot arrive. */
const STRIDE = 65536;
/** Datagrams queued per socket per batch; beyond, the rest is dropped as a full socket buffer would. */
const SEND_MAX = 64;

/** Options before bind: `prepare` sets options (tproxy, socket options), `origDst` reads each datagram's original destination. */
export type BindOptions = Pick<import('@geoedge/linux').BindOptions, 'prepare' | 'origDst'>;

export interface UdpPlane {
  bind(host: string, port: number, reusePort: boolean, h: UdpHandlers, o?: BindOptions): { ok: true; ep: UdpEndpoint; address: { address: string; port: number } } | { ok: false; message: string };
  /** Watches and sends on a socket made elsewhere (a tproxy session's reply socket, bound to the original destination). */
  adopt(fd: number, h: UdpHandlers): { ok: true; ep: UdpEndpoint } | { ok: false; message: string };
  /** A socket connected to an IP literal (or `fd`, made by the transparent connector). */
  connect(host: string, port: number, h: UdpHandlers, fd?: number): { ok: true; ep: UdpEndpoint } | { ok: false; message: string };
}

let plane: UdpPlane | undefined;

/** Throws where the native layer is refused (callers use node:dgram instead). */
export function udpPlane(engine: DataPlane): UdpPlane {
  const refused = nativeRefusal();
  if (refused) throw new Error(refused);
  if (!plane) {
    const b = createUdpBatcher({ batch: BATCH, stride: STRIDE, sendMax: SEND_MAX, maxParts: 2, watcher: engine });
    plane = {
      // Cluster workers each bind their own socket (reusePort); the kernel keeps a client's datagrams on one worker (4-tuple hash).
      bind: (host, port, reusePort, h, o = {}) => b.bind(host, port, { reusePort, ...o }, h),
      adopt: (fd, h) => b.adopt(fd, h),
      connect: (host, port, h, fd) => b.connect(host, port, h, fd),
    };
  }
  return plane;
}

/** The client address of a received datagram, formatted (at session start only). */
export const peerOf = (from: Buffer) => parseSockaddr(from);
