// CIDR parsing and matching, compiled once at config time into bigint ranges so
// the per-connection check is two comparisons per entry.
import { isIP } from 'node:net';
import { ipv6Bytes } from '../wire/proxy-v2.js';

export interface Cidr {
  text: string;
  family: 4 | 6;
  lo: bigint;
  hi: bigint;
}

export type CidrResult = { ok: true; cidr: Cidr } | { ok: false; message: string };

export function parseCidr(text: string): CidrResult {
  const [addr, bitsText] = text.split('/') as [string, string | undefined];
  const fam = isIP(addr);
  if (fam === 0) return { ok: false, message: `not an IP address or CIDR: ${JSON.stringify(text)}` };
  const width = fam === 4 ? 32 : 128;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (!/^\d{1,3}$/.test(bitsText ?? '0') || bits > width) return { ok: false, message: `bad prefix length in ${JSON.stringify(text)} (0 to ${width})` };
  const v = ipToBigint(addr);
  const hostBits = BigInt(width - bits);
  const lo = (v >> hostBits) << hostBits;
  return { ok: true, cidr: { text, family: fam === 4 ? 4 : 6, lo, hi: lo | ((1n << hostBits) - 1n) } };
}

export function ipToBigint(ip: string): bigint {
  if (isIP(ip) === 4) return ip.split('.').reduce((n, p) => (n << 8n) | BigInt(Number(p)), 0n);
  return BigInt('0x' + ipv6Bytes(ip).toString('hex'));
}

/** Node reports IPv4 peers on dual-stack sockets as ::ffff:a.b.c.d; match them as IPv4. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

export class CidrSet {
  constructor(readonly list: Cidr[]) {}
  has(ip: string): boolean {
    const a = normalizeIp(ip);
    const fam = isIP(a);
    if (fam === 0) return false;
    const v = ipToBigint(a);
    for (const c of this.list) if (c.family === fam && v >= c.lo && v <= c.hi) return true;
    return false;
  }
}
