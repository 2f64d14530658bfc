// geodns's batched UDP listener on @geoedge/linux's one batched socket (shared
// with the relay): node:dgram pays a libuv callback, an rinfo object and a send
// request per packet; here Node's own loop watches the socket (uv_poll), and
// when it is readable a non-blocking recvmmsg collects up to BATCH datagrams,
// the Handler answers them all and one non-blocking sendmmsg sends the replies
// (copied as they are made: the handler may reuse its reply buffer). Each
// process (cluster worker) binds its own socket with SO_REUSEPORT, so the
// kernel spreads datagrams between them. Struct layouts are @geoedge/linux's,
// per architecture (x64, arm64, 32-bit ARM); server.ts refuses the others
// (nativeRefusal) before loading this file.
import { createUdpBatcher, decodeSockaddr, type UdpBatcher } from '@geoedge/linux';

const BATCH = 64;
/** Queries bigger than this are not ones we answer; the kernel flags them MSG_TRUNC and they are dropped. */
const RECV_STRIDE = 4096;
/** Replies are at most the EDNS payload limit (≤ 4096); a bigger one goes out alone, at once. */
const SEND_STRIDE = 4096;
/** Batches read per wake-up before Node's loop gets its turn (timers, TCP, the DB poller). */
const TURN = 4;

/** What the Handler sees per datagram; one reused object per socket, address made on demand. */
export interface BatchPeer {
  readonly transport: 'udp';
  readonly address: string;
  readonly port: number;
  readonly localAddress: string;
  /** The address octets: ip[ipAt, +ipLen), read in place from the sockaddr (no string, no copy). */
  readonly ip: Uint8Array;
  readonly ipAt: number;
  readonly ipLen: number;
}

/** Answers one datagram (reply bytes, or null = send nothing). Must not throw. */
export type BatchHandler = (msg: Buffer, peer: BatchPeer) => Buffer | null;

export interface BatchSocket {
  close(): void;
}

let batcher: UdpBatcher | undefined;

export type OpenResult = { ok: true; socket: BatchSocket } | { ok: false; message: string };

/** Binds host:port (IPv4 or IPv6 literal) and starts serving datagrams with `handle`. */
export function openBatchUdp(host: string, port: number, handle: BatchHandler, onError: (message: string) => void): OpenResult {
  let b: UdpBatcher;
  try {
    b = (batcher ??= createUdpBatcher({ batch: BATCH, stride: RECV_STRIDE, sendMax: BATCH, maxParts: 1, copySends: SEND_STRIDE, turns: TURN, pauseOnErrorMs: 1000 }));
  } catch (err) {
    return { ok: false, message: `the native layer did not load: ${(err as Error).message}` };
  }
  let from: Buffer = Buffer.alloc(0);
  let addr: string | undefined;
  // One Peer for every datagram: `address` is formatted only if the chain asks (LUA, query log).
  const peer: BatchPeer = {
    transport: 'udp',
    localAddress: host,
    get address() { return (addr ??= decodeSockaddr(from).address); },
    get port() { return from.readUInt16BE(2); },
    get ip() { return from; },
    get ipAt() { return from.length === 28 ? 8 : 4; },
    get ipLen() { return from.length === 28 ? 16 : 4; },
  };
  // A persistent receive error pauses the socket for a second (pauseOnErrorMs): said once per streak.
  let failing = false;
  const r = b.bind(host, port, { reusePort: true, rcvbuf: 4 << 20, sndbuf: 4 << 20 }, {
    onDatagram(data, f, ep) {
      failing = false;
      from = f;
      addr = undefined;
      const reply = handle(data, peer);
      if (reply !== null) ep.send([reply], f);
    },
    onError(code) {
      if (!failing) onError(`recvmmsg failed: ${code}; retrying each second`);
      failing = true;
    },
  });
  if (!r.ok) return { ok: false, message: r.message };
  return { ok: true, socket: { close: () => r.ep.close() } };
}
