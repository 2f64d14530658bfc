// Message writer with name compression, RFC 1035 §4.1.4:
//   "a domain name in a message can be represented as ... a pointer to a
//    prior occurance of the same name" — pointer = 0b11 + 14-bit offset.
// The table maps each lower-cased suffix (in wire form, root left off) to the
// offset where it was first written, so "WWW.Example.com" and a later
// "mail.example.COM" share "example.com". Offsets ≥ 0x4000 cannot be pointed at.
import { SuiteError } from '@geoedge/shared';
import { writeNameLabels } from './name.js';

/** Room for a 64 KiB message plus one oversized record before the size check runs. */
const SCRATCH = 2 * 65536 + 1024;

export class Encoder {
  readonly buf: Buffer;
  pos = 0;
  private readonly table = new Map<string, number>();
  private readonly starts: number[] = [];
  private readonly keyBuf = Buffer.allocUnsafe(256);

  constructor(size = SCRATCH) {
    this.buf = Buffer.allocUnsafe(size);
  }

  reset(): void {
    this.pos = 0;
    this.table.clear();
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  bytes(b: Uint8Array): void {
    if (this.pos + b.length > this.buf.length) throw new SuiteError('ERR_WIRE_SIZE', 'message larger than 64 KiB');
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Writes a presentation name, compressed against earlier names if `compress`. */
  name(name: string, compress: boolean): void {
    const start = this.pos;
    const end = writeNameLabels(name, this.buf, start, this.starts);
    if (!compress || end === start + 1) {
      this.pos = end;
      return;
    }
    const key = this.key(start, end - 1);
    const starts = this.starts;
    for (let k = 0; k < starts.length; k++) {
      const s = starts[k];
      const suffix = k === 0 ? key : key.substring(s - start);
      const at = this.table.get(suffix);
      if (at !== undefined) {
        this.buf.writeUInt16BE(0xc000 | at, s);
        this.pos = s + 2;
        return;
      }
      if (s < 0x4000) this.table.set(suffix, s);
    }
    this.pos = end;
  }

  /** Makes the uncompressed name already at buf[start] (e.g. the copied question) a compression target. */
  register(start: number): void {
    let p = start;
    while (this.buf[p] !== 0 && this.buf[p] < 0x40) p += 1 + this.buf[p];
    const key = this.key(start, p);
    for (let s = start; s < p && s < 0x4000; s += 1 + this.buf[s]) {
      const suffix = key.substring(s - start);
      if (!this.table.has(suffix)) this.table.set(suffix, s);
    }
  }

  /** Wire octets [from, to) with ASCII folded to lower case, as a latin1 string. */
  private key(from: number, to: number): string {
    const b = this.buf;
    let upper = false;
    for (let i = from; i < to; i++) {
      if (b[i] >= 0x41 && b[i] <= 0x5a) {
        upper = true;
        break;
      }
    }
    if (!upper) return b.toString('latin1', from, to);
    const k = this.keyBuf;
    for (let i = from; i < to; i++) k[i - from] = b[i] >= 0x41 && b[i] <= 0x5a ? b[i] | 0x20 : b[i];
    return k.toString('latin1', 0, to - from);
  }
}
