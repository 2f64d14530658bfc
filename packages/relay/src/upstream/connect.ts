// Connects to a group: try servers in balancer order until one accepts within
// connect_timeout, up to `tries` servers. Failures feed passive health.
import { connect, type Socket } from 'node:net';
import type { UpstreamGroup } from './group.js';
import type { UpstreamServer } from './server.js';
import type { DataPlane } from '../dataplane/engine.js';
import type { ProxyAddress } from '../wire/proxy-types.js';

export type ConnectResult =
  | { ok: true; socket: Socket; server: UpstreamServer }
  /** Connected by the data plane engine: a bare fd, no Node socket. */
  | { ok: true; fd: number; server: UpstreamServer }
  | { ok: false; code: 'ERR_NO_UPSTREAM' | 'ERR_UPSTREAM_CONNECT' };

export interface ConnectOptions {
  clientIp: string;
  /** The connection's destination (original_destination groups connect there). */
  dest?: ProxyAddress;
  /** Creates the socket for transparent mode (bound to the client's address); plain connect otherwise. */
  socketFactory?: (server: UpstreamServer) => Socket | undefined;
  onFailure?: (server: UpstreamServer, err: Error) => void;
  /** Connect with the data plane engine where the server is an IP literal. */
  engine?: DataPlane;
  /** With `engine`: makes the fd for transparent mode. */
  fdFactory?: (server: UpstreamServer) => number;
}

const NONE: ReadonlySet<UpstreamServer> = new Set();

/**
 * The servers one connection tries, in balancer order, up to the group's
 * `tries`: each counts as active from its pick; a failure feeds passive health.
 * Shared by the promise path below and the engine's callback path
 * (handlers/proxy.ts), so both follow one rule.
 */
export class Attempts {
  /** The server being tried (after next()). */
  current: UpstreamServer | undefined;
  count = 0;
  /** Built at the second try: the first needs no set. */
  private tried: Set<UpstreamServer> | undefined;

  constructor(readonly group: UpstreamGroup, readonly clientIp: string, readonly dest?: ProxyAddress) {}

  next(): UpstreamServer | undefined {
    if (this.current) (this.tried ??= new Set()).add(this.current);
    this.current = undefined;
    if (this.count >= this.group.cfg.tries) return undefined;
    const s = this.group.pick(this.clientIp, this.tried ?? NONE, Date.now(), this.dest);
    this.current = s;
    if (!s) return undefined;
    this.count++;
    s.active++;
    return s;
  }

  failed(s: UpstreamServer): void {
    s.active--;
    s.failed(Date.now(), this.group.cfg.maxFails, this.group.cfg.failTimeoutMs);
  }

  /** The failure code once next() gave nothing. */
  get code(): 'ERR_NO_UPSTREAM' | 'ERR_UPSTREAM_CONNECT' {
    return this.count ? 'ERR_UPSTREAM_CONNECT' : 'ERR_NO_UPSTREAM';
  }
}

export async function connectUpstream(group: UpstreamGroup, o: ConnectOptions): Promise<ConnectResult> {
  const at = new Attempts(group, o.clientIp, o.dest);
  for (let server = at.next(); server; server = at.next()) {
    const r = (o.engine && engineAttempt(o.engine, server, group.cfg.connectTimeoutMs, o.fdFactory)) || attempt(server, group.cfg.connectTimeoutMs, o.socketFactory);
    const got = await r;
    if (got.ok) {
      server.succeeded();
      return 'fd' in got ? { ok: true, fd: got.fd, server } : { ok: true, socket: got.socket, server };
    }
    at.failed(server);
    o.onFailure?.(server, got.err);
  }
  return { ok: false, code: at.code };
}

function engineAttempt(engine: DataPlane, server: UpstreamServer, timeoutMs: number, factory?: ConnectOptions['fdFactory']) {
  if (!server.sockaddr) return undefined; // names go through Node's resolver
  let fd: number | undefined;
  try {
    fd = factory?.(server);
  } catch (err) {
    return Promise.resolve({ ok: false as const, err: err as Error });
  }
  const sa = server.sockaddr;
  return new Promise<{ ok: true; fd: number } | { ok: false; err: Error }>((resolve) => {
    const failed = engine.connectTo(sa, timeoutMs, { connected: (upFd, failure) => resolve(failure === undefined ? { ok: true, fd: upFd } : { ok: false, err: new Error(failure) }) }, fd);
    if (failed !== undefined) resolve({ ok: false, err: new Error(failed) });
  });
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
