// NSEC3 owner hashes and NSEC3PARAM text (RFC 5155 §5, §4.3), as PowerDNS keeps
// them in the NSEC3PARAM domain metadata: "<alg> <flags> <iterations> <salt>",
// salt in hex or "-" for none; flags bit 0 is opt-out.
//
//   IH(salt, x, 0) = H(x || salt)
//   IH(salt, x, k) = H(IH(salt, x, k-1) || salt)      hash = IH(salt, owner, iterations)
//   owner in canonical wire form; result written in base32hex (RFC 4648 §7), no padding.
import { createHash } from 'node:crypto';
import { canonicalNameWire } from './dnskey.js';

export interface Nsec3Param {
  /** Always 1 (SHA-1), the only hash RFC 5155 defines. */
  algorithm: 1;
  flags: number;
  iterations: number;
  /** Salt octets (empty for "-"). */
  salt: Buffer;
}

/** PowerDNS's max-nsec3-iterations default (4.7); RFC 9276 asks for 0. */
export const MAX_NSEC3_ITERATIONS = 100;

export type Nsec3ParamResult = { ok: true; value: Nsec3Param } | { ok: false; error: string };

/** Parses "1 0 1 ab"; never throws. */
export function parseNsec3Param(text: unknown): Nsec3ParamResult {
  if (typeof text !== 'string') return { ok: false, error: 'NSEC3PARAM is not text' };
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 4 || !parts.slice(0, 3).every((p) => /^\d{1,5}$/.test(p))) {
    return { ok: false, error: `NSEC3PARAM "${text}" is not "<algorithm> <flags> <iterations> <salt hex or ->"` };
  }
  const [alg, flags, iterations] = parts.slice(0, 3).map(Number) as [number, number, number];
  const saltText = parts[3]!;
  if (alg !== 1) return { ok: false, error: `Invalid hash algorithm for NSEC3: '${alg}', the only valid value is '1'` };
  if (flags > 255) return { ok: false, error: `NSEC3 flags ${flags} do not fit one octet` };
  if (iterations > MAX_NSEC3_ITERATIONS) return { ok: false, error: `Number of NSEC3 iterations ${iterations} is above ${MAX_NSEC3_ITERATIONS}` };
  if (saltText !== '-' && !/^(?:[0-9a-fA-F]{2}){1,255}$/.test(saltText)) return { ok: false, error: `NSEC3 salt "${saltText}" is not hex octets or "-"` };
  return { ok: true, value: { algorithm: 1, flags, iterations, salt: saltText === '-' ? Buffer.alloc(0) : Buffer.from(saltText, 'hex') } };
}

/** The text PowerDNS stores: salt in lower-case hex, "-" for none. */
export function formatNsec3Param(p: Nsec3Param): string {
  return `${p.algorithm} ${p.flags} ${p.iterations} ${p.salt.length ? p.salt.toString('hex') : '-'}`;
}

/** The NSEC3 hash of `name`, raw. */
export function nsec3HashRaw(name: string, p: Pick<Nsec3Param, 'iterations' | 'salt'>): Buffer {
  let h = createHash('sha1').update(canonicalNameWire(name)).update(p.salt).digest();
  for (let i = 0; i < p.iterations; i++) h = createHash('sha1').update(h).update(p.salt).digest();
  return h;
}

const B32HEX = '0123456789abcdefghijklmnopqrstuv';

/** RFC 4648 base32hex, lower case, no padding (how NSEC3 owner labels are written). */
export function base32hex(b: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of b) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32HEX[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32HEX[(value << (5 - bits)) & 31];
  return out;
}

/** The NSEC3 owner label of `name` (32 base32hex characters). */
export function nsec3Hash(name: string, p: Pick<Nsec3Param, 'iterations' | 'salt'>): string {
  return base32hex(nsec3HashRaw(name, p));
}
