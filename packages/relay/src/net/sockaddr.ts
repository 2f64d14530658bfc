// struct sockaddr_in / sockaddr_in6 for libc calls (family in host order as
// Linux lays it out on little-endian machines, port in network order).
import { isIP } from 'node:net';
import { ipv6Bytes } from '../wire/proxy-v2.js';

const AF_INET = 2, AF_INET6 = 10;

/** The sockaddr for an IP literal; undefined for anything else (names, garbage). */
export function sockaddr(host: string, port: number): Buffer | undefined {
  const v = isIP(host);
  if (v === 4) {
    const sa = Buffer.alloc(16);
    sa.writeUInt16LE(AF_INET, 0);
    sa.writeUInt16BE(port, 2);
    host.split('.').forEach((p, i) => (sa[4 + i] = Number(p)));
    return sa;
  }
  if (v !== 6) return undefined;
  const sa = Buffer.alloc(28);
  sa.writeUInt16LE(AF_INET6, 0);
  sa.writeUInt16BE(port, 2);
  ipv6Bytes(host).copy(sa, 8);
  return sa;
}
