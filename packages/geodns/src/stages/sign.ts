// DNSSEC stage: signs a resolved answer online when the query has DO (RFC 3225)
// and the zone it came from has keys (zone.signing). Runs after resolve and
// before the answer is encoded or compiled, so the answer caches keep the
// signed answer as they keep any other (keyed apart by DO); a query without DO
// never comes here and gets the bytes it always got.
//
//   answer       every RRset + its RRSIGs (by the ZSKs; DNSKEY/CDS/CDNSKEY by
//                the KSKs); a wildcard expansion signed with the wildcard's
//                label count, and the next closer name denied (denial.ts)
//   negative     SOA + RRSIG, then the NSEC/NSEC3 proof for the last name of the
//                chain (denial.ts); with compact denial (RFC 9824) NXDOMAIN goes out as NOERROR
//   referral     the DS RRset + RRSIG, or the proof that there is none; NS and
//                glue stay unsigned (they belong to the child)
//   additional   addresses we are authoritative for, signed; glue is not
//
// Which zone signs an RRset: the zone that holds its owner (DS: the parent's).
import { TYPE, CLASS_IN, lowerName, type RR, type Rdata } from '@geoedge/dnsdata';
import { RCODE } from '../wire/types.js';
import type { Resolution } from './resolve.js';
import type { ZoneSet } from '../zones/types.js';
import type { ZoneData } from '../zones/zone.js';
import { parentName } from '../zones/labels.js';
import { rrsetOf } from '../zones/zone-node.js';
import { rrsigRdata, windowAt, TYPE_RRSIG, type SignInput, type Window } from '../dnssec/rrsig.js';
import { closestEncloser, denialRecords, type DenialKind } from '../dnssec/denial.js';
import { SignatureCache } from '../dnssec/sig-cache.js';
import type { ZoneSigning } from '../dnssec/types.js';

const CDS = 59, CDNSKEY = 60;
const KEY_SETS = new Set<number>([TYPE.DNSKEY, CDS, CDNSKEY]);

export class Signer {
  /** Signatures by content; its counters are geodns_dnssec_signatures_total. */
  readonly cache: SignatureCache;
  /** `compact`: NSEC black lies (RFC 9824) instead of the zone's NSEC chain (dnssec.denial). */
  constructor(cacheEntries = 200_000, private readonly compact = false) {
    this.cache = new SignatureCache(Math.max(1000, cacheEntries >> 1));
  }

  /** The validity window now (changes once a week; recomputed at most once a second). */
  window(): Window {
    const now = Date.now();
    if (now >= this.windowUntil) {
      const w = windowAt(Math.floor(now / 1000));
      if (this.current === undefined || w.inception !== this.current.inception) this.current = w;
      this.windowUntil = now + 1000;
    }
    return this.current!;
  }
  private current: Window | undefined;
  private windowUntil = 0;

  /**
   * Signs `r` (the answer to qname/qtype from `zs`) in place. Returns false,
   * leaving `r` untouched, when no zone it read is signed.
   */
  sign(qname: string, r: Resolution, zs: ZoneSet, w: Window): boolean {
    if (r.zone?.signing === undefined && !r.crossZone) return false;
    if (r.rcode !== RCODE.NOERROR && r.rcode !== RCODE.NXDOMAIN) return false;
    if (!r.aa && r.answer.length === 0 && r.authority[0]?.type === TYPE.NS) return this.referral(r, zs, w);
    const extra: RR[] = [];
    let signed = false;
    const answer = this.sets(r.answer, zs, w, (rrs, zone, set, prev) => {
      signed = true;
      // A name that is not in the zone yet answered (not a DNAME's CNAME): synthesised from a wildcard.
      if (set.type !== TYPE.DS && !zone.nodes.has(set.owner) && set.owner !== zone.origin && prev?.type !== TYPE.DNAME) {
        set.wildcardParent = closestEncloser(zone, set.owner);
        this.deny(extra, zone, set.owner, 'wildcard', w);
      }
      return true;
    });
    const authority = [...r.authority];
    if (this.negative(qname, r, zs, w, authority)) signed = true;
    // Additional addresses: signed where we are authoritative (glue below a cut is not).
    const additional = this.sets(r.additional, zs, w, (_rrs, zone, set) => zone.nodes.get(set.owner)?.cut === undefined && zone.nodes.has(set.owner));
    if (!signed) return false;
    r.answer = answer;
    r.authority = [...authority, ...extra];
    r.additional = additional;
    return true;
  }

  /**
   * Each run of one owner and type in `rrs`, followed by its RRSIGs when a
   * signed zone holds it and `accept` agrees (it may mark the set a wildcard's).
   */
  private sets(rrs: RR[], zs: ZoneSet, w: Window, accept: (rrs: RR[], zone: ZoneData, set: SignInput, prev: RR | undefined) => boolean): RR[] {
    const out: RR[] = [];
    forEachSet(rrs, (run, prev) => {
      out.push(...run);
      const rr = run[0]!;
      const zone = signerOf(zs, rr);
      if (!zone) return;
      const set: SignInput = { owner: lowerName(rr.name), type: rr.type, ttl: rr.ttl, records: run.map((x) => x.data) };
      if (accept(run, zone, set, prev)) this.push(out, rr.name, set, zone, w);
    });
    return out;
  }

  /** NXDOMAIN / NODATA: the SOA's RRSIGs and the denial for the chain's last name. False if that zone is unsigned. */
  private negative(qname: string, r: Resolution, zs: ZoneSet, w: Window, authority: RR[]): boolean {
    const soa = r.authority.find((x) => x.type === TYPE.SOA);
    const zone = soa && (zs.zones.get(lowerName(soa.name)) as ZoneData | undefined);
    if (!soa || !zone?.signing) return false;
    this.push(authority, soa.name, { owner: lowerName(soa.name), type: TYPE.SOA, ttl: soa.ttl, records: [soa.data] }, zone, w);
    const nx = r.rcode === RCODE.NXDOMAIN;
    this.deny(authority, zone, lastName(qname, r.answer), nx ? 'nxdomain' : 'nodata', w);
    if (nx && this.compact && zone.signing.nsec3 === undefined) r.rcode = RCODE.NOERROR; // RFC 9824 §3
    return true;
  }

  /** A referral: the DS RRset and its RRSIGs, or the proof there is none; NS and glue unsigned (RFC 4035 §2.2). */
  private referral(r: Resolution, zs: ZoneSet, w: Window): boolean {
    const ns = r.authority[0]!;
    const cut = lowerName(ns.name);
    const zone = zs.findZone(cut) as ZoneData | undefined;
    if (!zone?.signing) return false;
    const authority = [...r.authority];
    const node = zone.nodes.get(cut); // undefined for a wildcard NS (referral owned by the qname)
    const ds = node ? rrsetOf(node, TYPE.DS) : undefined;
    if (ds) {
      for (const data of ds.records) authority.push({ name: ns.name, type: TYPE.DS, class: CLASS_IN, ttl: ds.ttl, data });
      this.push(authority, ns.name, { owner: cut, type: TYPE.DS, ttl: ds.ttl, records: ds.records }, zone, w);
    } else this.deny(authority, zone, cut, 'no-ds', w);
    r.authority = authority;
    return true;
  }

  /** The RRSIGs of `set` by the keys that sign its type. */
  private push(out: RR[], name: string, set: SignInput, zone: ZoneData, w: Window): void {
    for (const data of this.rrsigs(set, zone, w)) out.push({ name, type: TYPE_RRSIG, class: CLASS_IN, ttl: set.ttl, data });
  }

  /**
   * RRSIG data for `set`. An RRset of the snapshot (its records are the zone's
   * own objects, alive until a reload) keeps its RRSIGs beside it for the
   * week, so a repeated answer skips the canonical form and the cache key;
   * fresh objects (LUA answers, compact-denial NSECs) and wildcard expansions
   * (one per query name) go through the signature cache only.
   */
  private rrsigs(set: SignInput, zone: ZoneData, w: Window): Rdata[] {
    const s = zone.signing as ZoneSigning;
    const keys = KEY_SETS.has(set.type) ? s.ksks : s.zsks;
    const make = () => keys.map((key): Rdata => ({ kind: 'raw', bytes: rrsigRdata(set, key, zone.origin, w, this.cache) }));
    const first = set.records[0];
    if (first === undefined || set.wildcardParent !== undefined) return make();
    if (w.inception !== this.memoWindow) { this.memo = new WeakMap(); this.memoWindow = w.inception; }
    const k = `${set.owner}|${set.type}|${set.ttl}|${set.records.length}|${zone.origin}`;
    let m = this.memo.get(first);
    const hit = m?.get(k);
    if (hit !== undefined) { this.cache.counts.hits += hit.length; return hit; }
    const made = make();
    if (m === undefined) this.memo.set(first, (m = new Map()));
    m.set(k, made);
    return made;
  }
  private memo = new WeakMap<object, Map<string, Rdata[]>>();
  private memoWindow = 0;

  /** NSEC/NSEC3 records proving `kind` for `name`, each with its RRSIGs. */
  private deny(out: RR[], zone: ZoneData, name: string, kind: DenialKind, w: Window): void {
    const soa = zone.soa;
    const ttl = Math.min(soa.ttl, soa.data.kind === 'soa' ? soa.data.minimum : soa.ttl);
    for (const set of denialRecords(zone, name, kind, ttl, zone.signing!.nsec3, this.compact)) {
      for (const data of set.records) out.push({ name: set.owner, type: set.type, class: CLASS_IN, ttl: set.ttl, data });
      this.push(out, set.owner, set, zone, w);
    }
  }
}

/** The signed zone that holds this RRset (DS: the parent side), if any. */
function signerOf(zs: ZoneSet, rr: RR): ZoneData | undefined {
  const owner = lowerName(rr.name);
  const at = rr.type === TYPE.DS ? parentName(owner) : owner;
  const zone = at === undefined ? undefined : (zs.findZone(at) as ZoneData | undefined);
  return zone?.signing ? zone : undefined;
}

/** Calls fn with each run of records of one owner and type. */
function forEachSet(rrs: RR[], fn: (set: RR[], prev: RR | undefined) => void): void {
  let start = 0;
  for (let i = 1; i <= rrs.length; i++) {
    if (i < rrs.length && rrs[i]!.type === rrs[start]!.type && rrs[i]!.name === rrs[start]!.name) continue;
    fn(rrs.slice(start, i), start > 0 ? rrs[start - 1] : undefined);
    start = i;
  }
}

/** The name a negative answer speaks for: the qname, or the last CNAME target of the chain. */
function lastName(qname: string, answer: RR[]): string {
  let name = qname;
  for (const rr of answer) {
    if (rr.type === TYPE.CNAME && rr.data.kind === 'name' && lowerName(rr.name) === name) name = lowerName(rr.data.target);
  }
  return name;
}
