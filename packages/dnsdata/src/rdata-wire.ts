// RFC 3597 §5: a known type written in the generic form `\# <len> <hex>`
// must mean the same as its typed form, so we decode those octets into the
// typed Rdata variant. The octets are uncompressed wire RDATA (RFC 3597 §4
// forbids compression pointers there); layouts from RFC 1035 §3.3 (NS CNAME
// PTR MX SOA TXT), §3.4.1 (A), RFC 3596 (AAAA), 2782 (SRV), 3403 (NAPTR),
// 4034 §5.1 (DS), 8659 §4.1 (CAA).
import type { Rdata } from './types.js';
import { TYPE } from './types.js';
import { labelsToName } from './name.js';
import { bytesToIpv4, bytesToIpv6 } from './ip.js';

class Reader {
  private off = 0;
  constructor(private readonly b: Buffer) {}
  need(n: number): void {
    if (this.off + n > this.b.length) throw new Error(`RDATA too short: needs ${this.off + n} octets, has ${this.b.length}`);
  }
  u8(): number { this.need(1); return this.b[this.off++]; }
  u16(): number { this.need(2); const v = this.b.readUInt16BE(this.off); this.off += 2; return v; }
  u32(): number { this.need(4); const v = this.b.readUInt32BE(this.off); this.off += 4; return v; }
  bytes(n: number): Buffer { this.need(n); const v = this.b.subarray(this.off, this.off + n); this.off += n; return Buffer.from(v); }
  charString(): Buffer { return this.bytes(this.u8()); }
  rest(): Buffer { return this.bytes(this.b.length - this.off); }
  atEnd(): boolean { return this.off === this.b.length; }
  name(): string {
    const labels: Buffer[] = [];
    let wire = 1;
    for (;;) {
      const len = this.u8();
      if (len === 0) return labelsToName(labels);
      if (len > 63) throw new Error('compressed or invalid label in RDATA name');
      wire += len + 1;
      if (wire > 255) throw new Error('name in RDATA over 255 octets');
      labels.push(this.bytes(len));
    }
  }
  end(): void {
    if (!this.atEnd()) throw new Error(`RDATA has ${this.b.length - this.off} octets left over`);
  }
}

/** Typed Rdata for wire octets of a known type; undefined if the type has no typed variant. */
export function rdataFromWire(type: number, bytes: Buffer): Rdata | undefined {
  const r = new Reader(bytes);
  const d = decode(type, r);
  if (d) r.end();
  return d;
}

function decode(type: number, r: Reader): Rdata | undefined {
  switch (type) {
    case TYPE.A: return { kind: 'a', address: bytesToIpv4(r.bytes(4)) };
    case TYPE.AAAA: return { kind: 'aaaa', address: bytesToIpv6(r.bytes(16)) };
    case TYPE.NS: case TYPE.CNAME: case TYPE.PTR: case TYPE.DNAME: case TYPE.ALIAS: return { kind: 'name', target: r.name() };
    case TYPE.MX: return { kind: 'mx', preference: r.u16(), exchange: r.name() };
    case TYPE.SOA:
      return {
        kind: 'soa', mname: r.name(), rname: r.name(), serial: r.u32(),
        refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32(),
      };
    case TYPE.TXT: case TYPE.SPF: {
      const strings: Buffer[] = [r.charString()];
      while (!r.atEnd()) strings.push(r.charString());
      return { kind: 'txt', strings };
    }
    case TYPE.SRV: return { kind: 'srv', priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() };
    case TYPE.CAA: {
      const flags = r.u8();
      const tag = r.charString().toString('latin1');
      if (!/^[A-Za-z0-9]+$/.test(tag)) throw new Error(`CAA tag "${tag}" must be letters and digits`);
      return { kind: 'caa', flags, tag, value: r.rest() };
    }
    case TYPE.NAPTR:
      return {
        kind: 'naptr', order: r.u16(), preference: r.u16(), flags: r.charString(),
        services: r.charString(), regexp: r.charString(), replacement: r.name(),
      };
    case TYPE.DS: case 59 /* CDS, same layout (RFC 7344 §3.1) */: {
      const keyTag = r.u16(), algorithm = r.u8(), digestType = r.u8();
      const digest = r.rest();
      if (digest.length === 0) throw new Error('DS digest is empty');
      return { kind: 'ds', keyTag, algorithm, digestType, digest };
    }
    default: return undefined;
  }
}
