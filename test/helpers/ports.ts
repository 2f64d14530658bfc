// Free loopback ports, checked free for both UDP and TCP (DNS needs both).
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

function tcpFree(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen({ host, port, exclusive: true }, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    sock.once('error', () => { sock.close(); resolve(false); });
    sock.bind(port, host, () => sock.close(() => resolve(true)));
  });
}

/** True when `port` is free on `host` for both TCP and UDP right now. */
export async function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return (await tcpFree(host, port)) === port && (await udpFree(host, port));
}

// Ports handed out in this process, so two helpers never get the same one
// before either has bound it.
const handedOut = new Set<number>();

/** A port free on `host` for TCP and UDP at the time of the call. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await tcpFree(host, 0);
    if (port === undefined || handedOut.has(port)) continue;
    if (await udpFree(host, port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free TCP+UDP port on ${host}`);
}
