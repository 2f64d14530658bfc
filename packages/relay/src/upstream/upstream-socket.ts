// The socket an upstream connect starts from when the group needs more than a
// plain socket: bound to the client's address (transparent), and/or carrying
// the group's socket options (set before connect, so TCP_FASTOPEN_CONNECT,
// the mark and the congestion control apply from the SYN on). Undefined when
// neither is asked: the engine (or Node) makes a plain socket itself.
import type { UpstreamConfig } from '../config.js';
import type { ListenerRuntime } from '../listen/runtime.js';
import { K } from '@geoedge/linux';
import { applySocketOptions } from '../native/sockopts.js';
import type { ProxyAddress } from '../wire/proxy-types.js';
import type { UpstreamServer } from './server.js';

const { AF_INET, AF_INET6, SOCK_STREAM, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_CLOEXEC } = K;

/** Throws with the reason when the socket cannot be made. */
export function upstreamSocketFd(rt: ListenerRuntime, cfg: UpstreamConfig, client: ProxyAddress, server: UpstreamServer): number | undefined {
  const c = rt.dataPlane?.libc;
  if (cfg.socket && !c) throw new Error('socket options need the data plane engine, which is unavailable');
  let fd: number | undefined;
  if (cfg.transparent) {
    if (!rt.transparent) throw new Error('transparent mode is not available (see log at start)');
    const r = rt.transparent(client, client.family, 'tcp');
    if (!r.ok) throw new Error(r.message);
    fd = r.fd;
  }
  if (!cfg.socket || !c) return fd;
  const v6 = (server.sockaddr?.length ?? 16) === 28;
  fd ??= c.socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) as number;
  if (fd < 0) throw new Error(`socket: errno ${c.errno()}`);
  const failed = applySocketOptions(c, fd, v6, cfg.socket, true);
  if (failed) { c.close(fd); throw new Error(failed); }
  return fd;
}


/**
 * A UDP session's upstream socket with the group's options (mark, tos, buffers;
 * the TCP ones do not apply): `fd` (transparent) or a new one.
 */
export function upstreamUdpFd(rt: ListenerRuntime, cfg: UpstreamConfig, server: UpstreamServer, fd: number | undefined): { ok: true; fd: number | undefined } | { ok: false; message: string } {
  if (!cfg.socket) return { ok: true, fd };
  const c = rt.dataPlane?.libc;
  if (!c) return { ok: false, message: 'socket options need the data plane engine, which is unavailable' };
  const v6 = (server.sockaddr?.length ?? 16) === 28;
  const s = fd ?? (c.socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) as number);
  if (s < 0) return { ok: false, message: `socket: errno ${c.errno()}` };
  const failed = applySocketOptions(c, s, v6, cfg.socket, false);
  if (failed) { c.close(s); return { ok: false, message: failed }; }
  return { ok: true, fd: s };
}
