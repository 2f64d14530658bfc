// The sockets under a UDP listener's sessions (listen/udp.ts), two kinds with
// one shape: the data plane engine's batched sockets (dataplane/udp.ts:
// recvmmsg/sendmmsg, no object per datagram) when the engine runs and the
// address is an IP literal, else node:dgram (data_plane: streams, host names).
import cluster from 'node:cluster';
import { createSocket, type Socket as DgramSocket, type RemoteInfo } from 'node:dgram';
import { isIP, type AddressInfo } from 'node:net';
import type { HostPort } from '@geoedge/shared';
import { nativeRefusal } from '@geoedge/linux';
import type { DataPlane } from '../dataplane/engine.js';
import { udpPlane, peerOf, type UdpEndpoint, type BindOptions } from '../dataplane/udp.js';
import { parseSockaddr } from '../net/sockaddr.js';
import type { ProxyAddress } from '../wire/proxy-types.js';
import type { TransparentConnector } from './runtime.js';

/** A datagram's sender as the transport knows it (valid during the datagram's callback only). */
export type From = unknown;

export interface UpSocket {
  /** Sends one datagram made of `parts` to the server (views are fine: sent before the batch ends). */
  send(parts: readonly Buffer[]): void;
  close(): void;
}

export interface UpEvents {
  /** A reply of `bytes` went back to the client. */
  reply(bytes: number): void;
  error(code: string): void;
}

export interface Transport {
  bind(onDatagram: (data: Buffer, from: From) => void, onError: (message: string) => void): Promise<void>;
  address(): AddressInfo | undefined;
  close(): void;
  /** A session key for the sender (address and port), cheap per datagram. */
  key(from: From): string;
  peer(from: From): { address: string; port: number };
  /** The datagram's original destination (tproxy listeners only). */
  destination(from: From): ProxyAddress | undefined;
  /** The listening socket's fd (engine sockets), for the listener's log line. */
  fd?(): number;
  /** A socket connected to host:port (on `fd` from the transparent connector) whose replies go back to `from`. */
  upstream(host: string, port: number, fd: number | undefined, from: From, on: UpEvents): UpSocket;
}

/** A tproxy listener's needs: options before bind, and the socket replies leave from (bound to the original destination). */
export interface TproxyOptions extends BindOptions {
  transparent?: TransparentConnector;
}

/** `drop` counts datagrams the engine drops (too big to receive whole, or a full send queue). */
export function createTransport(hp: HostPort, engine: DataPlane | undefined, drop: (reason: string) => void, native?: TproxyOptions): Transport {
  // Where the native layer is refused (unknown architecture, musl: main.ts warns once), node:dgram.
  const batched = engine && isIP(hp.host) && nativeRefusal() === undefined;
  if (native && !batched) throw new Error(`tproxy and socket options on UDP need the data plane engine with batched UDP, unavailable here (${nativeRefusal() ?? 'engine not loaded'})`);
  return batched ? engineTransport(hp, engine, drop, native) : dgramTransport(hp);
}

/** A node:dgram socket connected to the server; datagrams sent before the connect completes (name lookup) wait. */
function dgramUp(host: string, port: number, fd: number | undefined, onMessage: (m: Buffer) => void, on: UpEvents): UpSocket {
  const up = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  if (fd !== undefined) up.bind({ fd });
  let queue: Buffer[] | undefined = [];
  up.on('message', onMessage);
  up.on('error', (err: NodeJS.ErrnoException) => on.error(err.code ?? 'unknown'));
  up.connect(port, host, () => {
    const q = queue ?? [];
    queue = undefined;
    for (const b of q) up.send(b);
  });
  return {
    send(parts) {
      if (queue) queue.push(Buffer.concat(parts));
      else up.send(parts as Buffer[]);
    },
    close() { try { up.close(); } catch { /* already closed */ } },
  };
}

function dgramTransport(hp: HostPort): Transport {
  const family = hp.host.includes(':') ? 'udp6' : 'udp4';
  const sock: DgramSocket = createSocket({ type: family, ipv6Only: family === 'udp6' });
  return {
    async bind(onDatagram, onError) {
      sock.on('message', onDatagram);
      sock.on('error', (err) => onError(err.message));
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(hp.port, hp.host, () => { sock.removeListener('error', reject); resolve(); });
      });
    },
    address: () => { try { return sock.address(); } catch { return undefined; } },
    close: () => { try { sock.close(); } catch { /* closed */ } },
    key: (from) => `${(from as RemoteInfo).address}|${(from as RemoteInfo).port}`,
    peer: (from) => from as RemoteInfo,
    destination: () => undefined,
    upstream(host, port, fd, from, on) {
      const { address, port: cport } = from as RemoteInfo;
      return dgramUp(host, port, fd, (m) => { sock.send(m, cport, address); on.reply(m.length); }, on);
    },
  };
}

/**
 * On a tproxy socket a datagram's `From` is its sender's sockaddr and its
 * original destination's, each in 32 bytes of one reused buffer: the session
 * key is then (client, destination), as a client may ask several servers from
 * one port.
 */
const JOINED = 64;
const joined = Buffer.alloc(JOINED);
const joinFrom = (from: Buffer, to: Buffer): Buffer => {
  joined.fill(0);
  from.copy(joined, 0, 0, Math.min(from.length, 32));
  to.copy(joined, 32, 0, Math.min(to.length, 32));
  return joined;
};
/** The sender's sockaddr alone (16 bytes for AF_INET, 28 for AF_INET6). */
const senderOf = (from: Buffer): Buffer => (from.length === JOINED ? from.subarray(0, from.readUInt16LE(0) === 2 ? 16 : 28) : from);

function engineTransport(hp: HostPort, engine: DataPlane, drop: (reason: string) => void, native?: TproxyOptions): Transport {
  const plane = udpPlane(engine);
  const onDrop = (reason: string) => drop(`udp_${reason}`);
  let ep: UdpEndpoint | undefined;
  let addr: AddressInfo | undefined;
  let received: ((data: Buffer, from: From) => void) | undefined;
  /**
   * The socket of a tproxy session on the client's side: bound to the original
   * destination (transparent) and connected to the client, so answers leave
   * from the address the client asked. Being the exact match for the client's
   * 4-tuple, it also receives the session's later datagrams (TPROXY's
   * established lookup, and a `socket transparent` rule, pick it over the
   * listener); they go the listener's way, keyed as if the listener had read
   * them. Null (reported through on.error) when it cannot be made.
   */
  const replySocket = (client: Buffer, dstSa: Buffer, on: UpEvents): UdpEndpoint | null => {
    const dst = parseSockaddr(dstSa);
    const t = native?.transparent ? native.transparent(dst, dst.family === 6 ? 6 : 4, 'udp') : { ok: false as const, message: 'transparent sockets unavailable' };
    if (t.ok && engine.libc.connect(t.fd, client, client.length) < 0) {
      const e = engine.libc.errno();
      engine.close(t.fd);
      queueMicrotask(() => on.error(`tproxy_reply:connect errno ${e}`));
      return null;
    }
    // Its errors (an ICMP port unreachable once the client has gone) end nothing: the session's idle timeout does.
    const r = t.ok ? plane.adopt(t.fd, { onDatagram: (data, from) => received?.(data, joinFrom(from, dstSa)), onError: () => {}, onDrop }) : t;
    if (r.ok) return r.ep;
    queueMicrotask(() => on.error(`tproxy_reply:${r.message}`));
    return null;
  };
  return {
    async bind(onDatagram, onError) {
      received = onDatagram;
      const r = plane.bind(hp.host, hp.port, cluster.isWorker, {
        onDatagram: (data, from, _ep, to) => onDatagram(data, to ? joinFrom(from, to) : from),
        onError,
        onDrop,
      }, native);
      if (!r.ok) throw new Error(r.message);
      ep = r.ep;
      addr = { ...r.address, family: hp.host.includes(':') ? 'IPv6' : 'IPv4' };
    },
    address: () => (ep ? addr : undefined),
    fd: () => ep?.fd ?? -1,
    close: () => { ep?.close(); ep = undefined; },
    // The raw sockaddr is the key: no address formatting per datagram.
    key: (from) => (from as Buffer).toString('latin1'),
    peer: (from) => peerOf(senderOf(from as Buffer)),
    destination: (from) => ((from as Buffer).length === JOINED ? parseSockaddr((from as Buffer).subarray(32)) : undefined),
    upstream(host, port, fd, from, on) {
      const client = Buffer.from(senderOf(from as Buffer)); // the view dies with the batch
      // tproxy: replies leave from the address the client asked (a transparent
      // socket bound to it), so the client sees the answer come from there.
      const reply = (from as Buffer).length === JOINED ? replySocket(client, Buffer.from((from as Buffer).subarray(32, (from as Buffer).readUInt16LE(32) === 2 ? 48 : 60)), on) : undefined;
      if (reply === null) return { send() { /* nothing open */ }, close() { if (fd !== undefined) engine.close(fd); } };
      const back = reply
        ? (m: Buffer) => { reply.send([m]); on.reply(m.length); } // connected to the client
        : (m: Buffer) => { ep?.send([m], client); on.reply(m.length); };
      if (!isIP(host)) return dgramUp(host, port, fd, back, on);
      const r = plane.connect(host, port, { onDatagram: back, onError: (code) => on.error(code), onDrop }, fd);
      if (!r.ok) {
        // Reported like a socket error, after the session exists.
        reply?.close();
        queueMicrotask(() => on.error(r.message));
        return { send() { /* nothing to send on */ }, close() { /* nothing open */ } };
      }
      return { send: (parts) => r.ep.send(parts), close: () => { r.ep.close(); reply?.close(); } };
    },
  };
}
