// RRSIG, RFC 4034 §3:
//                        1 1 1 1 1 1 1 1 1 1 2 2 2 2 2 2 2 2 2 2 3 3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |        Type Covered           |  Algorithm    |     Labels    |
//   |                         Original TTL                          |
//   |                      Signature Expiration                     |
//   |                      Signature Inception                      |
//   |            Key Tag            |                               /
//   /                         Signer's Name                         /
//   /                            Signature                          /
//
// Signed data (§3.1.8.1): RRSIG_RDATA (without the signature) | RR(1) | RR(2)…
// each RR = owner | type | class | original TTL | RDLENGTH | canonical RDATA,
// in canonical order (canonical.ts). For a wildcard expansion the owner is
// `*.` + the wildcard's parent, and Labels counts the labels without the `*`
// (RFC 4035 §5.3.2), which tells the validator to look for the denial of the
// next closer name.
//
// Validity windows as PowerDNS's (dnssecsigner.cc): weeks since the epoch;
// inception = start of this week − 1 week, expiration = start of this week
// + 2 weeks. Every answer in one week carries the same window, so a signature
// of unchanged data is the same bytes all week: cacheable here and downstream.
import { CLASS_IN, signData, type Rdata } from '@geoedge/dnsdata';
import type { SigningKey } from './types.js';
import { canonicalSet, labelCount, nameWire } from './canonical.js';
import type { SignatureCache } from './sig-cache.js';

export const TYPE_RRSIG = 46;
const WEEK = 7 * 86400;

export interface Window {
  inception: number;
  expiration: number;
}

/** The signature validity window for `nowSeconds` (unix time). */
export function windowAt(nowSeconds: number): Window {
  const start = nowSeconds - (nowSeconds % WEEK);
  return { inception: start - WEEK, expiration: start + 2 * WEEK };
}

/** What to sign: one RRset as it goes out (owner = the query's name for a wildcard expansion). */
export interface SignInput {
  owner: string;
  type: number;
  ttl: number;
  records: readonly Rdata[];
  /** The wildcard's parent (closest encloser) when the RRset was synthesised from `*.<wildcardParent>`. */
  wildcardParent?: string;
}

/**
 * The RRSIG RDATA for `set` signed by `key` as a zone `signer`, in window `w`.
 * Signatures come from `cache` when the same data was signed by the same key in
 * the same window before.
 */
export function rrsigRdata(set: SignInput, key: SigningKey, signer: string, w: Window, cache: SignatureCache): Buffer {
  // Address RRsets (most LUA answers) are found by their text, before any wire form is built.
  const quick = quickKey(set, signer, w);
  if (quick !== undefined) {
    const hit = cache.getText(key, quick);
    if (hit !== undefined) return hit;
    return cache.putText(key, quick, fullRdata(set, key, signer, w, cache));
  }
  return fullRdata(set, key, signer, w, cache);
}

/** A cache key for an RRset of addresses only (they need no canonical form to compare); else undefined. */
function quickKey(set: SignInput, signer: string, w: Window): string | undefined {
  let k = `${signer}\u0000${set.owner}\u0000${set.wildcardParent ?? ''}\u0000${set.type}\u0000${set.ttl}\u0000${w.inception}`;
  const addrs: string[] = [];
  for (const d of set.records) {
    if (d.kind !== 'a' && d.kind !== 'aaaa') return undefined;
    addrs.push(d.address);
  }
  if (addrs.length > 1) addrs.sort();
  for (const a of addrs) k += `\u0000${a}`;
  return k;
}

function fullRdata(set: SignInput, key: SigningKey, signer: string, w: Window, cache: SignatureCache): Buffer {
  const signerWire = nameWire(signer);
  const owner = set.wildcardParent !== undefined ? (set.wildcardParent === '.' ? '*.' : `*.${set.wildcardParent}`) : set.owner;
  const head = Buffer.allocUnsafe(18);
  head.writeUInt16BE(set.type, 0);
  head[2] = key.algorithm;
  head[3] = labelCount(owner);
  head.writeUInt32BE(set.ttl >>> 0, 4);
  head.writeUInt32BE(w.expiration >>> 0, 8);
  head.writeUInt32BE(w.inception >>> 0, 12);
  head.writeUInt16BE(key.tag, 16);
  const ownerWire = nameWire(owner);
  const fixed = Buffer.allocUnsafe(10);
  fixed.writeUInt16BE(set.type, 0);
  fixed.writeUInt16BE(CLASS_IN, 2);
  fixed.writeUInt32BE(set.ttl >>> 0, 4);
  const parts: Buffer[] = [head, signerWire];
  for (const rd of canonicalSet(set.type, set.records)) {
    fixed.writeUInt16BE(rd.length, 8);
    parts.push(ownerWire, Buffer.from(fixed), rd);
  }
  const data = Buffer.concat(parts);
  const sig = cache.get(key, data) ?? cache.put(key, data, signData(key.key, data));
  return Buffer.concat([head, signerWire, sig]);
}
