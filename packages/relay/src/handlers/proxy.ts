// The proxy handler: connect to the route's upstream group, send the PROXY
// header (whole, in the same write as the bytes already read), then pipe() both
// ways. pipe() gives backpressure in both directions; allowHalfOpen on both
// sockets lets one direction finish (FIN) while the other keeps flowing.
import { Socket } from 'node:net';
import type { ConnInfo } from '../connection.js';
import type { ListenerRuntime, Snapshot } from '../listen/runtime.js';
import type { UpstreamGroup } from '../upstream/group.js';
import { connectUpstream } from '../upstream/connect.js';
import { buildProxyHeader } from './proxy-header-out.js';

export async function proxyConnection(sock: Socket, rt: ListenerRuntime, snap: Snapshot, info: ConnInfo, group: UpstreamGroup, first: Buffer): Promise<void> {
  const client = info.proxied ?? info.client;
  const r = await connectUpstream(group, {
    clientIp: client.address,
    onFailure: (server, err) => {
      rt.metrics.upstreamFailures.inc([group.cfg.name, server.cfg.address]);
      rt.log.warn({ upstream: server.cfg.address, err: err.message }, 'upstream connect failed');
    },
    socketFactory: group.cfg.transparent ? transparentFactory(rt, client) : undefined,
  });
  if (!r.ok) {
    info.reason = r.code === 'ERR_NO_UPSTREAM' ? 'no_upstream' : 'upstream_connect_failed';
    rt.metrics.errors.inc([rt.name, info.reason]);
    sock.destroy();
    return;
  }
  const up = r.socket;
  const server = r.server;
  info.upstream = server.cfg.address;
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
  const header = buildProxyHeader(group.cfg, info);
  const head = header ? (first.length ? Buffer.concat([header, first]) : header) : first;
  if (head.length) up.write(head);
  sock.setTimeout(snap.listener.idleTimeoutMs, () => {
    info.reason = 'idle_timeout';
    sock.destroy();
    up.destroy();
  });
  sock.pipe(up);
  up.pipe(sock);
}

function transparentFactory(rt: ListenerRuntime, client: ConnInfo['client']) {
  return (): Socket | undefined => {
    if (!rt.transparent) throw new Error('transparent mode is not available (see log at start)');
    const r = rt.transparent(client, client.family, 'tcp');
    if (!r.ok) throw new Error(r.message);
    return new Socket({ fd: r.fd, allowHalfOpen: true, readable: true, writable: true });
  };
}
