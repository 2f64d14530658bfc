// Seams of the zone store. A ZoneSet is an immutable snapshot: built whole,
// swapped whole, read by queries without locks.
import type { RR, RRset } from '@geoedge/dnsdata';
import type { ZoneSigning } from '../dnssec/types.js';

export interface Zone {
  /** Apex, FQDN lower-case with trailing dot. */
  readonly origin: string;
  readonly soa: RR;
  /** Where it came from, for logs ("file:/etc/zones/example.com.zone", "db:17"). */
  readonly source: string;
  /** Serial at load, for change detection and status. */
  readonly serial: number;
  /** Its usable DNSSEC keys (dnssec/zone-keys.ts); undefined: served unsigned. */
  readonly signing?: ZoneSigning;
}

/** The outcome of looking a name up in the snapshot (CoreDNS-style result kinds). */
export type LookupResult =
  | { kind: 'refused' }                                        // in no zone we serve
  | { kind: 'answer'; zone: Zone; rrsets: RRset[]; wildcard: string | undefined }   // qtype (or all types for ANY); owner already the qname for wildcards; wildcard: the source of synthesis (`*.<closest encloser>`), if any
  | { kind: 'cname'; zone: Zone; rrset: RRset; wildcard: string | undefined }       // a CNAME at the name (qtype not CNAME): chase rrset.records[0]
  | { kind: 'dname'; zone: Zone; dname: RRset; cname: RRset | undefined }  // RFC 6672 §3.2: DNAME above qname; cname: the synthesised CNAME, undefined if its target would be over 255 octets
  | { kind: 'alias'; zone: Zone; rrset: RRset }                          // A/AAAA asked at a name with an ALIAS and no records of that type
  | { kind: 'nodata'; zone: Zone }
  | { kind: 'nxdomain'; zone: Zone }
  | { kind: 'delegation'; zone: Zone; ns: RRset; glue: RRset[] };         // zone cut at or above qname (below apex)

export interface ZoneSet {
  readonly zones: ReadonlyMap<string, Zone>;
  /** Longest-match zone lookup then the RFC 1034 §4.3.2 algorithm with RFC 4592 wildcards. `qname` is lower-case FQDN. */
  lookup(qname: string, qtype: number): LookupResult;
  /** Zone whose apex is closest enclosing, or undefined. */
  findZone(qname: string): Zone | undefined;
}
