// A bound TCP address. Several addresses of one listener share its runtime;
// the runtime's plane (engine or streams, chosen once at start) accepts.
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { HostPort } from '@geoedge/shared';
import { acceptTcp } from '../connection.js';
import type { ListenerRuntime } from './runtime.js';
import type { BoundListener } from '../dataplane/plane.js';
import { listenerPrepare, logListening, needsNative } from './listener-socket.js';

export interface BoundSocket {
  readonly key: string;
  start(): Promise<void>;
  /** Stops accepting; open connections are left alone. */
  close(): Promise<void>;
  address(): AddressInfo | undefined;
  /** Later connections go to `rt` (the address moved to another listener on reload); TCP only. */
  retarget?(rt: ListenerRuntime): void;
}

/**
 * Cluster workers each bind their own socket with SO_REUSEPORT on the engine
 * (the kernel spreads connections between them); Node's cluster shares one
 * with the streams plane.
 */
export function createTcpBound(hp: HostPort, rt: ListenerRuntime): BoundSocket {
  const plane = rt.tcp;
  let bound: BoundListener | undefined;
  return {
    retarget(next) { rt = next; },
    key: `tcp ${hp.host} ${hp.port}`,
    async start() {
      const l = rt.snapshot.listener;
      // tproxy and socket options are set on the listening socket before bind, through the engine's libc.
      const libc = rt.dataPlane?.libc;
      if (needsNative(l) && (!libc || plane.kind !== 'engine')) throw new Error('tproxy and socket options need the data plane engine, which is unavailable (see the "data plane engine unavailable" warning)');
      const prepare = libc && listenerPrepare(libc, l);
      bound = await plane.listen(hp, {
        reusePort: cluster.isWorker,
        ...(prepare ? { prepare } : {}),
        // tproxy: each connection's local address is its original destination (getsockname per accept).
        localPerConnection: l.tproxy,
        onAccept: (client, peer, local) => acceptTcp(plane, client, peer, local, rt),
        onError: (message) => rt.log.error({ err: message }, 'listener error'),
      });
      if (libc && bound.fd !== undefined) logListening(rt, libc, bound.fd, bound.address);
    },
    async close() {
      bound?.close();
      bound = undefined;
    },
    address() {
      const a = bound?.address;
      return a && { address: a.address, port: a.port, family: a.family === 6 ? 'IPv6' : 'IPv4' };
    },
  };
}
