// Connects to a group: try servers in balancer order until one accepts within
// connect_timeout, up to `tries` servers. Failures feed passive health.
import { connect, type Socket } from 'node:net';
import type { UpstreamGroup } from './group.js';
import type { UpstreamServer } from './server.js';

export type ConnectResult =
  | { ok: true; socket: Socket; server: UpstreamServer }
  | { ok: false; code: 'ERR_NO_UPSTREAM' | 'ERR_UPSTREAM_CONNECT'; tried: string[] };

export interface ConnectOptions {
  clientIp: string;
  /** Creates the socket for transparent mode (bound to the client's address); plain connect otherwise. */
  socketFactory?: (server: UpstreamServer) => Socket | undefined;
  onFailure?: (server: UpstreamServer, err: Error) => void;
}

export async function connectUpstream(group: UpstreamGroup, o: ConnectOptions): Promise<ConnectResult> {
  const tried = new Set<UpstreamServer>();
  const names: string[] = [];
  while (tried.size < group.cfg.tries) {
    const server = group.pick(o.clientIp, tried);
    if (!server) break;
    tried.add(server);
    names.push(server.cfg.address);
    server.active++;
    const r = await attempt(server, group.cfg.connectTimeoutMs, o.socketFactory);
    if (r.ok) {
      server.succeeded();
      return { ok: true, socket: r.socket, server };
    }
    server.active--;
    server.failed(Date.now(), group.cfg.maxFails, group.cfg.failTimeoutMs);
    o.onFailure?.(server, r.err);
  }
  return { ok: false, code: names.length ? 'ERR_UPSTREAM_CONNECT' : 'ERR_NO_UPSTREAM', tried: names };
}

function attempt(server: UpstreamServer, timeoutMs: number, factory?: ConnectOptions['socketFactory']):
  Promise<{ ok: true; socket: Socket } | { ok: false; err: Error }> {
  return new Promise((resolve) => {
    let pre: Socket | undefined;
    try {
      pre = factory?.(server);
    } catch (err) {
      resolve({ ok: false, err: err as Error });
      return;
    }
    const sock = pre
      ? pre.connect({ host: server.cfg.host, port: server.cfg.port })
      : connect({ host: server.cfg.host, port: server.cfg.port, allowHalfOpen: true, noDelay: true });
    const timer = setTimeout(() => fail(new Error(`connect timeout after ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error) {
      clearTimeout(timer);
      sock.removeListener('connect', ok);
      sock.destroy();
      resolve({ ok: false, err });
    }
    function ok() {
      clearTimeout(timer);
      sock.removeListener('error', fail);
      resolve({ ok: true, socket: sock });
    }
    sock.once('connect', ok);
    sock.once('error', fail);
  });
}
