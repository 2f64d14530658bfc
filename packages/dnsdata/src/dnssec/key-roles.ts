// Which role each key of a zone plays, decided as PowerDNS's DNSSECKeeper::getKeys
// does, per algorithm: an algorithm with at least one active KSK (flags 257) AND
// one active ZSK (flags 256) is split — its 257 keys are KSKs (sign only the
// DNSKEY RRset and CDS/CDNSKEY), its 256 keys ZSKs (sign the rest); every key of
// any other algorithm is a CSK that signs everything. (pdnsutil show-zone on an
// active ECDSA 257 key plus an active Ed25519 256 key prints two CSKs.)

export type KeyType = 'ksk' | 'zsk' | 'csk';

export interface KeyState {
  flags: number;
  active: boolean;
  /** DNSSEC algorithm number. */
  algorithm: number;
}

/** Role of each key, in the order given. */
export function keyTypes(keys: readonly KeyState[]): KeyType[] {
  const sep = new Set<number>();
  const noSep = new Set<number>();
  for (const k of keys) if (k.active) (k.flags === 257 ? sep : noSep).add(k.algorithm);
  return keys.map((k) => (sep.has(k.algorithm) && noSep.has(k.algorithm) ? (k.flags === 257 ? 'ksk' : 'zsk') : 'csk'));
}
