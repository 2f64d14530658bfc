// Address arithmetic shared by the GeoIP service and the Lua functions:
// text ⇄ bytes, masking to a prefix, netmask matching. IPv6 text output
// follows RFC 5952 §4 (lower case, longest run of zero groups as "::").
import { isIPv6 } from 'node:net';
import { formatAddress } from '@geoedge/shared';

export { formatAddress };

export type AddressBytes = Uint8Array; // 4 or 16 bytes

/** Parses an IPv4 or IPv6 address (no brackets, no zone id); undefined if it is not one. */
export function parseAddress(text: string): AddressBytes | undefined {
  const v4 = new Uint8Array(4);
  if (parseDottedQuad(text, v4)) return v4;
  if (isIPv6(text)) return parseV6(text);
  return undefined;
}

/**
 * Writes a dotted quad's 4 octets into `out`; false if `text` is not one. The
 * same texts as node's isIPv4 (decimal, 0-255, no leading zeros), without its
 * regular expression and split: every GeoIP lookup starts here.
 */
export function parseDottedQuad(text: string, out: Uint8Array): boolean {
  let part = 0, digits = 0, n = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || n > 3) return false;
      out[n++] = part;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && part === 0) return false; // a leading zero
      part = part * 10 + (c - 0x30);
      if (++digits > 3 || part > 255) return false;
    } else {
      return false;
    }
  }
  return n === 4;
}

function parseV4(text: string): AddressBytes {
  const out = new Uint8Array(4);
  if (!parseDottedQuad(text, out)) throw new Error(`not a dotted quad: ${text}`);
  return out;
}

function parseV6(text: string): AddressBytes {
  const out = new Uint8Array(16);
  let head = text;
  let tailV4: AddressBytes | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) !== -1) {
    // embedded IPv4 in the last 32 bits (::ffff:192.0.2.1)
    tailV4 = parseV4(text.slice(lastColon + 1));
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const lg = left ? left.split(':') : [];
  const rg = right !== undefined && right !== '' ? right.split(':') : [];
  const groups = right === undefined ? lg : [...lg, ...new Array(8 - lg.length - rg.length).fill('0'), ...rg];
  for (let i = 0; i < 8; i++) {
    const v = parseInt(groups[i]!, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  }
  if (tailV4) out.set(tailV4, 12);
  return out;
}

/** Zeroes the host bits beyond `prefix`. */
export function maskAddress(b: AddressBytes, prefix: number): AddressBytes {
  const out = new Uint8Array(b);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i]! &= keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
  }
  return out;
}

/** formatAddress(maskAddress(b, prefix)); an IPv4 address without the copy (once per cold GeoIP look-up). */
export function formatMasked(b: AddressBytes, prefix: number): string {
  if (b.length !== 4) return formatAddress(maskAddress(b, prefix));
  const v = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) & (prefix <= 0 ? 0 : -1 << (32 - Math.min(32, prefix)));
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** The canonical text of an address, or undefined when it is not one. */
export function normalizeAddress(text: string): string | undefined {
  const b = parseAddress(text);
  return b ? formatAddress(b) : undefined;
}

export interface Netmask {
  readonly bytes: AddressBytes;
  readonly prefix: number;
}

/** "192.0.2.0/24", "2001:db8::/32" or a bare address (full-length prefix). */
export function parseNetmask(text: string): Netmask | undefined {
  const slash = text.indexOf('/');
  const addr = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (!addr) return undefined;
  const max = addr.length * 8;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return undefined;
    prefix = Number(p);
  }
  return { bytes: maskAddress(addr, prefix), prefix };
}

/** True when `addr` lies in `mask`. IPv4 and IPv6 never match each other (PowerDNS Netmask::match). */
export function netmaskMatch(mask: Netmask, addr: AddressBytes): boolean {
  if (mask.bytes.length !== addr.length) return false;
  const m = maskAddress(addr, mask.prefix);
  for (let i = 0; i < m.length; i++) if (m[i] !== mask.bytes[i]) return false;
  return true;
}
