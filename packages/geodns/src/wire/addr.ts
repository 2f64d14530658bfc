// IP address text <-> octets for A/AAAA rdata and the ECS ADDRESS field.
//   IPv4: dotted quad, RFC 791 (no leading-zero octets, as in inet_pton).
//   IPv6: RFC 4291 §2.2 text forms in, RFC 5952 §4 canonical text out
//         (lower-case hex, longest run of ≥ 2 zero groups as "::", first one wins),
//         with glibc's dotted tail for ::ffff:a.b.c.d and ::a.b.c.d (as dnsdata prints).
// Written by hand because node has no bytes <-> text address API, and these
// sit on the encode path of every A/AAAA answer.

/** Writes the 4 octets of `text` at out[off]; false if it is not a dotted quad. */
export function parseIPv4(text: string, out: Uint8Array, off: number): boolean {
  let part = 0;
  let digits = 0;
  let n = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || n > 3) return false;
      out[off + n++] = part;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && part === 0) return false; // leading zero
      part = part * 10 + (c - 0x30);
      if (++digits > 3 || part > 255) return false;
    } else {
      return false;
    }
  }
  return n === 4;
}

/** Writes the 16 octets of `text` at out[off]; false if it is not IPv6 text. */
export function parseIPv6(text: string, out: Uint8Array, off: number): boolean {
  const groups: number[] = [];
  let gap = -1; // index in `groups` where "::" stands
  let i = 0;
  if (text.startsWith('::')) {
    gap = 0;
    i = 2;
    if (text.length === 2) return fillIPv6(groups, gap, out, off);
  }
  while (i < text.length) {
    let v = 0;
    let d = 0;
    const start = i;
    for (; i < text.length && d < 5; i++, d++) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      v = v * 16 + h;
    }
    if (i < text.length && text.charCodeAt(i) === 0x2e) {
      // Embedded IPv4 tail ("::ffff:192.0.2.1"), only as the last 32 bits.
      const v4 = new Uint8Array(4);
      if (!parseIPv4(text.slice(start), v4, 0)) return false;
      groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      return fillIPv6(groups, gap, out, off);
    }
    if (d === 0 || d > 4) return false;
    groups.push(v);
    if (i === text.length) break;
    if (text.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < text.length && text.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false; // only one "::"
      gap = groups.length;
      i++;
    } else if (i === text.length) {
      return false; // trailing single ':'
    }
  }
  return fillIPv6(groups, gap, out, off);
}

function fillIPv6(groups: number[], gap: number, out: Uint8Array, off: number): boolean {
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return false;
  const zeros = 8 - groups.length;
  let g = 0;
  for (let k = 0; k < 8; k++) {
    let v = 0;
    if (gap >= 0 && k >= gap && k < gap + zeros) v = 0;
    else v = groups[g++];
    out[off + 2 * k] = v >> 8;
    out[off + 2 * k + 1] = v & 0xff;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

export function formatIPv4(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function formatIPv6(b: Uint8Array, off: number): string {
  // Find the longest run of zero groups (length ≥ 2) per RFC 5952 §4.2.
  let bestAt = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (b[off + 2 * k] === 0 && b[off + 2 * k + 1] === 0) {
      let e = k;
      while (e < 8 && b[off + 2 * e] === 0 && b[off + 2 * e + 1] === 0) e++;
      if (e - k > bestLen) {
        bestAt = k;
        bestLen = e - k;
      }
      k = e;
    } else {
      k++;
    }
  }
  // glibc inet_ntop (and so PowerDNS, and dnsdata) writes IPv4-mapped and
  // IPv4-compatible addresses with a dotted tail.
  if (bestAt === 0 && (bestLen === 6 || (bestLen === 5 && b[off + 10] === 0xff && b[off + 11] === 0xff))) {
    return `::${bestLen === 5 ? 'ffff:' : ''}${formatIPv4(b, off + 12)}`;
  }
  let s = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestAt) {
      s += '::';
      k += bestLen - 1;
      continue;
    }
    if (s.length > 0 && !s.endsWith(':')) s += ':';
    s += ((b[off + 2 * k] << 8) | b[off + 2 * k + 1]).toString(16);
  }
  return s;
}

/** The octets of an address string into `into` (16 bytes); how many (0 if it does not parse, e.g. a zone index). */
export function addressOctets(text: string, into: Uint8Array): number {
  if (parseIPv4(text, into, 0)) return 4;
  return parseIPv6(text, into, 0) ? 16 : 0;
}
