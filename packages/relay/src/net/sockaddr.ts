// struct sockaddr_in / sockaddr_in6 for libc calls (family in host order as
// Linux lays it out on little-endian machines, port in network order).
// The encoding itself is @geoedge/linux's (encodeSockaddr); this file caches it.
import { formatAddress } from '@geoedge/shared';
import { encodeSockaddr, K } from '@geoedge/linux';

// Upstream addresses repeat on every connection; isIP's regex and the parse
// showed in profiles of short connections. Bounded: cleared when full
// (transparent mode brings one entry per client address).
const cache = new Map<string, Buffer | undefined>();
const CACHE_MAX = 4096;

/** The sockaddr for an IP literal (shared: callers must not write to it); undefined for anything else (names, garbage). */
export function sockaddr(host: string, port: number): Buffer | undefined {
  const key = `${port} ${host}`;
  let sa = cache.get(key);
  if (sa === undefined && !cache.has(key)) {
    if (cache.size >= CACHE_MAX) cache.clear();
    sa = encodeSockaddr(host, port);
    cache.set(key, sa);
  }
  return sa;
}

/** Address and port out of a sockaddr_in/sockaddr_in6 (as accept4/getsockname fill it); IPv4-mapped as ::ffff:a.b.c.d. */
export function parseSockaddr(sa: Buffer): { address: string; port: number; family: 4 | 6 } {
  const port = sa.readUInt16BE(2);
  if (sa.readUInt16LE(0) === K.AF_INET) return { address: `${sa[4]}.${sa[5]}.${sa[6]}.${sa[7]}`, port, family: 4 };
  const bytes = sa.subarray(8, 24);
  if (bytes.subarray(0, 10).every((x) => x === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return { address: `::ffff:${sa[20]}.${sa[21]}.${sa[22]}.${sa[23]}`, port, family: 6 };
  }
  const address = formatAddress(bytes);
  return { address, port, family: 6 };
}
