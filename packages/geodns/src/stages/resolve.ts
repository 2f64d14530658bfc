// Zone stage: turns a lookup result into sections and an rcode (the one switch
// that maps result kinds to the wire, as CoreDNS's file plugin does). Follows
// CNAMEs inside the zones we serve (RFC 1034 §3.6.2), bounded and loop-safe.
import { TYPE, CLASS_IN, type RR, type RRset, type Rdata } from '@geoedge/dnsdata';
import { RCODE } from '../wire/types.js';
import type { Zone, ZoneSet } from '../zones/types.js';
import type { AliasLookup } from '../alias/resolver.js';

export interface Resolution {
  rcode: number;
  aa: boolean;
  answer: RR[];
  authority: RR[];
  additional: RR[];
  /** False when the answer came from code (LUA) and must not be cached as static. */
  static: boolean;
  /** Holds ALIAS-resolved records: built afresh for every query, never cached (the resolver's cache is the cache). */
  volatile?: boolean;
  /** The zone the answer was read from (undefined: none, REFUSED). */
  zone: Zone | undefined;
  /** Another zone was read too, or a lookup found no zone: zone-epochs.ts ANY_ZONE. */
  crossZone: boolean;
  /**
   * The answer to the qname itself was synthesised from this wildcard (`*.<closest
   * encloser>`): response rate limiting counts it under that name, as BIND and
   * Knot do, so random names under one wildcard share one account (stages/rrl.ts).
   */
  wildcard: string | undefined;
}

export interface ResolveOptions {
  chainLimit: number;
  /** RFC 8482: answer ANY with one RRset (UDP) instead of all of them. */
  minimalAny: boolean;
  /** Turns an RRset holding LUA records into plain records; null = SERVFAIL. */
  dynamic?: (rrset: RRset, zone: Zone) => RR[] | null;
  /**
   * ALIAS expansion (alias.resolver set). Without it an ALIAS is served as the
   * record it is (TYPE65401) and A/AAAA at its name answer NODATA, as PowerDNS
   * does with expand-alias=no or no resolver.
   */
  alias?: AliasLookup;
}

const toRRs = (s: RRset): RR[] => s.records.map((data: Rdata) => ({ name: s.name, type: s.type, class: CLASS_IN, ttl: s.ttl, data }));
const isDynamic = (s: RRset) => s.records.some((r) => r.kind === 'lua');

/** RFC 2308 §5: the negative TTL is the lesser of the SOA's TTL and its MINIMUM. */
export function negativeSoa(zone: Zone): RR {
  const soa = zone.soa;
  const min = soa.data.kind === 'soa' ? soa.data.minimum : soa.ttl;
  return { ...soa, ttl: Math.min(soa.ttl, min) };
}

export function resolve(zs: ZoneSet, qname: string, qtype: number, opts: ResolveOptions): Resolution {
  const res: Resolution = { rcode: RCODE.NOERROR, aa: false, answer: [], authority: [], additional: [], static: true, zone: undefined, crossZone: false, wildcard: undefined };
  const seen = new Set<string>();
  let name = qname;
  for (let hop = 0; ; hop++) {
    const r = zs.lookup(name, qtype);
    const first = hop === 0;
    if (first) res.zone = r.kind === 'refused' ? undefined : r.zone;
    else if (r.kind === 'refused' || r.zone !== res.zone) res.crossZone = true;
    switch (r.kind) {
      case 'refused':
        if (first) res.rcode = RCODE.REFUSED;
        return res; // CNAME out of our zones: the resolver chases the rest
      case 'delegation':
        if (first) {
          res.authority.push(...toRRs(r.ns));
          for (const g of r.glue) res.additional.push(...toRRs(g));
        }
        return res;
      case 'nxdomain':
        res.aa = true;
        res.rcode = RCODE.NXDOMAIN; // RFC 6604: the rcode speaks for the last name of the chain
        res.authority.push(negativeSoa(r.zone));
        return res;
      case 'alias':
        if (opts.alias) return expandAlias(res, r.rrset, qtype, opts.alias);
        res.aa = true;
        res.authority.push(negativeSoa(r.zone));
        return res;
      case 'nodata':
        res.aa = true;
        res.authority.push(negativeSoa(r.zone));
        return res;
      case 'answer': {
        res.aa = true;
        if (first) res.wildcard = r.wildcard;
        let sets = r.rrsets;
        // Expanded ALIAS records are not shown themselves (PowerDNS, expand-alias=yes).
        if (opts.alias && sets.some((s) => s.type === TYPE.ALIAS)) sets = sets.filter((s) => s.type !== TYPE.ALIAS);
        if (sets.length === 0) { res.authority.push(negativeSoa(r.zone)); return res; }
        if (qtype === TYPE.ANY && opts.minimalAny && sets.length > 1) sets = [pickAny(sets)];
        for (const s of sets) if (!expand(s, r.zone, res, opts)) return servfail();
        // A LUA record that answered nothing: NODATA (RFC 2308), as PowerDNS does.
        if (res.answer.length === 0) res.authority.push(negativeSoa(r.zone));
        addAdditional(zs, res, opts);
        return res;
      }
      case 'dname': {
        // RFC 6672 §3.3: the DNAME, then the CNAME it synthesises for this name, then chase it.
        res.aa = true;
        res.answer.push(...toRRs(r.dname));
        if (r.cname === undefined) { res.rcode = RCODE.YXDOMAIN; return res; } // §2.2: the new name is too long
        res.answer.push(...toRRs(r.cname));
        seen.add(name);
        const target = (r.cname.records[0] as { target: string }).target.toLowerCase();
        if (seen.has(target) || hop + 1 >= opts.chainLimit) return res;
        name = target;
        continue;
      }
      case 'cname': {
        res.aa = true;
        if (first) res.wildcard = r.wildcard;
        const before = res.answer.length;
        if (!expand(r.rrset, r.zone, res, opts)) return servfail();
        const last = res.answer[res.answer.length - 1];
        if (res.answer.length === before) { res.authority.push(negativeSoa(r.zone)); return res; }
        if (!last || last.data.kind !== 'name') return res;
        seen.add(name);
        const target = last.data.target.toLowerCase();
        if (seen.has(target) || hop + 1 >= opts.chainLimit) return res; // loop or too long: stop here
        name = target;
        continue;
      }
    }
  }
}

function expand(s: RRset, zone: Zone, res: Resolution, opts: ResolveOptions): boolean {
  if (!isDynamic(s)) {
    res.answer.push(...toRRs(s));
    return true;
  }
  res.static = false;
  const rrs = opts.dynamic?.(s, zone) ?? null;
  if (rrs === null) return false;
  res.answer.push(...rrs);
  return true;
}

/** A/AAAA at an ALIAS: the target's records from the resolver cache, owned by `name`. */
function expandAlias(res: Resolution, alias: RRset, qtype: number, lookup: AliasLookup): Resolution {
  const d = alias.records[0];
  const got = d?.kind === 'name' ? lookup(d.target.toLowerCase(), qtype) : undefined;
  // PowerDNS sets AA on this SERVFAIL, and answers a target without the type with an empty NOERROR (no SOA).
  if (!got || !got.ok) return { ...servfail(), aa: true };
  res.aa = true;
  res.static = false;
  res.volatile = true;
  for (const data of got.records) res.answer.push({ name: alias.name, type: qtype, class: CLASS_IN, ttl: got.ttl, data });
  return res;
}

function servfail(): Resolution {
  return { rcode: RCODE.SERVFAIL, aa: false, answer: [], authority: [], additional: [], static: false, zone: undefined, crossZone: true, wildcard: undefined };
}

/** One RRset for ANY (RFC 8482 §4.1): addresses first, else the lowest type. */
function pickAny(sets: RRset[]): RRset {
  return sets.find((s) => s.type === TYPE.A) ?? sets.find((s) => s.type === TYPE.AAAA) ?? [...sets].sort((a, b) => a.type - b.type)[0]!;
}

/** Additional-section processing for NS, MX and SRV targets we are authoritative for, as PowerDNS does. */
function addAdditional(zs: ZoneSet, res: Resolution, opts: ResolveOptions): void {
  const targets: string[] = [];
  for (const rr of res.answer) {
    const d = rr.data;
    if (d.kind === 'name' && rr.type === TYPE.NS) targets.push(d.target);
    else if (d.kind === 'mx') targets.push(d.exchange);
    else if (d.kind === 'srv' && d.target !== '.') targets.push(d.target);
  }
  const done = new Set<string>();
  for (const t of targets) {
    const key = t.toLowerCase();
    if (done.has(key)) continue;
    done.add(key);
    for (const type of [TYPE.A, TYPE.AAAA]) {
      const r = zs.lookup(key, type);
      // Another zone's data, or no zone (one added later would add addresses).
      if (r.kind === 'refused' || r.zone !== res.zone) res.crossZone = true;
      if (r.kind !== 'answer') continue;
      for (const s of r.rrsets) {
        if (isDynamic(s)) {
          const rrs = opts.dynamic?.(s, r.zone);
          if (rrs) res.additional.push(...rrs);
          res.static = false;
        } else res.additional.push(...toRRs(s));
      }
    }
  }
}
