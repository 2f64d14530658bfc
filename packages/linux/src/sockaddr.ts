// struct sockaddr_in / sockaddr_in6 for libc calls: the family in host order
// (every supported architecture is little-endian), port and address in network
// order. Shared by the batched UDP socket and its callers.
import { isIP } from 'node:net';
import { K } from './constants.js';

/** The sockaddr for an IP literal (16 bytes for IPv4, 28 for IPv6), or undefined for anything else. */
export function encodeSockaddr(host: string, port: number): Buffer | undefined {
  const v = isIP(host);
  if (v === 4) {
    const sa = Buffer.alloc(16);
    sa.writeUInt16LE(K.AF_INET, 0);
    sa.writeUInt16BE(port, 2);
    host.split('.').forEach((p, i) => (sa[4 + i] = Number(p)));
    return sa;
  }
  if (v !== 6) return undefined;
  const sa = Buffer.alloc(28);
  sa.writeUInt16LE(K.AF_INET6, 0);
  sa.writeUInt16BE(port, 2);
  let text = host.split('%')[0]!;
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, -tail[0].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  groups.forEach((g, i) => sa.writeUInt16BE(parseInt(g, 16), 8 + i * 2));
  return sa;
}

/** Address text and port of a sockaddr_in/in6 (IPv6 in its uncompressed-zero-run form is fine for logs; v4-mapped as ::ffff:a.b.c.d). */
export function decodeSockaddr(sa: Buffer): { address: string; port: number; family: 4 | 6 } {
  const port = sa.readUInt16BE(2);
  if (sa.readUInt16LE(0) === K.AF_INET) return { address: `${sa[4]}.${sa[5]}.${sa[6]}.${sa[7]}`, port, family: 4 };
  const g: string[] = [];
  for (let i = 8; i < 24; i += 2) g.push(sa.readUInt16BE(i).toString(16));
  if (g.slice(0, 5).every((x) => x === '0') && g[5] === 'ffff') return { address: `::ffff:${sa[20]}.${sa[21]}.${sa[22]}.${sa[23]}`, port, family: 6 };
  // RFC 5952: the longest run (≥ 2) of zero groups becomes "::".
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const address = best < 0 ? g.join(':') : `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
  return { address, port, family: 6 };
}
