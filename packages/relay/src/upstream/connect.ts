// Connects to a group: try servers in balancer order until one accepts within
// connect_timeout, up to `tries` servers. Failures feed passive health.
import { connect, isIP, type Socket } from 'node:net';
import type { UpstreamGroup } from './group.js';
import type { UpstreamServer } from './server.js';
import type { DataPlane } from '../dataplane/engine.js';

export type ConnectResult =
  | { ok: true; socket: Socket; server: UpstreamServer }
  /** Connected by the data plane engine: a bare fd, no Node socket. */
  | { ok: true; fd: number; server: UpstreamServer }
  | { ok: false; code: 'ERR_NO_UPSTREAM' | 'ERR_UPSTREAM_CONNECT'; tried: string[] };

export interface ConnectOptions {
  clientIp: string;
  /** Creates the socket for transparent mode (bound to the client's address); plain connect otherwise. */
  socketFactory?: (server: UpstreamServer) => Socket | undefined;
  onFailure?: (server: UpstreamServer, err: Error) => void;
  /** Connect with the data plane engine where the server is an IP literal. */
  engine?: DataPlane;
  /** With `engine`: makes the fd for transparent mode. */
  fdFactory?: (server: UpstreamServer) => number;
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
    const r = (o.engine && engineAttempt(o.engine, server, group.cfg.connectTimeoutMs, o.fdFactory)) || attempt(server, group.cfg.connectTimeoutMs, o.socketFactory);
    const got = await r;
    if (got.ok) {
      server.succeeded();
      return 'fd' in got ? { ok: true, fd: got.fd, server } : { ok: true, socket: got.socket, server };
    }
    const err = got.err;
    server.active--;
    server.failed(Date.now(), group.cfg.maxFails, group.cfg.failTimeoutMs);
    o.onFailure?.(server, err);
  }
  return { ok: false, code: names.length ? 'ERR_UPSTREAM_CONNECT' : 'ERR_NO_UPSTREAM', tried: names };
}

function engineAttempt(engine: DataPlane, server: UpstreamServer, timeoutMs: number, factory?: ConnectOptions['fdFactory']) {
  if (!isIP(server.cfg.host)) return undefined; // names go through Node's resolver
  let fd: number | undefined;
  try {
    fd = factory?.(server);
  } catch (err) {
    return Promise.resolve({ ok: false as const, err: err as Error });
  }
  return engine.connect(server.cfg.host, server.cfg.port, timeoutMs, fd);
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
