// RDATA encode/decode for the types dnsdata models (RFC 1035 §3.3, §3.4;
// RFC 3596 AAAA; RFC 2782 SRV; RFC 3403 NAPTR; RFC 8659 CAA; RFC 4034 §5 DS),
// anything else as opaque octets (RFC 3597).
//
//   RR = NAME | TYPE (16) | CLASS (16) | TTL (32) | RDLENGTH (16) | RDATA
//
// Names inside RDATA are compressed only for the types RFC 3597 §4 lists as
// well known (NS CNAME SOA MX PTR); SRV (RFC 2782) and NAPTR (RFC 3403 §4.1)
// targets must not be, and decoders may not expect it for newer types.
import { SuiteError } from '@geoedge/shared';
import { TYPE, type Rdata } from '@geoedge/dnsdata';
import type { Encoder } from './writer.js';
import { readName, type NameOut } from './name.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './addr.js';

const COMPRESSIBLE = new Set<number>([TYPE.NS, TYPE.CNAME, TYPE.SOA, TYPE.MX, TYPE.PTR]);

function rdataError(type: number, message: string): SuiteError {
  return new SuiteError('ERR_WIRE_RDATA', `type ${type}: ${message}`);
}

/** Writes RDLENGTH and RDATA. Throws on data that cannot be encoded (validated upstream). */
export function writeRdata(e: Encoder, type: number, d: Rdata): void {
  const lenAt = e.pos;
  e.pos += 2;
  const c = COMPRESSIBLE.has(type);
  switch (d.kind) {
    case 'a':
      if (!parseIPv4(d.address, e.buf, e.pos)) throw rdataError(type, `"${d.address}" is not an IPv4 address`);
      e.pos += 4;
      break;
    case 'aaaa':
      if (!parseIPv6(d.address, e.buf, e.pos)) throw rdataError(type, `"${d.address}" is not an IPv6 address`);
      e.pos += 16;
      break;
    case 'name':
      e.name(d.target, c);
      break;
    case 'mx':
      e.u16(d.preference);
      e.name(d.exchange, c);
      break;
    case 'soa':
      e.name(d.mname, c);
      e.name(d.rname, c);
      e.u32(d.serial);
      e.u32(d.refresh);
      e.u32(d.retry);
      e.u32(d.expire);
      e.u32(d.minimum);
      break;
    case 'txt':
      writeTxt(e, type, d.strings, lenAt);
      break;
    case 'srv':
      e.u16(d.priority);
      e.u16(d.weight);
      e.u16(d.port);
      e.name(d.target, false);
      break;
    case 'caa':
      if (d.tag.length < 1 || d.tag.length > 255) throw rdataError(type, 'CAA tag must be 1..255 octets');
      e.u8(d.flags);
      e.u8(d.tag.length);
      e.pos += e.buf.write(d.tag, e.pos, 'latin1');
      e.bytes(d.value);
      break;
    case 'naptr':
      e.u16(d.order);
      e.u16(d.preference);
      charString(e, type, d.flags);
      charString(e, type, d.services);
      charString(e, type, d.regexp);
      e.name(d.replacement, false);
      break;
    case 'ds':
      e.u16(d.keyTag);
      e.u8(d.algorithm);
      e.u8(d.digestType);
      e.bytes(d.digest);
      break;
    case 'raw':
      e.bytes(d.bytes);
      break;
    case 'lua':
      // LUA records are evaluated by the server into ordinary rdata first.
      throw new SuiteError('ERR_WIRE_LUA', 'programming error: a LUA record reached the wire encoder unevaluated');
    default:
      throw rdataError(type, `unknown rdata kind ${(d as { kind: string }).kind}`);
  }
  const len = e.pos - lenAt - 2;
  if (len > 0xffff) throw rdataError(type, `rdata is ${len} octets, over 65535`);
  e.buf.writeUInt16BE(len, lenAt);
}

/**
 * TXT/SPF strings; one over 255 octets goes out as 255-octet character-strings,
 * the last shorter (PowerDNS's DNSPacketWriter::xfrText, checked by the oracle).
 */
function writeTxt(e: Encoder, type: number, strings: Buffer[], lenAt: number): void {
  if (strings.length === 0) return e.u8(0); // RFC 1035 §3.3.14: at least one string
  for (const s of strings) {
    if (e.pos + 1 + s.length + Math.floor(s.length / 255) - lenAt - 2 > 0xffff) throw rdataError(type, 'TXT rdata over 65535 octets');
    if (s.length <= 255) { charString(e, type, s); continue; }
    for (let i = 0; i < s.length; i += 255) charString(e, type, s.subarray(i, i + 255));
  }
}

/** <character-string>, RFC 1035 §3.3: one length octet, then up to 255 octets. */
function charString(e: Encoder, type: number, s: Buffer): void {
  if (s.length > 255) throw rdataError(type, `character-string of ${s.length} octets, over 255`);
  e.u8(s.length);
  e.bytes(s);
}

const nameOut: NameOut = { name: '', end: 0 };

/**
 * Decodes RDATA at buf[off..off+len) (names may point anywhere earlier in
 * `buf`). Returns the Rdata or why it is malformed; types without a model → raw.
 */
export function readRdata(buf: Buffer, off: number, len: number, type: number): Rdata | string {
  const end = off + len;
  const r = new Reader(buf, off, end);
  let d: Rdata;
  switch (type) {
    case TYPE.A:
      if (len !== 4) return `A rdata is ${len} octets, not 4`;
      return { kind: 'a', address: formatIPv4(buf, off) };
    case TYPE.AAAA:
      if (len !== 16) return `AAAA rdata is ${len} octets, not 16`;
      return { kind: 'aaaa', address: formatIPv6(buf, off) };
    case TYPE.NS:
    case TYPE.CNAME:
    case TYPE.PTR:
      d = { kind: 'name', target: r.name() };
      break;
    case TYPE.MX:
      d = { kind: 'mx', preference: r.u16(), exchange: r.name() };
      break;
    case TYPE.SOA:
      d = { kind: 'soa', mname: r.name(), rname: r.name(), serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32() };
      break;
    case TYPE.TXT:
    case TYPE.SPF: {
      const strings: Buffer[] = [];
      while (r.p < end && r.error === '') strings.push(r.charString());
      d = { kind: 'txt', strings };
      break;
    }
    case TYPE.SRV:
      d = { kind: 'srv', priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() };
      break;
    case TYPE.CAA: {
      const flags = r.u8();
      const tag = r.charString().toString('latin1');
      d = { kind: 'caa', flags, tag, value: r.rest() };
      break;
    }
    case TYPE.NAPTR:
      d = { kind: 'naptr', order: r.u16(), preference: r.u16(), flags: r.charString(), services: r.charString(), regexp: r.charString(), replacement: r.name() };
      break;
    case TYPE.DS:
      d = { kind: 'ds', keyTag: r.u16(), algorithm: r.u8(), digestType: r.u8(), digest: r.rest() };
      break;
    default:
      return { kind: 'raw', bytes: Buffer.from(buf.subarray(off, end)) };
  }
  if (r.error !== '') return `type ${type}: ${r.error}`;
  if (r.p !== end) return `type ${type}: ${end - r.p} octets left over in rdata`;
  return d;
}

/** Bounds-checked cursor: on overrun it records an error and yields zeros. */
class Reader {
  error = '';
  constructor(readonly buf: Buffer, public p: number, readonly end: number) {}

  private take(n: number): number {
    if (this.error !== '' || this.p + n > this.end) {
      if (this.error === '') this.error = 'rdata truncated';
      return -1;
    }
    const at = this.p;
    this.p += n;
    return at;
  }
  u8(): number {
    const at = this.take(1);
    return at < 0 ? 0 : this.buf[at];
  }
  u16(): number {
    const at = this.take(2);
    return at < 0 ? 0 : this.buf.readUInt16BE(at);
  }
  u32(): number {
    const at = this.take(4);
    return at < 0 ? 0 : this.buf.readUInt32BE(at);
  }
  charString(): Buffer {
    const n = this.u8();
    const at = this.take(n);
    return at < 0 ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(at, at + n));
  }
  rest(): Buffer {
    const at = this.p;
    this.p = this.end;
    return Buffer.from(this.buf.subarray(at, this.end));
  }
  name(): string {
    if (this.error !== '') return '.';
    // Names may point back into the message but must start inside this rdata.
    const bad = readName(this.buf.subarray(0, this.end), this.p, false, true, nameOut);
    if (bad !== null) {
      this.error = bad;
      return '.';
    }
    this.p = nameOut.end;
    return nameOut.name;
  }
}
