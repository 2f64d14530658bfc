// Between a zone source and buildZone: the zone's records plus its apex key
// records (DNSKEY, CDS, CDNSKEY, NSEC3PARAM), and its signing keys. Problems
// with keys are logged once per zone and problem (a zone re-read on every edit
// must not repeat them), never thrown: the zone is then served with the keys
// that work, or unsigned.
import { TYPE, type RR } from '@geoedge/dnsdata';
import type { Logger } from '@geoedge/shared';
import { zoneKeys, type KeyRow } from './zone-keys.js';
import type { ZoneSigning } from './types.js';
import type { ZoneData } from '../zones/zone.js';
import { chainOf } from './nsec-chain.js';

/** What has been logged already: `${zone} ${problem}`. */
export type KeyProblems = Set<string>;

export function secureZone(
  origin: string, records: RR[], keys: readonly KeyRow[], metadata: ReadonlyMap<string, readonly string[]>, log: Logger, logged: KeyProblems,
): { records: RR[]; signing: ZoneSigning | undefined } {
  if (keys.length === 0) return { records, signing: undefined };
  const soa = records.find((r) => r.type === TYPE.SOA);
  const ttl = soa?.data.kind === 'soa' ? soa.data.minimum : 3600;
  // Key records in the table win over any stored in records (PowerDNS never stores them there).
  const own = new Set<number>([TYPE.DNSKEY, 59, 60, 51]);
  const k = zoneKeys(origin, keys, metadata, ttl);
  for (const p of k.problems) {
    const key = `${origin} ${p}`;
    if (logged.has(key)) continue;
    if (logged.size > 100_000) logged.clear();
    logged.add(key);
    log.warn({ zone: origin }, `zone ${origin}: DNSSEC: ${p}`);
  }
  if (k.records.length === 0 && !k.signing) return { records, signing: undefined };
  const apex = origin.toLowerCase();
  return { records: [...records.filter((r) => !(own.has(r.type) && r.name.toLowerCase() === apex)), ...k.records], signing: k.signing };
}

/**
 * The built zone with its signing keys. Its NSEC chain is made here, at load
 * (O(n log n), 0.26 s for 200,000 names), not by the first denial a query needs.
 */
export function withSigning(zone: ZoneData, signing: ZoneSigning | undefined): ZoneData {
  if (signing === undefined) return zone;
  const signed: ZoneData = { ...zone, signing };
  if (signing.nsec3 === undefined) chainOf(signed);
  return signed;
}
