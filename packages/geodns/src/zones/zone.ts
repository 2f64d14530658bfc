// One zone, built from its records into the shape lookups need (RFC 1034 §4.3.2,
// RFC 4592): every existing name (empty non-terminals included) in one Map,
// each with its RRsets, its `*.` child if any, and the zone cut that covers it.
// Everything is decided here, once, so a lookup is a few Map gets.
//
// Why one Map (not a node Map plus a Set of names): an empty non-terminal is a
// node without RRsets, so "does it exist" and "what is there" are one get.
// Why the RRsets of a name are an array, not a Map<type, RRset>: a name holds
// a handful of types, a scan of them is as fast as a Map get, and an empty-ish
// Map costs ~190 bytes — 190 MB at a million names (measured, Node 20).
//
// Rules enforced (the zone fails on the first two, as BIND refuses to load it):
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
import { rrsetOf, type NodeBuilder, type ZoneNode } from './zone-node.js';
import { linkCuts } from './cuts.js';

export { rrsetOf, type ZoneNode } from './zone-node.js';

export interface ZoneData extends Zone {
  /** Lower-case name → node, for every name that exists (RFC 4592 §2.2.2: empty non-terminals exist). */
  readonly nodes: ReadonlyMap<string, ZoneNode>;
  readonly apex: ZoneNode;
  /**
   * Delegation points: names below the apex with NS and no cut above them.
   * Every node at or below one has `cut` set to it; those other than the cut
   * itself are occluded (RFC 1034 §4.2.1): served only as glue.
   */
  readonly delegations: readonly ZoneNode[];
  /** Records served (after drops and de-duplication). */
  readonly recordCount: number;
  /** Some name below the apex or the apex holds a DNAME: lookups then check the qname's ancestors for one. */
  readonly hasDname: boolean;
  /** The targets of its ALIAS records, lower-case (fetched ahead by alias/resolver.ts). */
  readonly aliasTargets: readonly string[];
}

export type BuildZoneResult =
  | { ok: true; zone: ZoneData; problems: string[] }
  | { ok: false; zone?: undefined; problems: string[] };

/** TTLs seen in RRsets whose records disagree (rare, so only those are tracked). */
type MixedTtls = Map<RRset, Set<number>>;

// Shared by every empty non-terminal and every non-cut, never written to after the build.
const NONE: RRset[] = [];
/** Types that may share a name with a CNAME (RFC 4035 §2.5). */
const CNAME_COMPANIONS = new Set<number>([TYPE.CNAME, TYPE.RRSIG, TYPE.NSEC]);
/** Types a LUA record may not stand in for: they shape the zone itself. */
const NO_LUA = new Set<number>([TYPE.SOA, TYPE.NS, TYPE.DS]);

/**
 * A zone's records with its LUA records taken out (LUA records turned off for
 * it): their owners stay names that exist, so a query answers NODATA, as
 * PowerDNS does when it skips the LUA records it found. `dropped` counts them.
 */
export function withoutLua(records: readonly RR[]): { records: RR[]; emptyNames: string[]; dropped: number } {
  const kept: RR[] = [];
  const emptyNames: string[] = [];
  for (const rr of records) {
    if (rr.type === TYPE.LUA) emptyNames.push(rr.name);
    else kept.push(rr);
  }
  return { records: kept, emptyNames, dropped: emptyNames.length };
}

/**
 * `emptyNames` are names that exist without data (PowerDNS's `type IS NULL`
 * rows): an empty non-terminal with nothing below it is still a name, so it
 * answers NODATA, not NXDOMAIN, as PowerDNS does. Names outside the zone are dropped.
 */
export function buildZone(origin: string, records: RR[], source: string, emptyNames: readonly string[] = []): BuildZoneResult {
  return drain(buildZoneSteps(origin, records, source, emptyNames));
}

/** Runs a step generator to its end (the synchronous form of a sliced build). */
export function drain<T>(steps: Generator<void, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Items between yields of buildZoneSteps (a few milliseconds of work). */
const STEP = 1024;

/**
 * buildZone as a generator that yields every STEP names or records, so a huge
 * zone can be built in slices between answering queries (zones/slices.ts).
 * Nothing it touches is shared until it returns.
 */
export function* buildZoneSteps(origin: string, records: RR[], source: string, emptyNames: readonly string[] = []): Generator<void, BuildZoneResult> {
  const apexName = lowerName(origin);
  const p = new Problems();
  if (!apexName.endsWith('.')) p.fatal('origin', `origin "${origin}" is not absolute (it needs a trailing dot)`);
  const { nodes, mixed, soa } = yield* groupRecords(apexName, records, p);
  const apex = nodes.get(apexName);
  if (!apex || !rrsetOf(apex, TYPE.NS)) p.add('ns', `no NS records at the apex ${apexName}`);
  const recordCount = yield* finishNodes(nodes, mixed, p);
  addEmptyNames(nodes, apexName, emptyNames, p);
  yield* addEmptyNonTerminals(nodes, apexName);
  yield* linkWildcards(nodes);
  const delegations = yield* linkCuts(nodes, apexName, p, STEP);
  if (p.failed || !soa || soa.data.kind !== 'soa' || !apex) return { ok: false, problems: p.list() };
  let hasDname = false;
  const aliasTargets = new Set<string>();
  for (const n of nodes.values()) {
    if (rrsetOf(n, TYPE.DNAME)) hasDname = true;
    for (const d of rrsetOf(n, TYPE.ALIAS)?.records ?? []) if (d.kind === 'name') aliasTargets.add(lowerName(d.target));
  }
  const zone: ZoneData = {
    origin: apexName, soa, source, serial: soa.data.serial, nodes, apex, delegations, recordCount, hasDname, aliasTargets: [...aliasTargets],
  };
  return { ok: true, zone, problems: p.list() };
}

/** Records into nodes and RRsets by owner and (effective) type; the one SOA found, if it is one. */
function* groupRecords(apexName: string, records: RR[], p: Problems): Generator<void, { nodes: Map<string, NodeBuilder>; mixed: MixedTtls; soa?: RR }> {
  const nodes = new Map<string, NodeBuilder>();
  const mixed: MixedTtls = new Map();
  const soas: RR[] = [];
  let n = 0;
  for (const rr of records) {
    if (++n % STEP === 0) yield;
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
    addRecord(nodes, mixed, owner, rr, type);
  }
  if (soas.length !== 1) {
    p.fatal('soa', soas.length === 0 ? `no SOA record at the apex ${apexName}` : `${soas.length} SOA records at the apex ${apexName}; exactly one is allowed`);
  }
  const soa = soas[0];
  if (soa && soa.data.kind !== 'soa') p.fatal('soa', `${soa.name} SOA: the data is not SOA data`);
  if (soa) addRecord(nodes, mixed, apexName, soa, TYPE.SOA);
  return { nodes, mixed, soa };
}

/** TTL and duplicate checks per RRset, CNAME rules per name; returns the records kept. */
function* finishNodes(nodes: Map<string, NodeBuilder>, mixed: MixedTtls, p: Problems): Generator<void, number> {
  let recordCount = 0;
  let n = 0;
  for (const node of nodes.values()) {
    if (++n % STEP === 0) yield;
    // slice(): arrays grown by push keep spare capacity (~17 slots); exact copies save ~25% of the memory.
    node.rrsets = node.rrsets.slice();
    for (const s of node.rrsets) {
      finishSet(s, mixed.get(s), p);
      recordCount += s.records.length;
    }
    checkCname(node, p);
  }
  return recordCount;
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

function addRecord(nodes: Map<string, NodeBuilder>, mixed: MixedTtls, owner: string, rr: RR, type: number): void {
  let node = nodes.get(owner);
  if (!node) {
    node = newNode(rr.name);
    nodes.set(owner, node);
  }
  const set = rrsetOf(node, type);
  if (!set) {
    node.rrsets.push({ name: node.name, type, ttl: rr.ttl, records: [rr.data] });
    return;
  }
  set.records.push(rr.data);
  const ttls = mixed.get(set);
  if (ttls) ttls.add(rr.ttl);
  else if (rr.ttl !== set.ttl) mixed.set(set, new Set([set.ttl, rr.ttl])); // until now all had set.ttl
  if (rr.ttl < set.ttl) set.ttl = rr.ttl;
}

function finishSet(s: RRset, ttls: Set<number> | undefined, p: Problems): void {
  if (ttls) {
    p.add('ttl', `${s.name} ${typeName(s.type)}: records have TTLs ${[...ttls].join(', ')}; serving the lowest, ${s.ttl} (RFC 2181 §5.2)`);
  }
  if (s.records.length > 1) s.records = dedupe(s.records).slice();
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
  const cname = rrsetOf(node, TYPE.CNAME);
  if (!cname) return;
  if (cname.records.length > 1) p.fatal('cname', `${node.name} has ${cname.records.length} CNAME records; a name may have only one`);
  const others = node.rrsets.filter((s) => !CNAME_COMPANIONS.has(s.type)).map((s) => typeName(s.type));
  if (others.length > 0) p.fatal('cname', `${node.name} has a CNAME and other data (${others.join(' ')}); a CNAME must stand alone (RFC 1034 §3.6.2)`);
}

function newNode(name: string): NodeBuilder {
  return { name, rrsets: [], wildcard: undefined, cut: undefined, glue: NONE };
}

/** Every ancestor of an owner below the apex exists (RFC 4592 §2.2.2), even with no records. */
/** Listed names that exist without data; their ancestors follow in addEmptyNonTerminals. */
function addEmptyNames(nodes: Map<string, NodeBuilder>, apex: string, names: readonly string[], p: Problems): void {
  for (const name of names) {
    const owner = lowerName(name);
    if (!isUnder(owner, apex)) { p.add('outside', `${name}: empty non-terminal outside the zone ${apex}, dropped`); continue; }
    if (!nodes.has(owner)) nodes.set(owner, { ...newNode(name), rrsets: NONE });
  }
}

function* addEmptyNonTerminals(nodes: Map<string, NodeBuilder>, apex: string): Generator<void, void> {
  let n = 0;
  // No copy of the entries (a million pairs): the nodes added meanwhile are visited
  // too, and stop at once, since their ancestors were added with them.
  for (const [owner, node] of nodes) {
    if (++n % STEP === 0) yield;
    if (owner === apex) continue;
    for (const anc of ancestorsBelow(owner, apex)) {
      if (nodes.has(anc)) break; // its own ancestors were added when it was
      nodes.set(anc, { ...newNode(node.name.slice(node.name.length - anc.length)), rrsets: NONE });
    }
  }
}

/** Links each `*.X` node to X, the closest encloser it serves (RFC 4592 §3.3.1). */
function* linkWildcards(nodes: Map<string, NodeBuilder>): Generator<void, void> {
  let n = 0;
  for (const [owner, node] of nodes) {
    if (++n % STEP === 0) yield;
    if (!owner.startsWith('*.')) continue;
    const parent = nodes.get(parentName(owner)!);
    if (parent) parent.wildcard = node;
  }
}

