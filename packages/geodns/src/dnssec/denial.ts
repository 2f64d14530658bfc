// Authenticated denial, built per answer (nothing is precomputed: the zone has
// no chain to walk, so a zone of any size and any edit costs the same).
//
// NSEC from the zone's chain (nsec-chain.ts, the default, as PowerDNS serves
// NSEC): NXDOMAIN = the NSEC covering the name + the one covering the
// wildcard at the closest encloser; NODATA = the name's own NSEC (or, at an
// empty non-terminal, the one covering it); a wildcard expansion = the NSEC
// covering the query name. A few hundred distinct records per zone, so a flood
// of random names is answered from the signature cache. Zone walking lists
// the zone's names, as with PowerDNS's default.
//
// NSEC, compact denial of existence ("black lies", RFC 9824; dnssec.denial:
// compact): every name is
// answered as if it existed. NODATA (and NXDOMAIN, sent as NOERROR) carries one
// NSEC owned by the query name, next = `\000.<qname>` (its immediate successor,
// so the record says nothing about any other name), the bitmap the types that
// are there, or for a name that does not exist only RRSIG NSEC NXNAME (128).
// One signature per denial, no names of the zone leaked, nothing to walk.
// A wildcard expansion proves the next closer name absent with a minimally
// covering NSEC ("white lie", RFC 4470): owner just before it, next just after
// every name under it; both share the closest encloser with the query name, so
// the validator derives the right wildcard.
//
// NSEC3 (the zone's NSEC3PARAM metadata), PowerDNS narrow mode (RFC 7129 §5):
// each NSEC3 is owned by a hash H and its next is H+1 (matching) or owned by
// H−1 with next H+1 (covering H); NXDOMAIN needs the closest encloser's match
// and covers of the next closer name and of `*.<closest encloser>` (RFC 5155 §7.2).
//
//   NSEC  RDATA: next domain name | type bitmap          (RFC 4034 §4.1)
//   NSEC3 RDATA: alg | flags | iterations(16) | salt length | salt |
//                hash length | next hashed owner | type bitmap   (RFC 5155 §3.2)
//   bitmap: (window block | bitmap length | bitmap)…     (RFC 4034 §4.1.2)
import { base32hex, labelsToName, lowerName, nameToLabels, nsec3HashRaw } from '@geoedge/dnsdata';
import type { ZoneData, ZoneNode } from '../zones/zone.js';
import { isUnder, parentName } from '../zones/labels.js';
import type { Nsec3Params } from './types.js';
import type { SignInput } from './rrsig.js';
import { nameWire } from './canonical.js';
import { chainOf, nsecAt } from './nsec-chain.js';

export const TYPE_NSEC = 47, TYPE_NSEC3 = 50, TYPE_NXNAME = 128;
const RRSIG = 46;

export type DenialKind =
  | 'nxdomain'   // the name does not exist
  | 'nodata'     // the name exists (or a wildcard stands for it) without the type asked
  | 'wildcard'   // a positive answer synthesised from *.<closest encloser>
  | 'no-ds';     // a delegation point without DS

/** The NSEC or NSEC3 RRsets (one record each) proving `kind` for `name` in `zone`. */
export function denialRecords(zone: ZoneData, name: string, kind: DenialKind, ttl: number, nsec3: Nsec3Params | undefined, compact = false): SignInput[] {
  const qname = lowerName(name);
  if (nsec3) return nsec3Denial(zone, qname, kind, ttl, nsec3);
  return compact ? nsecDenial(zone, qname, kind, ttl) : chainDenial(zone, qname, kind, ttl);
}

function chainDenial(zone: ZoneData, qname: string, kind: DenialKind, ttl: number): SignInput[] {
  const made = chainOf(zone).made as Map<string, SignInput>;
  const record = (name: string): SignInput => {
    const { owner, next } = nsecAt(zone, name);
    let r = made.get(owner);
    if (r === undefined || r.ttl !== ttl) {
      r = nsec(owner, next, [...(nodeAt(zone, owner)?.rrsets.map((s) => s.type) ?? []), RRSIG, TYPE_NSEC], ttl);
      made.set(owner, r);
    }
    return r;
  };
  switch (kind) {
    case 'no-ds': return [record(qname)];
    case 'wildcard': return [record(qname)];
    case 'nodata': {
      if (nodeAt(zone, qname)) return [record(qname)]; // its own NSEC, or (an ENT) the one covering it
      const ce = closestEncloser(zone, qname);
      return unique([record(qname), record(ce === '.' ? '*.' : `*.${ce}`)]);
    }
    case 'nxdomain': {
      const ce = closestEncloser(zone, qname);
      return unique([record(qname), record(ce === '.' ? '*.' : `*.${ce}`)]);
    }
  }
}

function unique(sets: SignInput[]): SignInput[] {
  return sets.filter((s, i) => sets.findIndex((t) => t.owner === s.owner) === i);
}

function nsecDenial(zone: ZoneData, qname: string, kind: DenialKind, ttl: number): SignInput[] {
  const types = (node: ZoneNode | undefined) => [...(node ? node.rrsets.map((s) => s.type) : []), RRSIG, TYPE_NSEC];
  switch (kind) {
    case 'nxdomain': return [nsec(qname, successor(qname), [RRSIG, TYPE_NSEC, TYPE_NXNAME], ttl)];
    case 'no-ds': return [nsec(qname, successor(qname), types(zone.nodes.get(qname)), ttl)];
    case 'nodata': return [nsec(qname, successor(qname), types(existing(zone, qname)), ttl)];
    case 'wildcard': {
      const nc = nextCloser(zone, qname);
      return [nsec(predecessor(nc), afterSubtree(nc), [RRSIG, TYPE_NSEC], ttl)];
    }
  }
}

function nsec3Denial(zone: ZoneData, qname: string, kind: DenialKind, ttl: number, p: Nsec3Params): SignInput[] {
  const origin = zone.origin;
  const bitmapOf = (node: ZoneNode | undefined, signed: boolean) => {
    const t = node ? node.rrsets.map((s) => s.type) : [];
    return signed && t.length > 0 && !(node!.cut === node && !t.includes(43)) ? [...t, RRSIG] : t;
  };
  const match = (name: string, node: ZoneNode | undefined) => {
    const h = nsec3HashRaw(name, p);
    return nsec3(origin, h, increment(h), bitmapOf(node, true), ttl, p);
  };
  const cover = (name: string) => {
    const h = nsec3HashRaw(name, p);
    return nsec3(origin, decrement(h), increment(h), [], ttl, p);
  };
  switch (kind) {
    case 'no-ds': return [match(qname, zone.nodes.get(qname))];
    case 'nodata': {
      const node = zone.nodes.get(qname) ?? (qname === origin ? zone.apex : undefined);
      if (node) return [match(qname, node)];
      // RFC 5155 §7.2.5: wildcard NODATA: closest encloser, next closer, the wildcard.
      const ce = closestEncloser(zone, qname);
      const wc = `*.${ce}`;
      return [match(ce, nodeAt(zone, ce)), cover(nextCloser(zone, qname)), match(wc, zone.nodes.get(wc))];
    }
    case 'wildcard': return [cover(nextCloser(zone, qname))];
    case 'nxdomain': {
      const ce = closestEncloser(zone, qname);
      return [match(ce, nodeAt(zone, ce)), cover(nextCloser(zone, qname)), cover(ce === '.' ? '*.' : `*.${ce}`)];
    }
  }
}

function nodeAt(zone: ZoneData, name: string): ZoneNode | undefined {
  return name === zone.origin ? zone.apex : zone.nodes.get(name);
}

/** The node whose types a NODATA for qname reports: its own, or the wildcard's that stood for it. */
function existing(zone: ZoneData, qname: string): ZoneNode | undefined {
  const node = nodeAt(zone, qname);
  if (node) return node;
  return nodeAt(zone, closestEncloser(zone, qname))?.wildcard;
}

/** The longest existing ancestor of qname (RFC 4592 §3.3.1). */
export function closestEncloser(zone: ZoneData, qname: string): string {
  let name = qname;
  while (name !== zone.origin && !zone.nodes.has(name)) {
    const up = parentName(name);
    if (up === undefined || !isUnder(up, zone.origin)) return zone.origin;
    name = up;
  }
  return name;
}

/** The ancestor of qname (or qname) one label below its closest encloser (RFC 5155 §1.3). */
function nextCloser(zone: ZoneData, qname: string): string {
  const ce = closestEncloser(zone, qname);
  let name = qname;
  for (let up = parentName(name); up !== undefined && up !== ce; up = parentName(up)) name = up;
  return name;
}

function nsec(owner: string, next: string, types: number[], ttl: number): SignInput {
  return { owner, type: TYPE_NSEC, ttl, records: [{ kind: 'raw', bytes: Buffer.concat([nameWire(next), typeBitmap(types)]) }] };
}

function nsec3(origin: string, hash: Buffer, next: Buffer, types: number[], ttl: number, p: Nsec3Params): SignInput {
  const head = Buffer.from([1, p.flags & 1, p.iterations >> 8, p.iterations & 0xff, p.salt.length]);
  const rdata = Buffer.concat([head, p.salt, Buffer.from([next.length]), next, typeBitmap(types)]);
  return { owner: `${base32hex(hash)}.${origin === '.' ? '' : origin}`, type: TYPE_NSEC3, ttl, records: [{ kind: 'raw', bytes: rdata }] };
}

/** RFC 4034 §4.1.2 type bitmap of a set of types. */
export function typeBitmap(types: readonly number[]): Buffer {
  const sorted = [...new Set(types)].filter((t) => t > 0 && t < 65536).sort((a, b) => a - b);
  const out: number[] = [];
  let i = 0;
  while (i < sorted.length) {
    const win = sorted[i]! >> 8;
    const bits = new Uint8Array(32);
    let len = 0;
    for (; i < sorted.length && sorted[i]! >> 8 === win; i++) {
      const low = sorted[i]! & 0xff;
      bits[low >> 3]! |= 0x80 >> (low & 7);
      len = (low >> 3) + 1;
    }
    out.push(win, len, ...bits.subarray(0, len));
  }
  return Buffer.from(out);
}

function increment(h: Buffer): Buffer {
  const o = Buffer.from(h);
  for (let i = o.length - 1; i >= 0; i--) {
    o[i] = (o[i]! + 1) & 0xff;
    if (o[i] !== 0) break;
  }
  return o;
}

function decrement(h: Buffer): Buffer {
  const o = Buffer.from(h);
  for (let i = o.length - 1; i >= 0; i--) {
    const wasZero = o[i] === 0;
    o[i] = (o[i]! - 1) & 0xff;
    if (!wasZero) break;
  }
  return o;
}

/** The immediate successor in canonical order (RFC 4034 §6.1): `\000.<name>`. */
function successor(name: string): string {
  return name === '.' ? '\\000.' : `\\000.${name}`;
}

/** A name after every name at or below `name`: its first label with a zero octet appended. */
function afterSubtree(name: string): string {
  const labels = nameToLabels(name);
  if (labels[0]!.length < 63) labels[0] = Buffer.concat([labels[0]!, Buffer.from([0])]);
  return labelsToName(labels);
}

/**
 * A name just before `name` (RFC 4470 §3.1.2, simplified): the first label's
 * last octet decremented (never to an upper-case letter, which would sort as
 * lower case) and filled with \255 to 63 octets; a label ending in \000 is cut
 * short instead. Only names below that first label could sort between.
 */
function predecessor(name: string): string {
  const labels = nameToLabels(name);
  const first = labels[0]!;
  const last = first[first.length - 1]!;
  if (last === 0 || first.length === 0) {
    labels[0] = first.subarray(0, first.length - 1);
    if (labels[0].length === 0) labels.shift();
    return labelsToName(labels);
  }
  let dec = last - 1;
  if (dec >= 0x41 && dec <= 0x5a) dec = 0x40;
  const room = 255 - (nameWire(name).length - first.length);
  const size = Math.max(first.length, Math.min(63, room));
  const l = Buffer.alloc(size, 0xff);
  first.copy(l, 0, 0, first.length - 1);
  l[first.length - 1] = dec;
  labels[0] = l;
  return labelsToName(labels);
}
