// Listen addresses that cannot all be bound in one process: the second bind
// fails with EADDRINUSE (or EINVAL) at start, so `--check` must refuse them.
// Rules, as Linux applies them to our sockets (measured with node:net/dgram):
// - same protocol and port, and the same address or a wildcard (0.0.0.0, ::)
//   on either side within one family: EADDRINUSE, whichever is bound first;
// - IPv6 sockets are IPv6-only (IPV6_V6ONLY, as nginx's default ipv6only=on),
//   so [::]:P and 0.0.0.0:P are two separate sockets and may both be listed;
//   for the same reason a v4-mapped address ([::ffff:127.0.0.1]:P) cannot be
//   bound at all (EINVAL);
// - port 0 asks for any free port and never collides; host names (not IP
//   literals) are compared as written.
import { isIP } from 'node:net';
import { formatHostPort } from './hostport.js';

export interface ListenEntry {
  /** Config path of the entry, e.g. /listeners/1/listen/0. */
  path: string;
  /** What is bound on it: ['tcp'], ['udp'], or both for a DNS listener. */
  protocols: string[];
  host: string;
  port: number;
  /** Who lists it (a listener's name), for the message. */
  owner?: string;
}

/** One problem line per entry that cannot be bound next to an earlier one. */
export function listenConflicts(entries: ListenEntry[]): string[] {
  const problems: string[] = [];
  const bound: Array<ListenEntry & { ip: string; family: number }> = [];
  for (const e of entries) {
    const family = isIP(e.host);
    const ip = family === 6 ? canonicalV6(e.host) : e.host;
    const at = formatHostPort(e);
    const mapped = family === 6 ? mappedV4(ip) : undefined;
    if (mapped) {
      problems.push(`${e.path}: ${at} is an IPv4-mapped address, which an IPv6-only socket cannot bind; listen on ${mapped}:${e.port} instead`);
      continue;
    }
    if (e.port !== 0) {
      const other = bound.find((b) => b.port === e.port && b.family === family && b.protocols.some((p) => e.protocols.includes(p)) && (b.ip === ip || isWildcard(b.ip) || isWildcard(ip)));
      if (other) {
        const proto = e.protocols.filter((p) => other.protocols.includes(p)).join('+');
        const owner = other.owner !== undefined ? ` listener ${JSON.stringify(other.owner)}` : '';
        problems.push(other.ip === ip
          ? `${e.path}: ${at} (${proto}) is already used by${owner || ' an earlier entry'} (${other.path})`
          : `${e.path}: ${at} (${proto}) overlaps ${formatHostPort(other)} of${owner || ' an earlier entry'} (${other.path}): a wildcard address takes the port on every address of its family; list one of them, or specific addresses in both places`);
        continue;
      }
    }
    bound.push({ ...e, ip, family });
  }
  return problems;
}

function isWildcard(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::';
}

/** a.b.c.d for ::ffff:a.b.c.d (which the URL parser writes as ::ffff:xxxx:yyyy). */
function mappedV4(ip: string): string | undefined {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
  if (!m) return undefined;
  const hi = parseInt(m[1]!, 16), lo = parseInt(m[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** The compressed form, so [0:0::1] and [::1] compare equal. */
function canonicalV6(host: string): string {
  return new URL(`http://[${host}]/`).hostname.slice(1, -1);
}
