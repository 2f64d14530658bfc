// A bound TCP address. Several addresses of one listener share its runtime.
import cluster from 'node:cluster';
import { createServer, isIP, type AddressInfo, type Server } from 'node:net';
import type { HostPort } from '@geoedge/shared';
import { handleAccepted, handleTcpConnection } from '../connection.js';
import type { ListenerRuntime } from './runtime.js';
import type { ProxyAddress } from '../wire/proxy-types.js';
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

export function createTcpBound(hp: HostPort, rt: ListenerRuntime): BoundSocket {
  if (rt.dataPlane && isIP(hp.host)) return createEngineBound(hp, rt);
  let server: Server | undefined;
  return {
    retarget(next) { rt = next; },
    key: `tcp ${hp.host} ${hp.port}`,
    async start() {
      if (needsNative(rt.snapshot.listener)) throw new Error('tproxy and socket options need the data plane engine, which is unavailable (see the "data plane engine unavailable" warning)');
      // allowHalfOpen: a client's FIN only ends its direction (half-close).
      // pauseOnConnect: nothing is read until a route needs bytes; a connection
      // routed at once goes to the data plane engine without Node ever reading it.
      server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (sock) => handleTcpConnection(sock, rt));
      server.on('error', (err) => rt.log.error({ err }, 'listener error'));
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        // ipv6Only so "[::]:443" and "0.0.0.0:443" can both be listed, as in nginx.
        server!.listen({ host: hp.host, port: hp.port, backlog: 4096, ipv6Only: hp.host.includes(':') }, () => {
          server!.removeListener('error', reject);
          resolve();
        });
      });
    },
    async close() {
      // server.close() stops listening at once but calls back only when every
      // connection has ended; connections are drained by the app, so do not wait.
      server?.close();
    },
    address: () => (server?.address() as AddressInfo | null) ?? undefined,
  };
}

/**
 * The data plane engine accepts: no Node socket for a connection that a route
 * takes at once (the cost that limits short connections per second). Cluster
 * workers each bind their own socket with SO_REUSEPORT, and the kernel spreads
 * connections between them.
 */
function createEngineBound(hp: HostPort, rt: ListenerRuntime): BoundSocket {
  const plane = rt.dataPlane!;
  let fd = -1;
  let addr: AddressInfo | undefined;
  let local: ProxyAddress | undefined;
  return {
    retarget(next) { rt = next; },
    key: `tcp ${hp.host} ${hp.port}`,
    async start() {
      const l = rt.snapshot.listener;
      const r = plane.listen(hp.host, hp.port, {
        reusePort: cluster.isWorker,
        prepare: listenerPrepare(plane.libc, l),
        onAccept: (cfd, peer) => handleAccepted(cfd, peer, rt, local),
        onError: (message) => rt.log.error({ err: message }, 'listener error'),
      });
      if (!r.ok) throw new Error(r.message);
      fd = r.fd;
      // A specific address is every connection's local address: no getsockname per accept.
      // Not on a tproxy listener: there it is the original destination, different per connection.
      local = hp.host === '0.0.0.0' || hp.host === '::' || l.tproxy ? undefined : r.address;
      logListening(rt, plane.libc, fd, r.address);
      addr = { address: r.address.address, port: r.address.port, family: r.address.family === 6 ? 'IPv6' : 'IPv4' };
    },
    async close() {
      if (fd >= 0) plane.unlisten(fd);
      fd = -1;
    },
    address: () => (fd >= 0 ? addr : undefined),
  };
}
