// One zone, built from its records into the shape lookups need (RFC 1034 §4.3.2,
// RFC 4592): every existing name (empty non-terminals included) in one Map,
// each with its RRsets by type, its `*.` child if any, and the zone cut that
// covers it. Everything is decided here, once, so a lookup is a few Map gets.
//
// Rules enforced (the zone fails on the first three, as BIND refuses to load):
//   - exactly one SOA, at the apex;
//   - CNAME beside other data at one name (RFC 1034 §3.6.2, RFC 2181 §10.1),
//     and more than one CNAME at a name; RRSIG/NSEC may sit beside a CNAME (RFC 4035 §2.5);
//   - records outside the zone or of another class are dropped, named in a problem;
//   - an RRset whose records disagree on TTL gets the lowest one (RFC 2181 §5.2
//     says such data is an error; we serve it with the least TTL and say so);
//   - duplicate records in an RRset are kept once (RFC 2181 §5).
// LUA records (type LUA, data.kind 'lua') are folded into the RRset of their
// inner type: a LUA A sits in the A RRset, a LUA CNAME is a CNAME for every rule.
import { TYPE, CLASS_IN, lowerName, typeName, type RR, type RRset, type Rdata } from '@geoedge/dnsdata';
import type { Zone } from './types.js';
import { ancestorsBelow, isUnder, parentName } from './labels.js';
import { Problems } from './problems.js';
import { linkCuts } from './cuts.js';

export interface ZoneNode {
  /** The name as written in the zone (for an empty non-terminal: as its descendant spelled it). */
  readonly name: string;
  /** RRsets by type; empty for an empty non-terminal. */
  readonly rrsets: ReadonlyMap<number, RRset>;
  /** The same RRsets in one array, for ANY. */
  readonly all: readonly RRset[];
  /** The existing `*.<this name>` node: the source of synthesis when this is the closest encloser. */
  readonly wildcard: ZoneNode | undefined;
  /**
   * The highest zone cut at or above this name (below the apex). When it is
   * not the node itself, the node lies beneath a delegation: only glue.
   */
  readonly cut: ZoneNode | undefined;
  /** At a highest cut: A/AAAA RRsets of the NS targets inside this zone (also below the cut). */
  readonly glue: readonly RRset[];
}

export interface ZoneData extends Zone {
  /** Lower-case name → node, for every name that exists (RFC 4592 §2.2.2: empty non-terminals exist). */
  readonly nodes: ReadonlyMap<string, ZoneNode>;
  readonly apex: ZoneNode;
  /** Records served (after drops and de-duplication). */
  readonly recordCount: number;
}

export type BuildZoneResult =
  | { ok: true; zone: ZoneData; problems: string[] }
  | { ok: false; zone?: undefined; problems: string[] };

/** The mutable form used while building; exposed only through ZoneNode. */
export interface NodeBuilder {
  name: string;
  rrsets: Map<number, RRset>;
  all: RRset[];
  wildcard: NodeBuilder | undefined;
  cut: NodeBuilder | undefined;
  glue: RRset[];
}

interface SetBuilder { set: RRset; ttls: Set<number> }

// Shared by every empty non-terminal, never written to after the build.
const NO_RRSETS = new Map<number, RRset>();
const NO_SETS: RRset[] = [];
/** Types that may share a name with a CNAME (RFC 4035 §2.5). */
const CNAME_COMPANIONS = new Set<number>([TYPE.CNAME, TYPE.RRSIG, TYPE.NSEC]);
/** Types a LUA record may not stand in for: they shape the zone itself. */
const NO_LUA = new Set<number>([TYPE.SOA, TYPE.NS, TYPE.DS]);

export function buildZone(origin: string, records: RR[], source: string): BuildZoneResult {
  const apexName = lowerName(origin);
  const p = new Problems();
  const sets = new Map<string, Map<number, SetBuilder>>();
  const written = new Map<string, string>();
  const soas: RR[] = [];
  for (const rr of records) {
    const owner = lowerName(rr.name);
    const type = effectiveType(rr, p);
    if (type === undefined) continue;
    if (rr.class !== CLASS_IN) { p.add('class', `${rr.name} ${typeName(rr.type)}: class ${rr.class} is not IN, dropped`); continue; }
    if (!isUnder(owner, apexName)) { p.add('outside', `${rr.name} ${typeName(rr.type)}: outside the zone ${apexName}, dropped`); continue; }
    if (type === TYPE.SOA) {
      if (owner !== apexName) p.fatal('soa', `${rr.name} SOA: an SOA may only sit at the apex ${apexName}`);
      else soas.push(rr);
      continue;
    }
    addRecord(sets, written, owner, rr, type);
  }
  if (soas.length !== 1) {
    p.fatal('soa', soas.length === 0 ? `no SOA record at the apex ${apexName}` : `${soas.length} SOA records at the apex ${apexName}; exactly one is allowed`);
  }
  const soa = soas[0];
  if (soa && soa.data.kind !== 'soa') p.fatal('soa', `${soa.name} SOA: the data is not SOA data`);
  if (soa) addRecord(sets, written, apexName, soa, TYPE.SOA);
  if (!sets.get(apexName)?.has(TYPE.NS)) p.add('ns', `no NS records at the apex ${apexName}`);

  const nodes = new Map<string, NodeBuilder>();
  let recordCount = 0;
  for (const [owner, byType] of sets) {
    const node = newNode(written.get(owner)!);
    for (const [type, b] of byType) {
      finishSet(b, p);
      node.rrsets.set(type, b.set);
      node.all.push(b.set);
      recordCount += b.set.records.length;
    }
    checkCname(node, p);
    nodes.set(owner, node);
  }
  addEmptyNonTerminals(nodes, apexName);
  linkWildcards(nodes);
  linkCuts(nodes, apexName, p);
  if (p.failed || !soa || soa.data.kind !== 'soa') return { ok: false, problems: p.list() };
  const zone: ZoneData = {
    origin: apexName, soa, source, serial: soa.data.serial,
    nodes, apex: nodes.get(apexName)!, recordCount,
  };
  return { ok: true, zone, problems: p.list() };
}

/** The type a record is served as: a LUA record's inner type, else its own. */
function effectiveType(rr: RR, p: Problems): number | undefined {
  const isLua = rr.data.kind === 'lua';
  if (rr.type === TYPE.LUA || isLua) {
    if (!(rr.type === TYPE.LUA && rr.data.kind === 'lua')) {
      p.add('lua', `${rr.name} ${typeName(rr.type)}: LUA type and LUA data must go together, dropped`);
      return undefined;
    }
    if (NO_LUA.has(rr.data.innerType)) {
      p.add('lua', `${rr.name} LUA ${typeName(rr.data.innerType)}: a LUA record cannot yield ${typeName(rr.data.innerType)}, dropped`);
      return undefined;
    }
    return rr.data.innerType;
  }
  return rr.type;
}

function addRecord(sets: Map<string, Map<number, SetBuilder>>, written: Map<string, string>, owner: string, rr: RR, type: number): void {
  let byType = sets.get(owner);
  if (!byType) {
    byType = new Map();
    sets.set(owner, byType);
    written.set(owner, rr.name);
  }
  const b = byType.get(type);
  if (b) {
    b.set.records.push(rr.data);
    if (rr.ttl < b.set.ttl) b.set.ttl = rr.ttl;
    b.ttls.add(rr.ttl);
  } else {
    byType.set(type, { set: { name: written.get(owner)!, type, ttl: rr.ttl, records: [rr.data] }, ttls: new Set([rr.ttl]) });
  }
}

function finishSet(b: SetBuilder, p: Problems): void {
  const s = b.set;
  if (b.ttls.size > 1) {
    p.add('ttl', `${s.name} ${typeName(s.type)}: records have TTLs ${[...b.ttls].join(', ')}; serving the lowest, ${s.ttl} (RFC 2181 §5.2)`);
  }
  if (s.records.length > 1) s.records = dedupe(s.records);
}

function dedupe(records: Rdata[]): Rdata[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const k = rdataKey(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A string equal for equal data; names compare without case (RFC 4343). */
function rdataKey(r: Rdata): string {
  switch (r.kind) {
    case 'a': case 'aaaa': return r.address;
    case 'name': return lowerName(r.target);
    default: return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'string' ? lowerName(v) : v));
  }
}

function checkCname(node: NodeBuilder, p: Problems): void {
  const cname = node.rrsets.get(TYPE.CNAME);
  if (!cname) return;
  if (cname.records.length > 1) p.fatal('cname', `${node.name} has ${cname.records.length} CNAME records; a name may have only one`);
  const others = node.all.filter((s) => !CNAME_COMPANIONS.has(s.type)).map((s) => typeName(s.type));
  if (others.length > 0) p.fatal('cname', `${node.name} has a CNAME and other data (${others.join(' ')}); a CNAME must stand alone (RFC 1034 §3.6.2)`);
}

function newNode(name: string): NodeBuilder {
  return { name, rrsets: new Map(), all: [], wildcard: undefined, cut: undefined, glue: [] };
}

/** Every ancestor of an owner below the apex exists (RFC 4592 §2.2.2), even with no records. */
function addEmptyNonTerminals(nodes: Map<string, NodeBuilder>, apex: string): void {
  for (const [owner, node] of [...nodes]) {
    if (owner === apex) continue;
    for (const anc of ancestorsBelow(owner, apex)) {
      if (nodes.has(anc)) break; // its own ancestors were added when it was
      nodes.set(anc, { ...newNode(node.name.slice(node.name.length - anc.length)), rrsets: NO_RRSETS, all: NO_SETS });
    }
  }
}

/** Links each `*.X` node to X, the closest encloser it serves (RFC 4592 §3.3.1). */
function linkWildcards(nodes: Map<string, NodeBuilder>): void {
  for (const [owner, node] of nodes) {
    if (!owner.startsWith('*.')) continue;
    const parent = nodes.get(parentName(owner)!);
    if (parent) parent.wildcard = node;
  }
}

