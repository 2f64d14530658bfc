// What every connection and UDP session shares at its end: what its access log
// line says (ConnInfo), the one line and its metrics, the internal-error rule.
import { isIP } from 'node:net';
import { normalizeIp } from './net/cidr.js';
import { removeClient, type ListenerRuntime } from './listen/runtime.js';
import type { ProxyAddress } from './wire/proxy-types.js';

/** What the access log line says about a connection; filled as it goes. */
export interface ConnInfo {
  start: number;
  client: ProxyAddress;
  /** Set when a PROXY header named another client. */
  proxied?: ProxyAddress | undefined;
  /** The address the client connected to (from the PROXY header when present). */
  destination: ProxyAddress;
  sni?: string | undefined;
  alpn?: string[] | undefined;
  route?: number | undefined;
  upstream?: string | undefined;
  reason: string;
  /** The address counted against max_per_client, once counted. */
  counted?: string | undefined;
}

/** A socket's address as the relay writes it (IPv4-mapped IPv6 as IPv4). */
export function addressOf(ip: string | undefined, port: number | undefined): ProxyAddress {
  const a = normalizeIp(ip ?? '0.0.0.0');
  return { family: isIP(a) === 6 ? 6 : 4, address: a, port: port ?? 0 };
}

/**
 * A bug met on one connection's path (an exception where none was expected):
 * that connection ends with reason `internal_error`, counted in
 * relay_errors_total{code="internal_error"} and logged with its stack (at most
 * one line a second per listener, with the number left out), and the process
 * keeps serving everyone else. Nothing a client or a trusted peer sends may
 * take the relay down.
 */
export function noteInternalError(rt: ListenerRuntime, err: unknown, count = true): void {
  if (count) rt.metrics.errors.inc2(rt.name, 'internal_error');
  const t = Date.now();
  const q = (rt.internalErrors ??= { last: 0, skipped: 0 });
  if (t - q.last < 1000) { q.skipped++; return; }
  rt.log.error({ err, skipped_since_last: q.skipped }, count ? 'internal error on a connection: closed it' : 'internal error on a datagram: dropped it');
  q.last = t;
  q.skipped = 0;
}

/** The end of a connection (once): its slot in rt.open and per client, its metrics and log line. */
export function finishConnection(rt: ListenerRuntime, entry: { destroy(): void }, info: ConnInfo, bytesIn: number, bytesOut: number): void {
  rt.open.delete(entry);
  if (info.counted !== undefined) removeClient(rt, info.counted);
  const r = info.reason, colon = r.indexOf(':');
  rt.metrics.connections.inc2(rt.name, colon < 0 ? r : r.slice(0, colon));
  rt.metrics.bytes.inc2(rt.name, 'in', bytesIn);
  rt.metrics.bytes.inc2(rt.name, 'out', bytesOut);
  if (!rt.log.isLevelEnabled('info')) return; // skip building the line when access logs are off
  rt.log.info(
    {
      client: `${info.client.address}:${info.client.port}`,
      proxied_client: info.proxied ? `${info.proxied.address}:${info.proxied.port}` : undefined,
      // tproxy: where the client was going (the accepted socket's local address).
      original_dst: rt.snapshot.listener.tproxy ? `${info.destination.address}:${info.destination.port}` : undefined,
      sni: info.sni,
      alpn: info.alpn?.length ? info.alpn.join(',') : undefined,
      route: info.route,
      upstream: info.upstream,
      bytes_in: bytesIn,
      bytes_out: bytesOut,
      duration_ms: Date.now() - info.start,
      reason: info.reason,
    },
    'connection',
  );
}
