// Response rate limiting (RRL) for UDP answers, with the semantics of BIND's
// rate-limit { } and Knot's rrl module: per source prefix (/24, /56 by
// default), per kind of response and per name, at most `rate` responses a
// second; of those refused, every `slip`-th is sent truncated (TC=1, so a real
// client retries over TCP, which cannot be spoofed) and the rest dropped.
// It runs on the finished response bytes, after every other stage, so the
// cached path, the encoder and the error paths are all limited alike.
//
// Accounts (the name is what a flood shares, BIND's "imputed name"):
//   answer    NOERROR with answers       the QNAME and QTYPE (from the question);
//                                        from a wildcard: its name and QTYPE
//   nodata    NOERROR, AA, no answers    the zone: owner of the authority SOA
//   nxdomain  NXDOMAIN                   the zone: owner of the authority SOA
//   referral  NOERROR, no AA, no answers the delegation: owner of the authority NS
//   error     any other rcode            none: one account per prefix
// So random names under one zone (NXDOMAIN floods) share one account per
// prefix. An answer synthesised from a wildcard is counted under the wildcard's
// name (`*.<closest encloser>`) and QTYPE instead of the QNAME, as BIND and Knot
// do: random names under one wildcard share one account too (the chain says
// which answers were synthesised: `imputed`, kept with cached answers).
//
// With a client cookie and no good server cookie, a slip is a BADCOOKIE answer
// carrying a fresh server cookie instead of TC=1 (as BIND does): the client can
// retry over UDP with the cookie and is then exempt. Clients with a good server
// cookie never reach this stage (chain.ts): their address is proven.
import { skipName } from '../wire/name.js';
import { parseIPv4, parseIPv6 } from '../wire/addr.js';
import { RCODE_BADCOOKIE } from '../wire/cookie.js';
import { RrlTable, RRL_OK, RRL_SLIP } from './rrl-table.js';

export const KINDS = ['answer', 'nodata', 'nxdomain', 'referral', 'error'] as const;
export type RrlKind = (typeof KINDS)[number];
const ANSWER = 0, NODATA = 1, NXDOMAIN = 2, REFERRAL = 3, ERROR = 4;

export interface RrlOptions {
  /** Responses per second per account, by kind (0 = that kind is not limited). */
  rates: Record<RrlKind, number>;
  slip: number;
  window: number;
  ipv4PrefixLength: number;
  ipv6PrefixLength: number;
  exempt: Cidr[];
  logOnly: boolean;
  tableSize: number;
}

export interface Cidr { v6: boolean; bytes: Uint8Array; prefix: number }

/** "192.0.2.0/24", "2001:db8::/32" or a single address; a string saying what is wrong otherwise. */
export function parseCidr(text: string): Cidr | string {
  const [addr = '', len, extra] = text.split('/');
  if (extra !== undefined) return `"${text}" is not an address or address/prefix`;
  const v6 = addr.includes(':');
  const bytes = new Uint8Array(v6 ? 16 : 4);
  if (!(v6 ? parseIPv6(addr, bytes, 0) : parseIPv4(addr, bytes, 0))) return `"${addr}" is not an IPv4 or IPv6 address`;
  const max = v6 ? 128 : 32;
  const prefix = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return `prefix length "${len}" is not 0..${max}`;
  return { v6, bytes, prefix };
}

/** What the stage did with a response (for metrics and the log). */
export interface RrlEvents {
  /** A response refused (or, log-only, that would have been); `action`: dropped | slipped | badcookie | logged. */
  limited(kind: RrlKind, action: string): void;
  /** An account started being limited; `prefix` is the source prefix as text. */
  started(prefix: string, kind: RrlKind, logOnly: boolean): void;
}

const KEY = new Int32Array(4);

export class ResponseRateLimiter {
  private readonly table: RrlTable;
  private readonly rates: Int32Array;
  private readonly v4mask: number;
  private readonly v6masks = new Int32Array(4);
  private readonly seed: number;
  // Seconds are counted on the wall clock's boundaries (so "per second" in the logs, the metrics and a
  // client's own count agree) from a base near the start (small numbers in the Int32 stamps).
  private readonly origin = performance.timeOrigin;
  private readonly base = Math.floor(performance.timeOrigin / 1000) - 1;

  /**
   * @param workers processes answering on the same address: each gets
   * ceil(rate / workers), so the configured rate is the total one prefix is
   * sent whichever worker the kernel hands its packets to (README, RRL).
   */
  constructor(private readonly opts: RrlOptions, workers: number, private readonly events: RrlEvents, seed = (Math.random() * 0x7fffffff) | 0) {
    this.table = new RrlTable(opts.tableSize, opts.window);
    this.rates = Int32Array.from(KINDS.map((k) => (opts.rates[k] > 0 ? Math.ceil(opts.rates[k] / workers) : 0)));
    this.v4mask = maskWord(opts.ipv4PrefixLength);
    for (let w = 0; w < 4; w++) this.v6masks[w] = maskWord(opts.ipv6PrefixLength - 32 * w);
    this.seed = seed;
  }

  /** Accounts pushed out of the full table by new ones so far. */
  get evictions(): number {
    return this.table.evictions;
  }

  /**
   * The response `out` to a client at ip[ipAt, +ipLen) (4 or 16 octets) at
   * `nowMs` (performance.now()): `out` itself, null to send nothing, or the slip to
   * send instead. `clientCookie`: the query had a client cookie, and `out`'s
   * OPT carries our new server cookie (a slip is then BADCOOKIE).
   */
  limit(out: Buffer, ip: Uint8Array, ipAt: number, ipLen: number, nowMs: number, clientCookie: boolean, imputed = 0): Buffer | null {
    if (out.length < 12) return out;
    if (this.opts.exempt.length > 0 && this.exempt(ip, ipAt, ipLen)) return out;
    const kind = classify(out);
    const rate = this.rates[kind]!;
    if (rate === 0) return out;
    const name = kind === ERROR ? 0 : kind === ANSWER ? (imputed !== 0 ? imputed : questionHash(out)) : authorityOwnerHash(out);
    this.prefixKey(ip, ipAt, ipLen);
    // Two independent hashes of (prefix, kind, name) under the random seed, 30 bits each. A
    // collision only makes two keys share an account: it can limit them together, never let more
    // through. Written out, not called: with pointer compression an integer above 2^30 that
    // crosses a call boundary is boxed as a heap number, an allocation per response.
    const k0 = KEY[0]! ^ this.seed, k1 = KEY[1]!, k2 = KEY[2]!, k3 = KEY[3]!;
    let h1 = (Math.imul(k0, 0x9e3779b1) + Math.imul(k1, 0x85ebca77) + Math.imul(k2, 0xc2b2ae3d) + Math.imul(k3, 0x27d4eb2f) + Math.imul(name ^ kind, 0x165667b1)) | 0;
    let h2 = (Math.imul(k0 ^ 0x5bd1e995, 0x27d4eb2f) + Math.imul(k1, 0x9e3779b1) + Math.imul(k2, 0x85ebca77) + Math.imul(k3, 0xc2b2ae3d) + Math.imul(name + kind, 0x7feb352d)) | 0;
    // murmur3's finalizer on each: every input bit reaches every output bit.
    h1 ^= h1 >>> 16; h1 = Math.imul(h1, 0x85ebca6b); h1 ^= h1 >>> 13; h1 = Math.imul(h1, 0xc2b2ae35); h1 = (h1 ^ (h1 >>> 16)) & 0x3fffffff;
    h2 ^= h2 >>> 16; h2 = Math.imul(h2, 0x85ebca6b); h2 ^= h2 >>> 13; h2 = Math.imul(h2, 0xc2b2ae35); h2 = (h2 ^ (h2 >>> 16)) & 0x3fffffff;
    const r = this.table.debit(h1, h2, rate, this.opts.slip, Math.floor((this.origin + nowMs) / 1000) - this.base);
    if (r === RRL_OK) return out;
    const k = KINDS[kind]!;
    if (this.table.started) this.events.started(this.prefixText(ipLen), k, this.opts.logOnly);
    if (this.opts.logOnly) { this.events.limited(k, 'logged'); return out; }
    if (r !== RRL_SLIP) { this.events.limited(k, 'dropped'); return null; }
    this.events.limited(k, clientCookie ? 'badcookie' : 'slipped');
    return slipOf(out, clientCookie);
  }

  /** The source prefix into KEY as four words (IPv4: one word, family tag in the last). */
  private prefixKey(ip: Uint8Array, at: number, len: number): void {
    if (len === 4) {
      KEY[0] = word(ip, at) & this.v4mask; KEY[1] = 0; KEY[2] = 0; KEY[3] = 4;
      return;
    }
    for (let w = 0; w < 4; w++) KEY[w] = word(ip, at + 4 * w) & this.v6masks[w]!;
  }

  private prefixText(len: number): string {
    if (len === 4) {
      const a = KEY[0]!;
      return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${this.opts.ipv4PrefixLength}`;
    }
    const g: string[] = [];
    for (let w = 0; w < 4; w++) g.push(((KEY[w]! >>> 16) & 0xffff).toString(16), (KEY[w]! & 0xffff).toString(16));
    return `${g.join(':')}/${this.opts.ipv6PrefixLength}`;
  }

  private exempt(ip: Uint8Array, at: number, len: number): boolean {
    for (const c of this.opts.exempt) {
      if (c.v6 !== (len === 16)) continue;
      let bits = c.prefix, i = 0;
      for (; bits >= 8; bits -= 8, i++) if (ip[at + i] !== c.bytes[i]) break;
      if (bits >= 8) continue;
      if (bits === 0 || ((ip[at + i]! ^ c.bytes[i]!) & (0xff00 >> bits) & 0xff) === 0) return true;
    }
    return false;
  }
}

function word(b: Uint8Array, p: number): number {
  return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
}

/** The mask word for `bits` leading ones (≤ 0: none, ≥ 32: all). */
function maskWord(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? -1 : (-1 << (32 - bits));
}

/**
 * The account name of an answer synthesised from the wildcard `source` for QTYPE
 * `qtype` (FNV-1a of the lower-cased text and the type; never 0, which means none).
 */
export function imputedName(source: string, qtype: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < source.length; i++) h = Math.imul(h ^ (source.charCodeAt(i) | 0x20), 0x01000193);
  h = Math.imul(h ^ qtype, 0x01000193) & 0x3fffffff;
  return h === 0 ? 1 : h;
}

/** The response's kind, from its header (see the table at the top). */
export function classify(out: Buffer): number {
  const rcode = out[3]! & 0xf;
  if (rcode === 3) return NXDOMAIN;
  if (rcode !== 0) return ERROR;
  if ((out[6]! | out[7]!) !== 0) return ANSWER;
  return out[2]! & 0x04 ? NODATA : (out[8]! | out[9]!) !== 0 ? REFERRAL : NODATA;
}

/**
 * FNV-1a of the question's name (folded to lower case by setting bit 0x20 of every name octet: that
 * also merges a few non-letters, whose names then share an account, which only limits them
 * together) and QTYPE; 0 if there is none. Plain byte reads: Buffer's readUInt16BE and friends
 * cost more than the whole hash here.
 */
function questionHash(out: Buffer): number {
  if (((out[4]! << 8) | out[5]!) !== 1) return 0;
  const n = out.length;
  let p = 12, h = 0x811c9dc5;
  for (;;) {
    if (p >= n) return 0;
    const len = out[p]!;
    if (len === 0) break;
    if (len > 63) return 0;
    h = Math.imul(h ^ len, 0x01000193);
    for (let i = p + 1; i <= p + len; i++) h = Math.imul(h ^ (out[i]! | 0x20), 0x01000193);
    p += 1 + len;
  }
  if (p + 3 > n) return 0;
  return Math.imul(h ^ ((out[p + 1]! << 8) | out[p + 2]!), 0x01000193) & 0x3fffffff; // a small integer: no boxing
}

/** FNV-1a of the owner name of the first authority record (folded as in questionHash, pointers followed); 0 if none. */
function authorityOwnerHash(out: Buffer): number {
  if ((out[8]! | out[9]!) === 0) return 0;
  let p = 12;
  for (let i = (out[4]! << 8) | out[5]!; i > 0; i--) { p = skipName(out, p); if (p < 0) return 0; p += 4; }
  for (let i = (out[6]! << 8) | out[7]!; i > 0; i--) {
    p = skipName(out, p);
    if (p < 0 || p + 10 > out.length) return 0;
    p += 10 + ((out[p + 8]! << 8) | out[p + 9]!);
  }
  let h = 0x811c9dc5;
  for (let hops = 0; p < out.length && hops < 64; hops++) {
    const len = out[p]!;
    if (len === 0) return Math.imul(h, 0x01000193) & 0x3fffffff;
    if (len >= 0xc0) { if (p + 1 >= out.length) return 0; p = ((len & 0x3f) << 8) | out[p + 1]!; continue; }
    if (len > 63 || p + 1 + len > out.length) return 0;
    h = Math.imul(h ^ len, 0x01000193);
    for (let i = p + 1; i <= p + len; i++) h = Math.imul(h ^ (out[i]! | 0x20), 0x01000193);
    p += 1 + len;
  }
  return 0;
}

/**
 * The slipped form of `out`: header and question (and our OPT, found last in
 * the additional section), no records; TC=1, or BADCOOKIE (RFC 7873 §5.2.3:
 * rcode 23 = 7 in the header, 1 in the OPT's extended RCODE) without AA.
 */
export function slipOf(out: Buffer, badCookie: boolean): Buffer {
  let p = 12;
  for (let i = out.readUInt16BE(4); i > 0 && p >= 0; i--) { p = skipName(out, p); if (p >= 0) p += 4; }
  if (p < 0 || p > out.length) p = 12;
  const qEnd = p;
  let opt = -1, optEnd = -1;
  const records = out.readUInt16BE(6) + out.readUInt16BE(8) + out.readUInt16BE(10);
  for (let i = 0; i < records; i++) {
    const start = p;
    p = skipName(out, p);
    if (p < 0 || p + 10 > out.length) break;
    const end = p + 10 + out.readUInt16BE(p + 8);
    if (end > out.length) break;
    if (out.readUInt16BE(p) === 41 && out[start] === 0) { opt = start; optEnd = end; }
    p = end;
  }
  const optLen = opt >= 0 ? optEnd - opt : 0;
  const s = Buffer.allocUnsafe(qEnd + optLen);
  out.copy(s, 0, 0, qEnd);
  if (qEnd === 12) s.writeUInt16BE(0, 4);
  s.writeUInt32BE(0, 6);
  s.writeUInt16BE(opt >= 0 ? 1 : 0, 10);
  if (opt >= 0) out.copy(s, qEnd, opt, optEnd);
  if (badCookie && opt >= 0) {
    s[2] = s[2]! & ~0x04; // not AA
    s[3] = (s[3]! & 0xf0) | (RCODE_BADCOOKIE & 0xf);
    s[qEnd + 5] = RCODE_BADCOOKIE >> 4;
  } else {
    s[2] = s[2]! | 0x02; // TC
  }
  return s;
}
