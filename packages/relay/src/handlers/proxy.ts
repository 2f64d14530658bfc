// The proxy handler: connect to the route's upstream group, send the PROXY
// header (whole, in the same write as the bytes already read), then move bytes
// both ways: in the data plane engine when it is loaded (both fds leave Node),
// else by pipe(). Both give backpressure in both directions and half-close (one
// direction finishes with FIN while the other keeps flowing).
import { Socket } from 'node:net';
import { finishConnection, noteInternalError, type ConnControl, type ConnInfo } from '../connection.js';
import type { ListenerRuntime, Snapshot } from '../listen/runtime.js';
import type { UpstreamGroup } from '../upstream/group.js';
import type { UpstreamServer } from '../upstream/server.js';
import { Attempts, connectUpstream, type ConnectResult } from '../upstream/connect.js';
import type { ConnectWaiter, PlaneConn, PlaneOptions, PlaneStats } from '../dataplane/engine.js';
import { buildProxyHeader } from './proxy-header-out.js';
import { upstreamSocketFd } from '../upstream/upstream-socket.js';

export async function proxyConnection(sock: Socket, rt: ListenerRuntime, snap: Snapshot, info: ConnInfo, ctl: ConnControl, group: UpstreamGroup, first: Buffer): Promise<void> {
  const r = await connectFor(rt, info, group, !sock.destroyed);
  if (!r.ok) {
    sock.destroy();
    return;
  }
  const server = r.server;
  info.upstream = server.cfg.address;
  const header = buildProxyHeader(group.cfg, info);
  const head = header ? (first.length ? Buffer.concat([header, first]) : header) : first;
  if ('fd' in r) {
    if (!sock.destroyed && handOver(sock, r.fd, rt, snap, info, ctl, head, () => server.active--)) return;
    rt.dataPlane!.closeFd(r.fd);
    server.active--;
    sock.destroy();
    return;
  }
  const up = r.socket;
  let upClosed = false;
  up.once('close', () => {
    upClosed = true;
    server.active--;
  });
  if (sock.destroyed) {
    up.destroy();
    return;
  }
  up.on('error', (err: NodeJS.ErrnoException) => {
    if (info.reason === 'done') info.reason = `upstream_error:${err.code ?? 'unknown'}`;
    sock.destroy();
  });
  // An error on the client side ends the upstream too; a clean close of one side
  // does not, so bytes still queued toward the other side are delivered.
  sock.on('error', () => up.destroy());
  sock.once('close', (hadError) => { if (hadError && !upClosed) up.destroy(); });
  if (head.length) up.write(head);
  sock.setTimeout(snap.listener.idleTimeoutMs, () => {
    info.reason = 'idle_timeout';
    sock.destroy();
    up.destroy();
  });
  sock.pipe(up);
  up.pipe(sock);
}

/**
 * The same handler for a connection the engine accepted: client and upstream
 * are bare fds throughout. One object per connection is its drain entry (in
 * rt.open), the engine's connect waiter and the owner of its relayed link: no
 * promise, timer or closure per connection. Short connections per second are
 * made of such costs: the async version's frames, promises and closures were
 * ~4 KB of the 5.4 KB a connection allocated, and the scavenger a quarter of
 * the relay's user time (bench:relay, perf and an inspector allocation profile).
 */
export class AcceptedProxy implements ConnectWaiter, PlaneOptions {
  readonly ownClient = true;
  headToUpstream: Buffer | undefined;
  readonly idleMs: number;
  private attempts: Attempts | undefined;
  private link: PlaneConn | undefined;
  /** Drain reached its deadline (or a bug ended it) while connecting: closed when the connect ends. */
  private gone = false;
  private finished = false;

  constructor(readonly fd: number, readonly rt: ListenerRuntime, snap: Snapshot, readonly info: ConnInfo) {
    this.idleMs = snap.listener.idleTimeoutMs;
  }

  /** The drain deadline (rt.open entries). */
  destroy(): void {
    if (this.link) this.link.destroy('drain_timeout');
    else this.gone = true;
  }

  /** Closes the client (nothing was relayed) and ends the connection with `reason`, counted as an error unless told. */
  refuse(reason: string, counted = true): void {
    this.info.reason = reason;
    if (counted) this.rt.metrics.errors.inc2(this.rt.name, reason);
    this.end();
  }

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    this.rt.dataPlane!.closeFd(this.fd);
    finishConnection(this.rt, this, this.info, 0, 0);
  }

  /** An exception on this connection's path: it ends (`internal_error`), the process goes on. */
  abort(err: unknown): void {
    noteInternalError(this.rt, err);
    if (this.link) return this.link.destroy('internal_error');
    this.info.reason = 'internal_error';
    this.gone = true; // a connect still pending closes its socket when it ends
    this.end();
  }

  start(group: UpstreamGroup): void {
    this.attempts = new Attempts(group, this.info.client.address, this.info.destination);
    this.tryNext();
  }

  private tryNext(): void {
    const at = this.attempts!;
    const group = at.group;
    for (let s = at.next(); s; s = at.next()) {
      let fd: number | undefined;
      let failure: string | undefined;
      try {
        if (group.cfg.transparent || group.cfg.socket) fd = upstreamSocketFd(this.rt, group.cfg, this.info.client, s);
      } catch (err) {
        failure = (err as Error).message;
      }
      failure ??= this.rt.dataPlane!.connectTo(s.sockaddr!, group.cfg.connectTimeoutMs, this, fd);
      if (failure === undefined) return; // connected() comes from the loop
      this.attemptFailed(failure);
    }
    this.refuse(failureReason(at.code));
  }

  private attemptFailed(failure: string): void {
    const at = this.attempts!;
    const s = at.current!;
    at.failed(s);
    noteConnectFailure(this.rt, at.group, s, failure);
  }

  connected(upFd: number, failure: string | undefined): void {
    if (failure !== undefined) {
      try {
        this.attemptFailed(failure);
        this.tryNext();
      } catch (err) {
        this.abort(err);
      }
      return;
    }
    const at = this.attempts!;
    const server = at.current!;
    server.succeeded();
    if (this.gone) {
      server.active--;
      this.rt.dataPlane!.closeFd(upFd);
      return this.end();
    }
    try {
      this.info.upstream = server.cfg.address;
      this.headToUpstream = buildProxyHeader(at.group.cfg, this.info);
      this.link = this.rt.dataPlane!.attach(this.fd, upFd, this);
    } catch (err) {
      if (!this.link) { server.active--; this.rt.dataPlane!.closeFd(upFd); }
      return this.abort(err);
    }
    if (!this.link) { server.active--; this.finished = true; finishConnection(this.rt, this, this.info, 0, 0); }
  }

  /** The link's end (PlaneOptions). */
  onClose(s: PlaneStats): void {
    this.finished = true;
    this.attempts!.current!.active--;
    this.info.reason = s.reason;
    finishConnection(this.rt, this, this.info, s.toUpstream, s.toClient);
  }
}

/** A failed connect to one server: counted and logged (the next server may still answer). */
function noteConnectFailure(rt: ListenerRuntime, group: UpstreamGroup, server: UpstreamServer, message: string): void {
  rt.metrics.upstreamFailures.inc2(group.cfg.name, server.cfg.address);
  rt.log.warn({ upstream: server.cfg.address, err: message }, 'upstream connect failed');
}

/** Connects to the group for this client (by the engine when `engine`); a failure sets the reason and counts it. */
async function connectFor(rt: ListenerRuntime, info: ConnInfo, group: UpstreamGroup, engine: boolean): Promise<ConnectResult> {
  const client = info.proxied ?? info.client;
  const r = await connectUpstream(group, {
    clientIp: client.address,
    dest: info.destination,
    onFailure: (server, err) => noteConnectFailure(rt, group, server, err.message),
    socketFactory: group.cfg.transparent || group.cfg.socket ? transparentFactory(rt, group, client) : undefined,
    // The engine connects by itself (no Node socket to build and tear down).
    engine: engine ? rt.dataPlane : undefined,
    fdFactory: group.cfg.transparent || group.cfg.socket ? (server) => upstreamSocketFd(rt, group.cfg, client, server)! : undefined,
  });
  if (!r.ok) {
    info.reason = failureReason(r.code);
    rt.metrics.errors.inc2(rt.name, info.reason);
  }
  return r;
}

const fdOf = (s: Socket): number => (s as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;

/** Everything a paused socket has read but nobody consumed yet. */
function unread(s: Socket): Buffer | undefined {
  const chunks: Buffer[] = [];
  for (let b: Buffer | null; (b = s.read() as Buffer | null) !== null;) chunks.push(b);
  return chunks.length ? Buffer.concat(chunks) : undefined;
}

/** Gives the client socket and the connected upstream fd to the data plane engine; false if it cannot take them. */
function handOver(sock: Socket, upFd: number, rt: ListenerRuntime, snap: Snapshot, info: ConnInfo, ctl: ConnControl, head: Buffer, release: () => void): boolean {
  const cfd = fdOf(sock);
  if (cfd < 0) return false;
  // Runs in one macrotask: libuv cannot read more into the socket before it is destroyed below.
  const extra = unread(sock);
  const before = sock.bytesRead;
  const k = rt.dataPlane!.attach(cfd, upFd, {
    headToUpstream: extra ? Buffer.concat([head, extra]) : head,
    idleMs: snap.listener.idleTimeoutMs,
    onClose: (s) => {
      release();
      info.reason = s.reason;
      info.bytesIn = before + s.toUpstream;
      info.bytesOut = s.toClient;
      ctl.finish();
    },
  });
  if (!k) return false;
  ctl.detached = true;
  ctl.entry.destroy = () => k.destroy('drain_timeout');
  sock.destroy();
  return true;
}

/** The close reason of a connection no server took. */
const failureReason = (code: 'ERR_NO_UPSTREAM' | 'ERR_UPSTREAM_CONNECT'): string => (code === 'ERR_NO_UPSTREAM' ? 'no_upstream' : 'upstream_connect_failed');

/** A Node socket over the fd upstreamSocketFd made (transparent and/or socket options). */
function transparentFactory(rt: ListenerRuntime, group: UpstreamGroup, client: ConnInfo['client']) {
  return (server: UpstreamServer): Socket => new Socket({ fd: upstreamSocketFd(rt, group.cfg, client, server)!, allowHalfOpen: true, readable: true, writable: true });
}
