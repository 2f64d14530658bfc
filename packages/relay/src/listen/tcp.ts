// A bound TCP address. Several addresses of one listener share its runtime.
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { HostPort } from '@geoedge/shared';
import { handleTcpConnection } from '../connection.js';
import type { ListenerRuntime } from './runtime.js';

export interface BoundSocket {
  readonly key: string;
  start(): Promise<void>;
  /** Stops accepting; open connections are left alone. */
  close(): Promise<void>;
  address(): AddressInfo | undefined;
}

export function createTcpBound(hp: HostPort, rt: ListenerRuntime): BoundSocket {
  let server: Server | undefined;
  return {
    key: `tcp ${hp.host} ${hp.port}`,
    async start() {
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
