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
import { udpPlane, peerOf, type UdpEndpoint } from '../dataplane/udp.js';

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
  /** A socket connected to host:port (on `fd` from the transparent connector) whose replies go back to `from`. */
  upstream(host: string, port: number, fd: number | undefined, from: From, on: UpEvents): UpSocket;
}

/** `drop` counts datagrams the engine drops (too big to receive whole, or a full send queue). */
export function createTransport(hp: HostPort, engine: DataPlane | undefined, drop: (reason: string) => void): Transport {
  // Where the native layer is refused (unknown architecture, musl: main.ts warns once), node:dgram.
  return engine && isIP(hp.host) && nativeRefusal() === undefined ? engineTransport(hp, engine, drop) : dgramTransport(hp);
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
    upstream(host, port, fd, from, on) {
      const { address, port: cport } = from as RemoteInfo;
      return dgramUp(host, port, fd, (m) => { sock.send(m, cport, address); on.reply(m.length); }, on);
    },
  };
}

function engineTransport(hp: HostPort, engine: DataPlane, drop: (reason: string) => void): Transport {
  const plane = udpPlane(engine);
  const onDrop = (reason: string) => drop(`udp_${reason}`);
  let ep: UdpEndpoint | undefined;
  let addr: AddressInfo | undefined;
  return {
    async bind(onDatagram, onError) {
      const r = plane.bind(hp.host, hp.port, cluster.isWorker, {
        onDatagram: (data, from) => onDatagram(data, from),
        onError,
        onDrop,
      });
      if (!r.ok) throw new Error(r.message);
      ep = r.ep;
      addr = { ...r.address, family: hp.host.includes(':') ? 'IPv6' : 'IPv4' };
    },
    address: () => (ep ? addr : undefined),
    close: () => { ep?.close(); ep = undefined; },
    // The raw sockaddr is the key: no address formatting per datagram.
    key: (from) => (from as Buffer).toString('latin1'),
    peer: (from) => peerOf(from as Buffer),
    upstream(host, port, fd, from, on) {
      const client = Buffer.from(from as Buffer); // the view dies with the batch
      const back = (m: Buffer) => { ep?.send([m], client); on.reply(m.length); };
      if (!isIP(host)) return dgramUp(host, port, fd, back, on);
      const r = plane.connect(host, port, { onDatagram: back, onError: (code) => on.error(code), onDrop }, fd);
      if (!r.ok) {
        // Reported like a socket error, after the session exists.
        queueMicrotask(() => on.error(r.message));
        return { send() { /* nothing to send on */ }, close() { /* nothing open */ } };
      }
      return { send: (parts) => r.ep.send(parts), close: () => r.ep.close() };
    },
  };
}
