// Bodies of POST and PUT …/cryptokeys, checked as PowerDNS 4.7 checks them
// (ws-auth.cc apiZoneCryptokeysPOST/PUT), with clearer answers where PowerDNS
// gives a 500 or a vague one: a private key that does not parse names the
// field and the reason; an unknown algorithm names the ones allowed.
// Where we differ on purpose: without `algorithm` a key is ECDSAP256SHA256 (PowerDNS
// falls back to default-ksk/zsk-algorithm, and refuses a ZSK when that is unset),
// an RSA key without `bits` has 2048 (PowerDNS refuses it), and RSA below 1024 bits
// is refused (validators treat it as insecure).
import { ALGORITHM_NAMES, findAlgorithm, generateKey, formatPrivateKey, parsePrivateKey, FLAGS_KSK, FLAGS_ZSK } from '@geoedge/dnsdata';
import type { NewCryptokey } from '@geoedge/zonedb';
import { isObject, type Checked } from './zone-input.js';

const FLAGS: Record<string, number> = { ksk: FLAGS_KSK, csk: FLAGS_KSK, zsk: FLAGS_ZSK };

/** POST: the key to store (generated here unless `privatekey` imports one). */
export async function checkNewCryptokey(body: unknown): Promise<Checked<NewCryptokey>> {
  const o = isObject(body) ? body : {};
  if (typeof o.keytype !== 'string') return { ok: false, error: "Key 'keytype' not present or not a String" };
  const flags = FLAGS[o.keytype];
  if (flags === undefined) return { ok: false, error: `Invalid keytype ${o.keytype}; allowed: ksk, zsk, csk` };
  const active = o.active === true;
  const published = o.published !== false;
  // "content" is the field's old name, still read by PowerDNS 4.7.
  const text = o.privatekey ?? o.content;
  const field = o.privatekey !== undefined ? 'privatekey' : 'content';
  if (text !== undefined && text !== null && text !== '') {
    if (typeof text !== 'string') return { ok: false, error: `Key '${field}' not present or not a String` };
    if ((o.algorithm ?? null) !== null || (o.bits ?? null) !== null) {
      return { ok: false, error: "Either you submit just the 'privatekey' field or you leave 'privatekey' empty and submit the other fields." };
    }
    const parsed = parsePrivateKey(text);
    if (!parsed.ok) return { ok: false, error: `Key '${field}' could not be parsed: ${parsed.error}` };
    return { ok: true, value: { flags, active, published, content: formatPrivateKey(parsed.key) } };
  }
  let bits: number | undefined;
  if (o.bits !== undefined && o.bits !== null) {
    if (typeof o.bits !== 'number' || !Number.isInteger(o.bits) || o.bits < 0) return { ok: false, error: "'bits' must be a positive integer value" };
    bits = o.bits;
  }
  const algText = o.algorithm ?? 'ECDSAP256SHA256';
  if (typeof algText !== 'string' && typeof algText !== 'number') return { ok: false, error: `Key 'algorithm' must be a name or number; allowed: ${ALGORITHM_NAMES}` };
  const algorithm = findAlgorithm(algText);
  if (!algorithm) return { ok: false, error: `Unknown algorithm: ${String(algText)}; allowed: ${ALGORITHM_NAMES}` };
  const made = await generateKey(algorithm.number, bits);
  if (!made.ok) return { ok: false, error: `Key 'bits': ${made.error}` };
  return { ok: true, value: { flags, active, published, content: formatPrivateKey(made.key) } };
}

/** PUT: `active` is required, `published` optional (anything but a boolean leaves it as it is). */
export function checkCryptokeyState(body: unknown): Checked<{ active: boolean; published?: boolean }> {
  const o = isObject(body) ? body : {};
  if (typeof o.active !== 'boolean') return { ok: false, error: "Key 'active' not present or not a Bool" };
  return { ok: true, value: { active: o.active, ...(typeof o.published === 'boolean' ? { published: o.published } : {}) } };
}

/** What `"dnssec": true` creates, as `pdnsutil secure-zone` with default settings: one active ECDSAP256SHA256 CSK. */
export async function defaultZoneKeys(): Promise<NewCryptokey[]> {
  const made = await generateKey('ECDSAP256SHA256');
  if (!made.ok) throw new Error(made.error);
  return [{ flags: FLAGS_KSK, active: true, published: true, content: formatPrivateKey(made.key) }];
}
