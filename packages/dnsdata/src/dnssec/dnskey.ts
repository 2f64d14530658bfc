// DNSKEY and DS from a key (RFC 4034 §2, §5; key tag: appendix B).
//
//   DNSKEY RDATA:  flags(16) | protocol(8)=3 | algorithm(8) | public key
//   public key:    RSA     RFC 3110 §2: exponent length (1 octet, or 0 then 2 octets)
//                          | exponent | modulus, both without leading zeros
//                  ECDSA   RFC 6605 §4: X | Y, 32 octets each
//                  Ed25519 RFC 8080 §3: the 32-octet public key
//   DS RDATA:      key tag(16) | algorithm(8) | digest type(8) |
//                  digest( owner name in canonical wire form | DNSKEY RDATA )
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { lowerName, nameToLabels } from '../name.js';
import type { DnssecKey } from './private-key.js';

export const FLAGS_ZSK = 256;
/** ZONE | SEP: a KSK, or a CSK when no separate ZSK is active. */
export const FLAGS_KSK = 257;
export const DNSKEY_PROTOCOL = 3;

/**
 * DS digest types: 2 SHA-256 (RFC 4509) and 4 SHA-384 (RFC 6605) to give a
 * registrar; 1 SHA-1 only because PowerDNS's API lists it in `ds` (RFC 8624
 * §3.3: MUST NOT be used for new DS records).
 */
export const DS_DIGESTS = { 1: 'sha1', 2: 'sha256', 4: 'sha384' } as const;
export type DsDigestType = keyof typeof DS_DIGESTS;

/** The public key field of DNSKEY in DNSSEC wire form. */
export function publicKeyWire(key: Pick<DnssecKey, 'algorithm' | 'publicKey'>): Buffer {
  const jwk = key.publicKey.export({ format: 'jwk' });
  const raw = (f: string | undefined) => Buffer.from(f ?? '', 'base64url');
  switch (key.algorithm.number) {
    case 8: {
      const e = raw(jwk.e);
      const n = raw(jwk.n);
      const len = e.length <= 255 ? Buffer.from([e.length]) : Buffer.from([0, e.length >> 8, e.length & 0xff]);
      return Buffer.concat([len, e, n]);
    }
    case 13: return Buffer.concat([raw(jwk.x), raw(jwk.y)]);
    case 15: return raw(jwk.x);
  }
}

/** DNSKEY RDATA for `key` with `flags` (256 ZSK, 257 KSK/CSK). */
export function dnskeyRdata(flags: number, key: Pick<DnssecKey, 'algorithm' | 'publicKey'>): Buffer {
  const head = Buffer.from([flags >> 8, flags & 0xff, DNSKEY_PROTOCOL, key.algorithm.number]);
  return Buffer.concat([head, publicKeyWire(key)]);
}

/** Presentation form of DNSKEY RDATA: "257 3 13 <base64>". */
export function dnskeyText(rdata: Buffer): string {
  return `${rdata.readUInt16BE(0)} ${rdata[2]} ${rdata[3]} ${rdata.subarray(4).toString('base64')}`;
}

/** RFC 4034 appendix B key tag (not for algorithm 1, which nobody signs with). */
export function keyTag(rdata: Buffer): number {
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i]! : rdata[i]! << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

/** Canonical (lower-case, uncompressed) wire form of a presentation name (RFC 4034 §6.2). */
export function canonicalNameWire(name: string): Buffer {
  const labels = nameToLabels(lowerName(name));
  const parts: Buffer[] = [];
  for (const l of labels) parts.push(Buffer.from([l.length]), l);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** DS RDATA for the DNSKEY `rdata` owned by `owner` (the zone apex). */
export function dsRdata(owner: string, rdata: Buffer, digestType: DsDigestType): Buffer {
  const digest = createHash(DS_DIGESTS[digestType]).update(canonicalNameWire(owner)).update(rdata).digest();
  const head = Buffer.alloc(4);
  head.writeUInt16BE(keyTag(rdata), 0);
  head[2] = rdata[3]!;
  head[3] = digestType;
  return Buffer.concat([head, digest]);
}

/** Presentation form of DS RDATA: "58256 13 2 a39d…" (hex in lower case, as PowerDNS prints it). */
export function dsText(ds: Buffer): string {
  return `${ds.readUInt16BE(0)} ${ds[2]} ${ds[3]} ${ds.subarray(4).toString('hex')}`;
}

/**
 * The public key in a DNSKEY RDATA as a KeyObject, for verifying signatures;
 * undefined for other algorithms or a malformed key.
 */
export function publicKeyFromDnskey(rdata: Buffer): KeyObject | undefined {
  if (rdata.length < 5) return undefined;
  const pk = rdata.subarray(4);
  const url = (b: Buffer) => b.toString('base64url');
  try {
    switch (rdata[3]) {
      case 8: {
        let off = 1;
        let elen = pk[0]!;
        if (elen === 0) { elen = pk.readUInt16BE(1); off = 3; }
        const e = pk.subarray(off, off + elen);
        const n = pk.subarray(off + elen);
        if (e.length !== elen || n.length === 0) return undefined;
        return createPublicKey({ key: { kty: 'RSA', e: url(e), n: url(n) }, format: 'jwk' });
      }
      case 13:
        if (pk.length !== 64) return undefined;
        return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: url(pk.subarray(0, 32)), y: url(pk.subarray(32)) }, format: 'jwk' });
      case 15:
        if (pk.length !== 32) return undefined;
        return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: url(pk) }, format: 'jwk' });
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}
