// Domain names on the wire, RFC 1035 §3.1 and §4.1.4.
//
//   name    = *label root          label = <len 1..63> <len octets>
//   root    = 0x00                 total ≤ 255 octets (RFC 1035 §2.3.4)
//   pointer = 11xxxxxx xxxxxxxx    (14-bit offset from the message start;
//                                   ends the name, RFC 1035 §4.1.4)
//
//   presentation (as dnsdata's parseName produces it): octets 0x21..0x7e as
//   themselves, except . \ " ; ( ) @ $ written "\X"; every other octet "\DDD";
//   a "." after each label; "." alone for the root.

import { SuiteError } from '@geoedge/shared';

const MAX_WIRE = 255;
const MAX_HOPS = 64;

/** Where readName puts its result (one reused object per caller: no garbage per name). */
export interface NameOut {
  name: string;
  /** Offset just after the name where it started (after the first pointer, if any). */
  end: number;
}

// Room for a 255-octet name with every octet written as \DDD.
const text = Buffer.allocUnsafe(MAX_WIRE * 4 + 1);
const ESCAPE = new Uint8Array(256); // 0 plain, 1 "\X", 2 "\DDD"
for (let b = 0; b < 256; b++) ESCAPE[b] = b > 0x20 && b < 0x7f ? 0 : 2;
for (const c of '.\\";()@$') ESCAPE[c.charCodeAt(0)] = 1;

/**
 * Reads the name at buf[off] into `out`. Returns null, or why the name is bad.
 * `lower` folds ASCII A-Z (RFC 4343). Pointers are followed only if `pointers`;
 * each must point before the previous jump target, so loops cannot happen.
 */
export function readName(buf: Buffer, off: number, lower: boolean, pointers: boolean, out: NameOut): string | null {
  let p = off;
  let n = 0;
  let wire = 1;
  let end = -1;
  let limit = off;
  let hops = 0;
  for (;;) {
    if (p >= buf.length) return 'name runs past the end of the message';
    const len = buf[p];
    if (len === 0) break;
    if (len >= 0xc0) {
      if (!pointers) return 'compression pointer where none is allowed';
      if (p + 1 >= buf.length) return 'compression pointer runs past the end of the message';
      const target = ((len & 0x3f) << 8) | buf[p + 1];
      if (end < 0) end = p + 2;
      if (target >= limit || ++hops > MAX_HOPS) return 'compression pointer does not point backwards';
      limit = p = target;
      continue;
    }
    if (len > 63) return 'unknown label type';
    wire += len + 1;
    if (wire > MAX_WIRE) return 'name longer than 255 octets';
    if (p + 1 + len > buf.length) return 'label runs past the end of the message';
    n = appendLabel(buf, p + 1, p + 1 + len, lower, n);
    p += 1 + len;
  }
  out.name = n === 0 ? '.' : text.toString('latin1', 0, n);
  out.end = end < 0 ? p + 1 : end;
  return null;
}

function appendLabel(buf: Buffer, from: number, to: number, lower: boolean, n: number): number {
  for (let i = from; i < to; i++) {
    let b = buf[i];
    const esc = ESCAPE[b];
    if (esc === 0) {
      if (lower && b >= 0x41 && b <= 0x5a) b |= 0x20;
      text[n++] = b;
    } else if (esc === 1) {
      text[n++] = 0x5c;
      text[n++] = b;
    } else {
      text[n++] = 0x5c;
      text[n++] = 0x30 + ((b / 100) | 0);
      text[n++] = 0x30 + (((b / 10) | 0) % 10);
      text[n++] = 0x30 + (b % 10);
    }
  }
  text[n++] = 0x2e;
  return n;
}

/** Skips the name at buf[off] without decoding it; returns the offset after it, or -1. */
export function skipName(buf: Buffer, off: number): number {
  let p = off;
  let wire = 1;
  for (;;) {
    if (p >= buf.length) return -1;
    const len = buf[p];
    if (len === 0) return p + 1;
    if (len >= 0xc0) return p + 2 <= buf.length ? p + 2 : -1;
    if (len > 63) return -1;
    wire += len + 1;
    if (wire > MAX_WIRE) return -1;
    p += 1 + len;
  }
}

/** Thrown for names that cannot be put on the wire (a bug or bad data upstream). */
export class NameError extends SuiteError {
  constructor(message: string) {
    super('ERR_WIRE_NAME', message);
    this.name = 'NameError';
  }
}

/**
 * Writes `name` (presentation, trailing dot optional) as uncompressed labels
 * at buf[pos]. Label start offsets go to `starts` (cleared first). Returns the
 * offset after the root octet. The caller guarantees 255 octets of room.
 */
export function writeNameLabels(name: string, buf: Buffer, pos: number, starts: number[]): number {
  starts.length = 0;
  if (name === '.' || name === '') {
    buf[pos] = 0;
    return pos + 1;
  }
  const begin = pos;
  let lenAt = pos++;
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    if (c === 0x2e) {
      pos = closeLabel(name, buf, lenAt, pos, starts);
      lenAt = pos++;
      continue;
    }
    if (c === 0x5c && name.charCodeAt(i + 1) > 0x7f) {
      c = name.charCodeAt(++i); // "\é" quotes a non-ASCII character: same as unquoted
    }
    if (c === 0x5c) {
      const d = escapeValue(name, i);
      c = d & 0xff;
      i += d >> 8;
    } else if (c > 0x7f) {
      pos = writeUtf8(name, i, buf, pos);
      if (name.codePointAt(i)! > 0xffff) i++;
      continue;
    }
    buf[pos++] = c;
    if (pos - begin > MAX_WIRE) throw new NameError(`name "${name}" is longer than 255 octets`);
  }
  if (pos > lenAt + 1) pos = closeLabel(name, buf, lenAt, pos, starts);
  else pos = lenAt; // name ended with a dot: lenAt becomes the root octet
  buf[pos++] = 0;
  if (pos - begin > MAX_WIRE) throw new NameError(`name "${name}" is longer than 255 octets`);
  return pos;
}

function closeLabel(name: string, buf: Buffer, lenAt: number, pos: number, starts: number[]): number {
  const len = pos - lenAt - 1;
  if (len === 0) throw new NameError(`name "${name}" has an empty label`);
  if (len > 63) throw new NameError(`name "${name}" has a label longer than 63 octets`);
  buf[lenAt] = len;
  starts.push(lenAt);
  return pos;
}

/** The octet of the escape at name[i] in the low byte, extra characters consumed << 8. */
function escapeValue(name: string, i: number): number {
  const c = name.charCodeAt(i + 1);
  if (Number.isNaN(c)) throw new NameError(`name "${name}" ends with a lone backslash`);
  if (c < 0x30 || c > 0x39) return (1 << 8) | c;
  const v = Number(name.slice(i + 1, i + 4));
  if (!/^[0-9]{3}$/.test(name.slice(i + 1, i + 4)) || v > 255) throw new NameError(`name "${name}" has a bad \\DDD escape`);
  return (3 << 8) | v;
}

function writeUtf8(name: string, i: number, buf: Buffer, pos: number): number {
  const cp = name.codePointAt(i)!;
  return pos + buf.write(String.fromCodePoint(cp), pos, 'utf8');
}
