// The served snapshot: every zone, and the lookup of RFC 1034 §4.3.2 with the
// wildcard rules of RFC 4592.
//
//   RFC 1034 §4.3.2, the part an authoritative server runs:
//     2. Search the available zones for the zone which is the nearest
//        ancestor to QNAME.  [none: REFUSED]
//     3. Start matching down, label by label, in the zone.
//        a. If the whole of QNAME is matched, we have found the node.
//           If the data at the node is a CNAME, and QTYPE doesn't match
//           CNAME, copy the CNAME RR into the answer section [...]
//           Otherwise, copy all RRs which match QTYPE into the answer section.
//        b. If a match would take us out of the authoritative data, we have
//           a referral.  This happens when we encounter a node with NS RRs
//           marking cuts along the bottom of a zone.  [NS RRset + glue]
//        c. If at some label, a match is impossible (i.e., the corresponding
//           label does not exist), look to see if a "*" label exists.
//           If the "*" label does not exist, [...] authoritative name error.
//
//   RFC 4592 §3.3.1: the closest encloser is the longest existing ancestor of
//   QNAME; the source of synthesis is `*.<closest encloser>` when it exists.
//   "Exists" includes empty non-terminals (§2.2.2), so a name that exists
//   only because something lies below it is never matched by a wildcard, and
//   a source of synthesis that is itself an empty non-terminal yields NODATA.
//
// Instead of matching downwards, the lookup walks up from QNAME to the first
// name that exists (one Map get per label, no arrays); each node already knows
// the highest zone cut above it, which is where a downward match would stop.
// DS is the exception to "stop at the cut": it belongs to the parent side
// (RFC 4035 §3.1.4.1), so a DS query exactly at a cut is answered here.
import { TYPE, type RRset } from '@geoedge/dnsdata';
import type { LookupResult, ZoneSet } from './types.js';
import type { ZoneData, ZoneNode } from './zone.js';
import { nextLabel, parentName } from './labels.js';

export interface ZoneSetData extends ZoneSet {
  readonly zones: ReadonlyMap<string, ZoneData>;
  findZone(qname: string): ZoneData | undefined;
}

const REFUSED: LookupResult = Object.freeze({ kind: 'refused' });

/** Zones with the same origin: the later one wins (callers pass unique origins). */
export function buildZoneSet(zones: ZoneData[]): ZoneSetData {
  const byOrigin = new Map<string, ZoneData>();
  for (const z of zones) byOrigin.set(z.origin, z);
  const findZone = (qname: string) => findZoneIn(byOrigin, qname);
  return {
    zones: byOrigin,
    findZone,
    lookup(qname: string, qtype: number): LookupResult {
      const zone = findZone(qname);
      if (zone === undefined) return REFUSED;
      if (qtype === TYPE.DS && qname === zone.origin) {
        const parent = parentSideOf(byOrigin, qname);
        if (parent !== undefined) return lookupInZone(parent, qname, qtype);
      }
      return lookupInZone(zone, qname, qtype);
    },
  };
}

/** Longest match: the qname itself, then each parent, up to the root. */
function findZoneIn(byOrigin: ReadonlyMap<string, ZoneData>, qname: string): ZoneData | undefined {
  for (let pos = 0; pos < qname.length; pos = nextLabel(qname, pos)) {
    const z = byOrigin.get(pos === 0 ? qname : qname.slice(pos));
    if (z !== undefined) return z;
  }
  return byOrigin.get('.');
}

/**
 * For DS at a zone's apex: the parent zone, if we serve it and it delegates
 * exactly here (RFC 4035 §3.1.4.1: the DS RRset lives on the parent side).
 */
function parentSideOf(byOrigin: ReadonlyMap<string, ZoneData>, apex: string): ZoneData | undefined {
  const up = parentName(apex);
  const parent = up === undefined ? undefined : findZoneIn(byOrigin, up);
  const node = parent?.nodes.get(apex);
  return node !== undefined && node.cut === node ? parent : undefined;
}

export function lookupInZone(zone: ZoneData, qname: string, qtype: number): LookupResult {
  const nodes = zone.nodes;
  // Index in qname where the apex starts ("." is the last character).
  const stop = zone.origin === '.' ? qname.length - 1 : qname.length - zone.origin.length;
  let pos = 0;
  let node = nodes.get(qname);
  while (node === undefined && pos < stop) {
    pos = Math.min(nextLabel(qname, pos), stop);
    node = nodes.get(qname.slice(pos));
  }
  if (node === undefined) return { kind: 'nxdomain', zone }; // unreachable: a built zone has its apex
  const cut = node.cut;
  if (cut !== undefined) {
    if (cut === node && pos === 0 && qtype === TYPE.DS) return parentSideDs(zone, node);
    return { kind: 'delegation', zone, ns: cut.rrsets.get(TYPE.NS)!, glue: cut.glue as RRset[] };
  }
  if (pos === 0) return atNode(zone, node, qname, qtype, false);
  // Name error unless the closest encloser has a `*` child (RFC 4592 §3.3.1).
  const source = node.wildcard;
  if (source === undefined) return { kind: 'nxdomain', zone };
  if (source.cut !== undefined) {
    // A wildcard NS (RFC 4592 §4.2 leaves it undefined): refer, owned by the qname.
    return { kind: 'delegation', zone, ns: rename(source.cut.rrsets.get(TYPE.NS)!, qname), glue: source.cut.glue as RRset[] };
  }
  return atNode(zone, source, qname, qtype, true);
}

/** Step 3a at the matched node (or the source of synthesis, owner rewritten to qname). */
function atNode(zone: ZoneData, node: ZoneNode, qname: string, qtype: number, wildcard: boolean): LookupResult {
  if (qtype === TYPE.ANY) {
    if (node.all.length === 0) return { kind: 'nodata', zone };
    return { kind: 'answer', zone, rrsets: wildcard ? node.all.map((s) => rename(s, qname)) : node.all.slice(), wildcard };
  }
  const set = node.rrsets.get(qtype);
  if (set !== undefined) return { kind: 'answer', zone, rrsets: [wildcard ? rename(set, qname) : set], wildcard };
  const cname = node.rrsets.get(TYPE.CNAME);
  if (cname !== undefined) return { kind: 'cname', zone, rrset: wildcard ? rename(cname, qname) : cname, wildcard };
  return { kind: 'nodata', zone };
}

function parentSideDs(zone: ZoneData, node: ZoneNode): LookupResult {
  const ds = node.rrsets.get(TYPE.DS);
  return ds === undefined ? { kind: 'nodata', zone } : { kind: 'answer', zone, rrsets: [ds], wildcard: false };
}

function rename(s: RRset, name: string): RRset {
  return { name, type: s.type, ttl: s.ttl, records: s.records };
}
