// Detects and decodes either PROXY protocol version from the first bytes of a
// stream or datagram. Returns need-more while the bytes so far are a valid prefix.
import { decodeProxyV1, V1_PREFIX } from './proxy-v1.js';
import { decodeProxyV2, V2_SIGNATURE, V2_MAX_DEFAULT } from './proxy-v2.js';
import { isIP } from 'node:net';
import type { DecodeResult, ProxyAddress, ProxyHeader } from './proxy-types.js';

export function decodeProxyHeader(buf: Buffer, maxV2 = V2_MAX_DEFAULT): DecodeResult {
  if (buf.length === 0) return { kind: 'need-more' };
  if (isPrefix(buf, V2_SIGNATURE)) return decodeProxyV2(buf, maxV2);
  if (isPrefix(buf, V1_PREFIX)) return buf.length < V1_PREFIX.length ? { kind: 'need-more' } : decodeProxyV1(buf);
  return { kind: 'error', code: 'ERR_PROXY_MISSING', message: 'connection does not start with a PROXY header' };
}

/** True when buf and sig agree on their common length. */
function isPrefix(buf: Buffer, sig: Buffer): boolean {
  const n = Math.min(buf.length, sig.length);
  return buf.compare(sig, 0, n, 0, n) === 0;
}

/**
 * The client and destination a PROXY header names, as the relay uses them
 * (routing, caps, logs, the next hop's header); undefined for LOCAL/UNKNOWN.
 * A dual-stack sender (nginx `listen [::]:P ipv6only=off`, HAProxy `bind :::P
 * v4v6`) writes an IPv4 client as ::ffff:a.b.c.d in a TCP6 / AF_INET6 header:
 * that is the IPv4 client, family 4, so the family always matches the text
 * (an IPv4 text under family 6 once made the v2 encoder throw).
 */
export function headerAddresses(h: ProxyHeader): { source: ProxyAddress; destination: ProxyAddress } | undefined {
  if (h.command !== 'proxy' || !h.source || !h.destination) return undefined;
  return { source: unmapped(h.source), destination: unmapped(h.destination) };
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it carries. */
export function unmapped(a: ProxyAddress): ProxyAddress {
  if (a.family !== 6 || !a.address.startsWith('::ffff:')) return a;
  const v4 = a.address.slice(7);
  return isIP(v4) === 4 ? { family: 4, address: v4, port: a.port } : a;
}
