// PowerDNS's private-key text, as stored in the gmysql `cryptokeys.content`
// column (and BIND's "Private-key-format: v1.2" .private files, which PowerDNS
// copied):
//
//   Private-key-format: v1.2
//   Algorithm: 13 (ECDSAP256SHA256)
//   PrivateKey: <base64 of the 32-octet scalar d>          (13)
//   PrivateKey: <base64 of the 32-octet seed, RFC 8080 §3> (15)
//   Modulus: / PublicExponent: / PrivateExponent: / Prime1: / Prime2: /
//   Exponent1: / Exponent2: / Coefficient:  <base64 big-endian integers>  (8)
//
// One "Field: value" a line; PowerDNS ignores fields it does not use (BIND adds
// Created:/Publish:/Activate:), so do we. Parsing never throws: garbage, an
// unknown algorithm or a key that does not sign is an error value naming why.
import { createECDH, createPrivateKey, createPublicKey, sign, verify, type KeyObject, type JsonWebKey } from 'node:crypto';
import { ALGORITHM_NAMES, findAlgorithm, type AlgorithmInfo } from './algorithms.js';

export interface DnssecKey {
  algorithm: AlgorithmInfo;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** As PowerDNS reports it: the RSA modulus length, 256 for the others. */
  bits: number;
}

export type KeyResult = { ok: true; key: DnssecKey } | { ok: false; error: string };

const RSA_FIELDS = [
  ['Modulus', 'n'], ['PublicExponent', 'e'], ['PrivateExponent', 'd'], ['Prime1', 'p'],
  ['Prime2', 'q'], ['Exponent1', 'dp'], ['Exponent2', 'dq'], ['Coefficient', 'qi'],
] as const;

/** PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410 §7): this prefix, then the 32 octets. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Parses `content`; never throws. */
export function parsePrivateKey(content: unknown): KeyResult {
  if (typeof content !== 'string') return fail('private key is not text');
  const fields = new Map<string, string>();
  for (const raw of content.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return fail(`line "${clip(line)}" is not "Field: value"`);
    fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const algText = fields.get('algorithm');
  if (algText === undefined) return fail('no "Algorithm:" line');
  const num = /^(\d+)/.exec(algText);
  const algorithm = num ? findAlgorithm(Number(num[1])) : undefined;
  if (!algorithm) return fail(`unsupported algorithm "${clip(algText)}"; supported: ${ALGORITHM_NAMES}`);
  try {
    const keys = algorithm.number === 8 ? rsaFromFields(fields) : curveFromFields(algorithm, fields);
    if (typeof keys === 'string') return fail(keys);
    const key = { algorithm, ...keys, bits: keyBits(algorithm, keys.publicKey) };
    return selfTest(key) ? { ok: true, key } : fail(`${algorithm.mnemonic} key does not verify its own signature (inconsistent fields)`);
  } catch (err) {
    return fail(`${algorithm.mnemonic} key rejected: ${(err as Error).message}`);
  }
}

/** The text PowerDNS writes for `key` (what `pdnsutil` stores in cryptokeys.content). */
export function formatPrivateKey(key: DnssecKey): string {
  const a = key.algorithm;
  const jwk = key.privateKey.export({ format: 'jwk' });
  const lines = ['Private-key-format: v1.2', `Algorithm: ${a.number} (${a.mnemonic})`];
  if (a.number === 8) {
    for (const [field, j] of RSA_FIELDS) lines.push(`${field}: ${b64(jwk[j])}`);
  } else {
    lines.push(`PrivateKey: ${b64(jwk.d)}`);
  }
  return lines.join('\n') + '\n';
}

function rsaFromFields(fields: Map<string, string>): { privateKey: KeyObject; publicKey: KeyObject } | string {
  const jwk: JsonWebKey = { kty: 'RSA' };
  for (const [field, j] of RSA_FIELDS) {
    const v = fields.get(field.toLowerCase());
    if (v === undefined) return `RSASHA256 key has no "${field}:" line`;
    const bytes = base64Strict(v);
    if (!bytes || bytes.length === 0) return `RSASHA256 "${field}:" is not base64`;
    jwk[j] = stripZeros(bytes).toString('base64url');
  }
  const bad = rsaInconsistency(jwk);
  if (bad) return `RSASHA256 fields do not belong together: ${bad}`;
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/**
 * OpenSSL signs with the CRT fields only, so a wrong PrivateExponent or Modulus
 * would pass a signing test yet make signatures others cannot check: test the
 * RSA identities (n = p·q, dp = d mod p−1, dq = d mod q−1, qi·q ≡ 1 mod p).
 */
function rsaInconsistency(jwk: JsonWebKey): string | undefined {
  const big = (f: string | undefined) => BigInt(`0x${Buffer.from(f ?? '', 'base64url').toString('hex') || '0'}`);
  const [n, d, p, q, dp, dq, qi] = [jwk.n, jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi].map(big) as [bigint, bigint, bigint, bigint, bigint, bigint, bigint];
  if (p < 2n || q < 2n || n !== p * q) return 'Modulus is not Prime1 × Prime2';
  if (dp !== d % (p - 1n) || dq !== d % (q - 1n)) return 'Exponent1/Exponent2 do not match PrivateExponent';
  if ((qi * q) % p !== 1n) return 'Coefficient is not the inverse of Prime2';
  return undefined;
}

function curveFromFields(a: AlgorithmInfo, fields: Map<string, string>): { privateKey: KeyObject; publicKey: KeyObject } | string {
  const v = fields.get('privatekey');
  if (v === undefined) return `${a.mnemonic} key has no "PrivateKey:" line`;
  const raw = base64Strict(v);
  if (!raw || raw.length === 0 || raw.length > 32) return `${a.mnemonic} "PrivateKey:" is not base64 of at most 32 octets`;
  const d = Buffer.concat([Buffer.alloc(32 - raw.length), raw]);
  if (a.number === 15) {
    const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, d]), format: 'der', type: 'pkcs8' });
    return { privateKey, publicKey: createPublicKey(privateKey) };
  }
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d); // throws for 0 or ≥ the group order
  const pub = ecdh.getPublicKey(); // 04 || X || Y
  const jwk: JsonWebKey = { kty: 'EC', crv: 'P-256', d: d.toString('base64url'), x: pub.subarray(1, 33).toString('base64url'), y: pub.subarray(33, 65).toString('base64url') };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

function keyBits(a: AlgorithmInfo, publicKey: KeyObject): number {
  return a.number === 8 ? publicKey.asymmetricKeyDetails?.modulusLength ?? 0 : a.defaultBits;
}

/** Signs and verifies a fixed message: catches RSA fields that do not belong together. */
function selfTest(key: DnssecKey): boolean {
  const msg = Buffer.from('geoedge dnssec key self-test');
  const sig = signData(key, msg);
  return verifyData(key.algorithm.number, key.publicKey, msg, sig);
}

/** A DNSSEC signature of `data` (RFC 5702 PKCS#1 v1.5, RFC 6605 r||s, RFC 8080 raw Ed25519). */
export function signData(key: Pick<DnssecKey, 'algorithm' | 'privateKey'>, data: Buffer): Buffer {
  switch (key.algorithm.number) {
    case 8: return sign('sha256', data, key.privateKey);
    case 13: return sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    case 15: return sign(null, data, key.privateKey);
  }
}

/** Checks a DNSSEC signature made by signData (or any signer of the same algorithm). */
export function verifyData(algorithm: number, publicKey: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    switch (algorithm) {
      case 8: return verify('sha256', data, publicKey, signature);
      case 13: return verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
      case 15: return verify(null, data, publicKey, signature);
      default: return false;
    }
  } catch {
    return false;
  }
}

/** Standard base64 (padding optional, whitespace allowed); undefined if any other character appears. */
export function base64Strict(s: string): Buffer | undefined {
  const t = s.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 === 1) return undefined;
  return Buffer.from(t, 'base64');
}

function stripZeros(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

function b64(jwkField: string | undefined): string {
  return Buffer.from(jwkField ?? '', 'base64url').toString('base64');
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}
