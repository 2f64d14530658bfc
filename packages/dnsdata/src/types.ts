// The suite's DNS record vocabulary: shared by geodns (serving), zonedb (rows),
// and control (API validation and export). No wire format here: that lives in
// geodns/src/wire. Names are presentation strings, fully qualified with a
// trailing dot, RFC 1035 escapes kept ("a\.b.example.com."), case as written.
// Lookups use `lowerName(name)` (ASCII lower-case only, per RFC 4343).

export const TYPE = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, HINFO: 13, MX: 15, TXT: 16, AAAA: 28,
  SRV: 33, NAPTR: 35, DS: 43, SSHFP: 44, RRSIG: 46, NSEC: 47, DNSKEY: 48,
  TLSA: 52, SVCB: 64, HTTPS: 65, SPF: 99, OPT: 41, AXFR: 252, IXFR: 251, ANY: 255, CAA: 257,
  DNAME: 39,
  /** PowerDNS's LUA pseudo-type; never sent on the wire. */
  LUA: 65402,
  /** PowerDNS's ALIAS (a name whose A/AAAA are the target's, resolved when asked). */
  ALIAS: 65401,
} as const;

export const CLASS_IN = 1;

/** Record data, one variant per wire shape. Unknown types use `raw` (RFC 3597). */
export type Rdata =
  | { kind: 'a'; address: string }                      // A, dotted quad
  | { kind: 'aaaa'; address: string }                   // AAAA, any valid IPv6 text
  | { kind: 'name'; target: string }                    // NS CNAME PTR DNAME ALIAS: one domain name
  | { kind: 'mx'; preference: number; exchange: string }
  | { kind: 'soa'; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  // TXT SPF: the strings as written; one over 255 octets goes on the wire as
  // several 255-octet character-strings (as PowerDNS does), see txtWireLength.
  | { kind: 'txt'; strings: Buffer[] }
  | { kind: 'srv'; priority: number; weight: number; port: number; target: string }
  | { kind: 'caa'; flags: number; tag: string; value: Buffer }
  | { kind: 'naptr'; order: number; preference: number; flags: Buffer; services: Buffer; regexp: Buffer; replacement: string }
  | { kind: 'ds'; keyTag: number; algorithm: number; digestType: number; digest: Buffer }
  | { kind: 'raw'; bytes: Buffer }                      // any type in RFC 3597 form (\# len hex)
  | { kind: 'lua'; innerType: number; code: string };   // PowerDNS LUA record: evaluated by geodns, never on the wire

export interface RR {
  name: string;   // owner, FQDN presentation with trailing dot
  type: number;   // TYPE code; for LUA records this is TYPE.LUA and data.innerType says what it yields
  class: number;  // CLASS_IN
  ttl: number;
  data: Rdata;
}

/** Records of one owner and type, as served. LUA records are folded into the
 * RRset of their inner type (their `data.kind === 'lua'`), so lookups, CNAME
 * rules and ANY treat them as that type; the server evaluates them before encoding. */
export interface RRset {
  name: string;
  type: number;
  ttl: number;
  records: Rdata[];
}

/** A problem found while reading zone text, with where it was. */
export interface ZoneTextError {
  file: string;
  line: number;
  message: string;
}
