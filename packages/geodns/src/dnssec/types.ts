// What a zone needs to be signed online: its usable keys, split by role, and
// how it denies existence. Built once per zone load (keys.ts) and carried by
// the immutable zone snapshot, so a reload swaps keys and data together.
import type { DnssecKey } from '@geoedge/dnsdata';

export interface SigningKey {
  /** DNSSEC algorithm number: 8 RSASHA256, 13 ECDSAP256SHA256, 15 ED25519. */
  readonly algorithm: number;
  /** 256 ZSK, 257 KSK (SEP); a 257 key is a CSK when the zone has no active ZSK. */
  readonly flags: number;
  /** RFC 4034 appendix B. */
  readonly tag: number;
  /** The parsed key (dnsdata's dnssec/private-key.ts), for signData. */
  readonly key: Pick<DnssecKey, 'algorithm' | 'privateKey'>;
  /** DNSKEY RDATA (flags, protocol 3, algorithm, public key). */
  readonly dnskey: Buffer;
  /**
   * Identifies the key material in signature-cache keys: equal for the same
   * private key across zone reloads, so an edit elsewhere in the zone keeps
   * its cached signatures; different for a new key with a colliding tag.
   */
  readonly uid: string;
}

/** RFC 5155 §4: the zone's NSEC3 parameters (PowerDNS NSEC3PARAM metadata). */
export interface Nsec3Params {
  readonly iterations: number;
  readonly salt: Buffer;
  /** Flags of the NSEC3 records (opt-out bit 1); served as PowerDNS narrow mode. */
  readonly flags: number;
}

export interface ZoneSigning {
  /** Sign every RRset other than the key sets (ZSKs, or the CSKs when no ZSK is active). */
  readonly zsks: readonly SigningKey[];
  /** Sign DNSKEY, CDS and CDNSKEY (active SEP keys, or every active key when none). */
  readonly ksks: readonly SigningKey[];
  /** NSEC3 (narrow) when NSEC3PARAM is set, else compact NSEC ("black lies"). */
  readonly nsec3: Nsec3Params | undefined;
}
