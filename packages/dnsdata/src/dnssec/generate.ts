// New signing keys, as `pdnsutil add-zone-key` makes them: P-256 and Ed25519
// have one size; RSA takes a modulus length (2048 by default, exponent 65537).
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { ALGORITHM_NAMES, RSA_MAX_BITS, RSA_MIN_BITS, findAlgorithm } from './algorithms.js';
import type { DnssecKey, KeyResult } from './private-key.js';

const generatePair = promisify(generateKeyPair);

/**
 * A fresh key of `algorithm` (number or name). `bits` only matters for RSA;
 * for the curve algorithms it must be absent, 0 or 256, as PowerDNS insists.
 */
export async function generateKey(algorithm: string | number, bits?: number): Promise<KeyResult> {
  const a = findAlgorithm(algorithm);
  if (!a) return { ok: false, error: `unknown algorithm "${String(algorithm)}"; supported: ${ALGORITHM_NAMES}` };
  if (bits !== undefined && (!Number.isInteger(bits) || bits < 0)) return { ok: false, error: `bits must be a whole number, got ${String(bits)}` };
  if (a.number !== 8) {
    if (bits && bits !== a.defaultBits) return { ok: false, error: `${a.mnemonic} keys have ${a.defaultBits} bits, not ${bits}` };
    const pair = a.number === 13 ? await generatePair('ec', { namedCurve: 'prime256v1' }) : await generatePair('ed25519');
    return { ok: true, key: { algorithm: a, privateKey: pair.privateKey, publicKey: pair.publicKey, bits: a.defaultBits } };
  }
  const size = bits || a.defaultBits;
  if (size < RSA_MIN_BITS || size > RSA_MAX_BITS || size % 8 !== 0) {
    return { ok: false, error: `RSASHA256 bits must be a multiple of 8 from ${RSA_MIN_BITS} to ${RSA_MAX_BITS}, got ${size}` };
  }
  const pair = await generatePair('rsa', { modulusLength: size, publicExponent: 65537 });
  const key: DnssecKey = { algorithm: a, privateKey: pair.privateKey, publicKey: pair.publicKey, bits: size };
  return { ok: true, key };
}
