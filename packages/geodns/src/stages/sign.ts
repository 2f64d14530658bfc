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
  readonly cache: SignatureCache;
  /** Signatures made (cache misses), for the bench's signatures/s. */
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
    let signed = false;
    const answer: RR[] = [];
    const extra: RR[] = [];
    forEachSet(r.answer, (rrs, prev) => {
      answer.push(...rrs);
      const rr = rrs[0]!;
      const zone = signerOf(zs, rr);
      if (!zone) return;
      signed = true;
      const owner = lowerName(rr.name);
      const wildcard = rr.type !== TYPE.DS && !zone.nodes.has(owner) && owner !== zone.origin && prev?.type !== TYPE.DNAME;
      const set: SignInput = { owner, type: rr.type, ttl: rr.ttl, records: rrs.map((x) => x.data) };
      if (wildcard) set.wildcardParent = closestEncloser(zone, owner);
      this.push(answer, rr.name, set, zone, w);
      if (wildcard) this.deny(extra, zone, owner, 'wildcard', w);
    });
    const authority: RR[] = [];
    const soa = r.authority.find((x) => x.type === TYPE.SOA);
    if (soa) {
      const zone = zs.zones.get(lowerName(soa.name)) as ZoneData | undefined;
      authority.push(...r.authority);
      if (zone?.signing) {
        signed = true;
        this.push(authority, soa.name, { owner: lowerName(soa.name), type: TYPE.SOA, ttl: soa.ttl, records: [soa.data] }, zone, w);
        const nx = r.rcode === RCODE.NXDOMAIN;
        this.deny(authority, zone, lastName(qname, r.answer), nx ? 'nxdomain' : 'nodata', w);
        if (nx && this.compact && zone.signing.nsec3 === undefined) r.rcode = RCODE.NOERROR; // RFC 9824 §3
      }
    } else if (!r.aa && r.answer.length === 0 && r.authority[0]?.type === TYPE.NS) {
      authority.push(...r.authority);
      const cut = lowerName(r.authority[0].name);
      const zone = zs.findZone(cut) as ZoneData | undefined;
      if (zone?.signing) {
        signed = true;
        const ds = rrsetOf(zone.nodes.get(cut) ?? zone.apex, TYPE.DS);
        if (ds) {
          for (const data of ds.records) authority.push({ name: r.authority[0].name, type: TYPE.DS, class: CLASS_IN, ttl: ds.ttl, data });
          this.push(authority, r.authority[0].name, { owner: cut, type: TYPE.DS, ttl: ds.ttl, records: ds.records }, zone, w);
        } else this.deny(authority, zone, cut, 'no-ds', w);
      }
      if (!signed) return false;
      r.authority = authority;
      return true; // glue stays unsigned
    } else authority.push(...r.authority);
    const additional: RR[] = [];
    forEachSet(r.additional, (rrs) => {
      additional.push(...rrs);
      const zone = signerOf(zs, rrs[0]!);
      const node = zone?.nodes.get(lowerName(rrs[0]!.name));
      if (!zone || !node || node.cut !== undefined) return;
      this.push(additional, rrs[0]!.name, { owner: lowerName(rrs[0]!.name), type: rrs[0]!.type, ttl: rrs[0]!.ttl, records: rrs.map((x) => x.data) }, zone, w);
    });
    if (!signed) return false;
    r.answer = answer;
    r.authority = [...authority, ...extra];
    r.additional = additional;
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
