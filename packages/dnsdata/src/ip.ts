// IPv4/IPv6 text <-> octets for A and AAAA record data (RFC 1035 §3.4.1,
// RFC 3596 §2.2). IPv6 text is written in the RFC 5952 canonical form, with
// the embedded-IPv4 tail glibc's inet_ntop uses, so our output matches what
// PowerDNS shows.
import { isIP } from 'node:net';

/** Throws unless `text` is a dotted-quad IPv4 address (no leading zeros). */
export function checkIpv4(text: string): void {
  if (isIP(text) !== 4) throw new Error(`"${text}" is not an IPv4 address`);
}

export function ipv4ToBytes(text: string): Buffer {
  checkIpv4(text);
  return Buffer.from(text.split('.').map(Number));
}

export function bytesToIpv4(b: Buffer): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

export function ipv6ToBytes(text: string): Buffer {
  // node accepts zone ids ("fe80::1%eth0"); an AAAA record has none.
  if (isIP(text) !== 6 || text.includes('%')) throw new Error(`"${text}" is not an IPv6 address`);
  let t = text;
  const lastColon = t.lastIndexOf(':');
  if (t.indexOf('.', lastColon) > 0) {
    // Rewrite an embedded IPv4 tail as the two hex words it stands for.
    const v4 = ipv4ToBytes(t.slice(lastColon + 1));
    t = `${t.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const [left, right] = t.split('::') as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  const lw = part(left);
  const rw = part(right);
  const words = right === undefined ? lw : [...lw, ...new Array<number>(8 - lw.length - rw.length).fill(0), ...rw];
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

export function bytesToIpv6(b: Buffer): string {
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push(b.readUInt16BE(i));
  // Longest run of zero words (length >= 2), leftmost on ties.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const v4tail = best === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff));
  if (v4tail) return `::${bestLen === 5 ? 'ffff:' : ''}${bytesToIpv4(b.subarray(12))}`;
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}
