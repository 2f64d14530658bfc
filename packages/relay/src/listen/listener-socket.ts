// What a listener's own socket needs beyond bind/listen: IP_TRANSPARENT for
// tproxy, and its socket options, set before bind through the native layer
// (accepted sockets inherit them); and the listener's first log line, which
// reports what the kernel holds (getsockopt) and the upstream groups' options.
import type { ListenerConfig } from '../config.js';
import { describeSocketOptions } from '../config-socket.js';
import type { Libc } from '@geoedge/linux';
import { applySocketOptions, readSocketOptions, setTproxy } from '../native/sockopts.js';
import type { ListenerRuntime } from './runtime.js';

/** Needs the native layer: tproxy or socket options. */
export const needsNative = (l: ListenerConfig): boolean => l.tproxy || l.socket !== undefined;

/** The engine's `prepare` hook for this listener's sockets; undefined when there is nothing to set. */
export function listenerPrepare(c: Libc, l: ListenerConfig): ((fd: number, v6: boolean) => string | undefined) | undefined {
  if (!needsNative(l)) return undefined;
  const tcp = l.protocol === 'tcp';
  return (fd, v6) => (l.tproxy ? setTproxy(c, fd, v6, !tcp) : undefined) ?? (l.socket ? applySocketOptions(c, fd, v6, l.socket, tcp) : undefined);
}

/** The listener's first log line, once per bound address. */
export function logListening(rt: ListenerRuntime, c: Libc | undefined, fd: number, address: { address: string; port: number }): void {
  const l = rt.snapshot.listener;
  const line: Record<string, unknown> = { protocol: l.protocol, address: `${address.address}:${address.port}`, tproxy: l.tproxy };
  if (l.socket && c) line.socket = readSocketOptions(c, fd, address.address.includes(':'), l.socket, l.protocol === 'tcp');
  const ups: Record<string, unknown> = {};
  for (const r of l.routes) {
    if (r.handler.kind !== 'proxy') continue;
    const g = rt.snapshot.groups.get(r.handler.upstream)?.cfg;
    if (g?.socket) ups[g.name] = describeSocketOptions(g.socket);
  }
  if (Object.keys(ups).length) line.upstream_socket = ups;
  rt.log.info(line, 'listener');
}
