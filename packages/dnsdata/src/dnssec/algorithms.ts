// The DNSSEC signing algorithms PowerDNS and geodns both handle (RFC 8624 §3.1
// "MUST/RECOMMENDED" for signing), with the three spellings each one has:
// the IANA number, the mnemonic PowerDNS's API and private-key files use, and
// the short name `pdnsutil add-zone-key` takes.

export type AlgorithmNumber = 8 | 13 | 15;

export interface AlgorithmInfo {
  number: AlgorithmNumber;
  /** IANA mnemonic, as in PowerDNS's API `algorithm` field and the key file's "Algorithm: 13 (ECDSAP256SHA256)". */
  mnemonic: 'RSASHA256' | 'ECDSAP256SHA256' | 'ED25519';
  /** pdnsutil's spelling (`add-zone-key … ecdsa256`). */
  pdnsutil: 'rsasha256' | 'ecdsa256' | 'ed25519';
  /** Key size PowerDNS reports; for RSA the default when none is asked for. */
  defaultBits: number;
}

export const ALGORITHMS: readonly AlgorithmInfo[] = [
  { number: 8, mnemonic: 'RSASHA256', pdnsutil: 'rsasha256', defaultBits: 2048 },
  { number: 13, mnemonic: 'ECDSAP256SHA256', pdnsutil: 'ecdsa256', defaultBits: 256 },
  { number: 15, mnemonic: 'ED25519', pdnsutil: 'ed25519', defaultBits: 256 },
];

/** For error messages: "RSASHA256 (8), ECDSAP256SHA256 (13), ED25519 (15)". */
export const ALGORITHM_NAMES = ALGORITHMS.map((a) => `${a.mnemonic} (${a.number})`).join(', ');

/** RSA moduli PowerDNS and validators accept for RSASHA256 (RFC 5702 §2: 512..4096; we refuse < 1024). */
export const RSA_MIN_BITS = 1024;
export const RSA_MAX_BITS = 4096;

/**
 * The algorithm named by a number ("13", 13) or a name in any case ("ECDSAP256SHA256",
 * "ecdsa256", "ed25519"); undefined when it is none of the three.
 */
export function findAlgorithm(id: string | number): AlgorithmInfo | undefined {
  if (typeof id === 'number') return ALGORITHMS.find((a) => a.number === id);
  const s = id.trim().toLowerCase();
  if (/^\d+$/.test(s)) return ALGORITHMS.find((a) => a.number === Number(s));
  return ALGORITHMS.find((a) => a.mnemonic.toLowerCase() === s || a.pdnsutil === s);
}
