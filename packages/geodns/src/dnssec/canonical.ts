// Canonical form and order of an RRset, RFC 4034 §6:
//   §6.2  every name in owner and RDATA (for the types listed there: NS CNAME
//         SOA MX PTR SRV NAPTR DNAME …) lower-case, uncompressed; TTL = the
//         original TTL (the RRSIG's);
//   §6.3  the RRs of an RRset sorted by their canonical RDATA as left-justified
//         unsigned octet sequences (absent octets sort first), duplicates once.
// And the canonical order of names (§6.1): by labels from the root down, each
// label compared as lower-case octets, a missing label first.
import { lowerName, nameToLabels, type Rdata } from '@geoedge/dnsdata';
import { Encoder } from '../wire/writer.js';
import { writeRdata } from '../wire/rdata.js';

const enc = new Encoder(2 * 65536 + 1024);
enc.noCompress = true;

/** The RDATA of one record in canonical form (names lower-case, never compressed). */
export function canonicalRdata(type: number, d: Rdata): Buffer {
  enc.reset();
  writeRdata(enc, type, lowerRdata(d));
  return Buffer.from(enc.buf.subarray(2, enc.pos));
}

/** A name in canonical wire form: lower-case labels, root octet, no compression. */
export function nameWire(name: string): Buffer {
  enc.reset();
  enc.name(lowerName(name), false);
  return Buffer.from(enc.buf.subarray(0, enc.pos));
}

/** Sorted, de-duplicated canonical RDATA of an RRset (§6.3). */
export function canonicalSet(type: number, records: readonly Rdata[]): Buffer[] {
  const out = records.map((d) => canonicalRdata(type, d)).sort(Buffer.compare);
  return out.filter((b, i) => i === 0 || !b.equals(out[i - 1]!));
}

function lowerRdata(d: Rdata): Rdata {
  switch (d.kind) {
    case 'name': return { kind: 'name', target: lowerName(d.target) };
    case 'mx': return { ...d, exchange: lowerName(d.exchange) };
    case 'soa': return { ...d, mname: lowerName(d.mname), rname: lowerName(d.rname) };
    case 'srv': return { ...d, target: lowerName(d.target) };
    case 'naptr': return { ...d, replacement: lowerName(d.replacement) };
    default: return d;
  }
}

/** Labels of a name for RRSIG's Labels field (RFC 4034 §3.1.3): root and a leading `*` not counted. */
export function labelCount(name: string): number {
  const labels = nameToLabels(name);
  return labels.length > 0 && labels[0]!.length === 1 && labels[0]![0] === 0x2a ? labels.length - 1 : labels.length;
}

/** RFC 4034 §6.1 canonical order of two names: negative, zero or positive. */
export function compareNames(a: string, b: string): number {
  const la = nameToLabels(lowerName(a));
  const lb = nameToLabels(lowerName(b));
  for (let i = 1; i <= Math.min(la.length, lb.length); i++) {
    const c = Buffer.compare(la[la.length - i]!, lb[lb.length - i]!);
    if (c !== 0) return c;
  }
  return la.length - lb.length;
}
