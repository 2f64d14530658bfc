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
import { TYPE, wireLength, type RRset } from '@geoedge/dnsdata';
import type { LookupResult, ZoneSet } from './types.js';
import type { ZoneData } from './zone.js';
import { rrsetOf, type ZoneNode } from './zone-node.js';
import { nextLabel, parentName } from './labels.js';

export interface ZoneSetData extends ZoneSet {
  readonly zones: ReadonlyMap<string, ZoneData>;
  findZone(qname: string): ZoneData | undefined;
}

const REFUSED: LookupResult = Object.freeze({ kind: 'refused' });

// The suffixes of the qname being looked up: SUFFIX[i] is the name i labels
// up from it. The zone search fills it on its way up and the in-zone walk
// reuses it, so each suffix is sliced and hashed once per lookup. Lookups are
// synchronous and never nest, so one module-level array is safe.
const SUFFIX: string[] = [];

/** Zones with the same origin: the later one wins (callers pass unique origins). */
export function buildZoneSet(zones: ZoneData[]): ZoneSetData {
  const byOrigin = new Map<string, ZoneData>();
  for (const z of zones) byOrigin.set(z.origin, z);
  const served = (s: string) => byOrigin.has(s);
  return {
    zones: byOrigin,
    findZone(qname: string): ZoneData | undefined {
      const i = walkUp(qname, served);
      return i < 0 ? undefined : byOrigin.get(SUFFIX[i]!);
    },
    lookup(qname: string, qtype: number): LookupResult {
      const zi = walkUp(qname, served);
      if (zi < 0) return REFUSED;
      const zone = byOrigin.get(SUFFIX[zi]!)!;
      if (qtype === TYPE.DS && zi === 0) {
        const parent = parentSideOf(byOrigin, served, qname);
        if (parent !== undefined) return lookupInZone(parent, qname, qtype);
      }
      return walkZone(zone, qname, zi, qtype);
    },
  };
}

/**
 * The qname, then each parent up to the root, filling SUFFIX, until `stop`
 * holds: returns that suffix's index in SUFFIX, or -1. With `stop` = "is a
 * zone we serve" this is the longest match.
 */
function walkUp(qname: string, stop: (suffix: string) => boolean): number {
  const last = qname.length - 1; // where "." starts
  let pos = 0;
  for (let i = 0; ; i++) {
    const s = pos === 0 ? qname : qname.slice(pos);
    SUFFIX[i] = s;
    if (stop(s)) return i;
    if (pos >= last) return -1; // that was the root
    pos = Math.min(nextLabel(qname, pos), last);
  }
}

/**
 * For DS at a zone's apex: the parent zone, if we serve it and it delegates
 * exactly here (RFC 4035 §3.1.4.1: the DS RRset lives on the parent side).
 */
function parentSideOf(byOrigin: ReadonlyMap<string, ZoneData>, served: (s: string) => boolean, apex: string): ZoneData | undefined {
  const up = parentName(apex);
  const pi = up === undefined ? -1 : walkUp(up, served);
  const parent = pi < 0 ? undefined : byOrigin.get(SUFFIX[pi]!);
  const node = parent?.nodes.get(apex);
  return node !== undefined && node.cut === node ? parent : undefined;
}

/** The lookup inside one zone, for a qname at or below its origin (else NXDOMAIN). */
export function lookupInZone(zone: ZoneData, qname: string, qtype: number): LookupResult {
  const zi = walkUp(qname, (s) => s === zone.origin);
  return zi < 0 ? { kind: 'nxdomain', zone } : walkZone(zone, qname, zi, qtype);
}

/** RFC 1034 §4.3.2 step 3 in `zone`, whose origin is SUFFIX[zi]. */
function walkZone(zone: ZoneData, qname: string, zi: number, qtype: number): LookupResult {
  // Up from the qname to the closest encloser: the first name that exists.
  const nodes = zone.nodes;
  let i = 0;
  let node = zi === 0 ? zone.apex : nodes.get(qname);
  while (node === undefined) {
    i++;
    node = i === zi ? zone.apex : nodes.get(SUFFIX[i]!);
  }
  const cut = node.cut;
  if (zone.hasDname) {
    const d = dnameAbove(zone, qname, zi, i, cut);
    if (d !== undefined) return d;
  }
  if (cut !== undefined) {
    if (cut === node && i === 0 && qtype === TYPE.DS) return parentSideDs(zone, node);
    return { kind: 'delegation', zone, ns: rrsetOf(cut, TYPE.NS)!, glue: cut.glue as RRset[] };
  }
  if (i === 0) return atNode(zone, node, qname, qtype, undefined);
  // Name error unless the closest encloser has a `*` child (RFC 4592 §3.3.1).
  const source = node.wildcard;
  if (source === undefined) return { kind: 'nxdomain', zone };
  if (source.cut !== undefined) {
    // A wildcard NS (RFC 4592 §4.2 leaves it undefined): refer, owned by the qname.
    return { kind: 'delegation', zone, ns: rename(rrsetOf(source.cut, TYPE.NS)!, qname), glue: source.cut.glue as RRset[] };
  }
  return atNode(zone, source, qname, qtype, source.name);
}

/** Step 3a at the matched node (or the source of synthesis `wildcard`, owner rewritten to qname). */
function atNode(zone: ZoneData, node: ZoneNode, qname: string, qtype: number, wildcard: string | undefined): LookupResult {
  if (qtype === TYPE.ANY) {
    if (node.rrsets.length === 0) return { kind: 'nodata', zone };
    return { kind: 'answer', zone, rrsets: wildcard ? node.rrsets.map((s) => rename(s, qname)) : node.rrsets.slice(), wildcard };
  }
  const set = rrsetOf(node, qtype);
  if (set !== undefined) return { kind: 'answer', zone, rrsets: [wildcard ? rename(set, qname) : set], wildcard };
  const cname = rrsetOf(node, TYPE.CNAME);
  if (cname !== undefined) return { kind: 'cname', zone, rrset: wildcard ? rename(cname, qname) : cname, wildcard };
  if (qtype === TYPE.A || qtype === TYPE.AAAA) {
    const alias = rrsetOf(node, TYPE.ALIAS);
    if (alias !== undefined) return { kind: 'alias', zone, rrset: wildcard ? rename(alias, qname) : alias };
  }
  return { kind: 'nodata', zone };
}

/**
 * RFC 6672 §3.2: the highest DNAME strictly above qname (SUFFIX[zi] is the apex,
 * SUFFIX[i] the closest encloser; every name between exists) redirects it,
 * unless a zone cut sits above that DNAME (then the referral wins).
 */
function dnameAbove(zone: ZoneData, qname: string, zi: number, i: number, cut: ZoneNode | undefined): LookupResult | undefined {
  for (let j = zi; j >= Math.max(i, 1); j--) {
    const owner = j === zi ? zone.apex : zone.nodes.get(SUFFIX[j]!);
    const set = owner && rrsetOf(owner, TYPE.DNAME);
    if (set === undefined) continue;
    if (cut !== undefined && cut.name.length <= owner!.name.length) return undefined;
    const d = set.records[0];
    if (d?.kind !== 'name') return undefined;
    const target = qname.slice(0, qname.length - SUFFIX[j]!.length) + (d.target === '.' ? '' : d.target);
    const cname = wireLength(target) > 255 ? undefined
      : { name: qname, type: TYPE.CNAME, ttl: set.ttl, records: [{ kind: 'name' as const, target }] };
    return { kind: 'dname', zone, dname: set, cname };
  }
  return undefined;
}

function parentSideDs(zone: ZoneData, node: ZoneNode): LookupResult {
  const ds = rrsetOf(node, TYPE.DS);
  return ds === undefined ? { kind: 'nodata', zone } : { kind: 'answer', zone, rrsets: [ds], wildcard: undefined };
}

function rename(s: RRset, name: string): RRset {
  return { name, type: s.type, ttl: s.ttl, records: s.records };
}
