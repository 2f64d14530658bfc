// The proxy handler: connect to the route's upstream group, send the PROXY
// header (whole, in the same write as the bytes already read), then move bytes
// both ways: in the data plane engine when it is loaded (both fds leave Node),
// else by pipe(). Both give backpressure in both directions and half-close (one
// direction finishes with FIN while the other keeps flowing).
import { Socket } from 'node:net';
import type { ConnControl, ConnInfo } from '../connection.js';
import type { ListenerRuntime, Snapshot } from '../listen/runtime.js';
import type { UpstreamGroup } from '../upstream/group.js';
import { connectUpstream, type ConnectResult } from '../upstream/connect.js';
import { buildProxyHeader } from './proxy-header-out.js';

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

/** The same handler for a connection the engine accepted: client and upstream are bare fds throughout. */
export async function proxyAccepted(fd: number, rt: ListenerRuntime, snap: Snapshot, info: ConnInfo, ctl: ConnControl, group: UpstreamGroup): Promise<void> {
  const plane = rt.dataPlane!;
  let gone = false;
  ctl.entry.destroy = () => { gone = true; }; // drain deadline while connecting: closed below
  const r = await connectFor(rt, info, group, true);
  // Only groups of IP addresses come here (handleAccepted), so an ok result is an fd.
  if (!r.ok || !('fd' in r) || gone) {
    if (r.ok) {
      r.server.active--;
      if ('fd' in r) plane.closeFd(r.fd); else r.socket.destroy();
    }
    plane.closeFd(fd);
    return ctl.finish();
  }
  const server = r.server;
  info.upstream = server.cfg.address;
  const header = buildProxyHeader(group.cfg, info);
  const k = plane.attach(fd, r.fd, {
    ownClient: true,
    headToUpstream: header,
    idleMs: snap.listener.idleTimeoutMs,
    onClose: (s) => {
      server.active--;
      info.reason = s.reason;
      info.bytesIn = s.toUpstream;
      info.bytesOut = s.toClient;
      ctl.finish();
    },
  });
  if (!k) { server.active--; return ctl.finish(); }
  ctl.entry.destroy = () => k.destroy('drain_timeout');
}

/** Connects to the group for this client (by the engine when `engine`); a failure sets the reason and counts it. */
async function connectFor(rt: ListenerRuntime, info: ConnInfo, group: UpstreamGroup, engine: boolean): Promise<ConnectResult> {
  const client = info.proxied ?? info.client;
  const r = await connectUpstream(group, {
    clientIp: client.address,
    onFailure: (server, err) => {
      rt.metrics.upstreamFailures.inc([group.cfg.name, server.cfg.address]);
      rt.log.warn({ upstream: server.cfg.address, err: err.message }, 'upstream connect failed');
    },
    socketFactory: group.cfg.transparent ? transparentFactory(rt, client) : undefined,
    // The engine connects by itself (no Node socket to build and tear down).
    engine: engine ? rt.dataPlane : undefined,
    fdFactory: group.cfg.transparent ? transparentFd(rt, client) : undefined,
  });
  if (!r.ok) {
    info.reason = r.code === 'ERR_NO_UPSTREAM' ? 'no_upstream' : 'upstream_connect_failed';
    rt.metrics.errors.inc([rt.name, info.reason]);
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

function transparentFd(rt: ListenerRuntime, client: ConnInfo['client']) {
  return (): number => {
    if (!rt.transparent) throw new Error('transparent mode is not available (see log at start)');
    const r = rt.transparent(client, client.family, 'tcp');
    if (!r.ok) throw new Error(r.message);
    return r.fd;
  };
}

function transparentFactory(rt: ListenerRuntime, client: ConnInfo['client']) {
  const fd = transparentFd(rt, client);
  return (): Socket => new Socket({ fd: fd(), allowHalfOpen: true, readable: true, writable: true });
}
