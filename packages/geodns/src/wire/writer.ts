// Message writer with name compression, RFC 1035 §4.1.4:
//   "a domain name in a message can be represented as ... a pointer to a
//    prior occurance of the same name" — pointer = 0b11 + 14-bit offset.
// Every name and suffix written (offset < 0x4000, the most a pointer reaches)
// becomes a target; a later name whose suffix equals one, ignoring ASCII case
// (RFC 4343), ends in a pointer to it: "WWW.Example.com" and a later
// "mail.example.COM" share "Example.com".
import { SuiteError } from '@geoedge/shared';
import { writeNameLabels } from './name.js';

/** Room for a 64 KiB message plus one oversized record before the size check runs. */
const SCRATCH = 2 * 65536 + 1024;

/** Most names a message offers as compression targets; later ones are written in full. */
const MAX_TARGETS = 1024;

export class Encoder {
  readonly buf: Buffer;
  pos = 0;
  // Offsets of names (and their suffixes) already in buf. Matching compares
  // octets in place, following our own pointers: no strings, no hashing, and
  // reset() is one assignment. Messages rarely hold more than a few dozen.
  private readonly targets = new Int32Array(MAX_TARGETS);
  private count = 0;
  private readonly starts: number[] = [];
  /** Never compress (RFC 4034 §6.2 canonical form, for DNSSEC signing input). */
  noCompress = false;

  constructor(size = SCRATCH) {
    this.buf = Buffer.allocUnsafe(size);
  }

  reset(): void {
    this.pos = 0;
    this.count = 0;
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  // Plain octet stores: cheaper than writeUInt*BE's range checks, and callers
  // pass 16/32-bit fields from typed values.
  u16(v: number): void {
    const b = this.buf;
    b[this.pos] = v >>> 8;
    b[this.pos + 1] = v;
    this.pos += 2;
  }

  u32(v: number): void {
    const b = this.buf;
    b[this.pos] = v >>> 24;
    b[this.pos + 1] = v >>> 16;
    b[this.pos + 2] = v >>> 8;
    b[this.pos + 3] = v;
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
    if (!compress || this.noCompress) {
      this.pos = end;
      return;
    }
    const starts = this.starts;
    for (let k = 0; k < starts.length; k++) {
      const s = starts[k];
      const at = this.find(s);
      if (at >= 0) {
        this.buf.writeUInt16BE(0xc000 | at, s);
        this.pos = s + 2;
        return;
      }
      this.add(s);
    }
    this.pos = end;
  }

  /** Makes the uncompressed name already at buf[start] (e.g. the copied question) a compression target. */
  register(start: number, end: number): void {
    // Only a whole plain name (no pointers, root octet inside `end`) may become
    // a target: sameName trusts targets. parseQuery's questions always are.
    let s = start;
    while (s < end && this.buf[s] !== 0 && this.buf[s] < 0x40) s += 1 + this.buf[s];
    if (s >= end || this.buf[s] !== 0) return;
    for (s = start; this.buf[s] !== 0; s += 1 + this.buf[s]) {
      if (this.find(s) < 0) this.add(s);
    }
  }

  private add(s: number): void {
    if (s < 0x4000 && this.count < MAX_TARGETS) this.targets[this.count++] = s;
  }

  /** Offset of an earlier name equal (ASCII case folded) to the labels at buf[s], or -1. */
  private find(s: number): number {
    const b = this.buf;
    const first = b[s];
    for (let i = 0; i < this.count; i++) {
      const t = this.targets[i];
      if (b[t] === first && sameName(b, t, s)) return t;
    }
    return -1;
  }
}

/** Compares the name at `a` (may contain pointers) with the uncompressed name at `b`. */
function sameName(buf: Buffer, a: number, b: number): boolean {
  for (;;) {
    let len = buf[a];
    while (len >= 0xc0) {
      a = ((len & 0x3f) << 8) | buf[a + 1];
      len = buf[a];
    }
    if (len !== buf[b]) return false;
    if (len === 0) return true;
    for (let i = 1; i <= len; i++) {
      let x = buf[a + i];
      let y = buf[b + i];
      if (x !== y) {
        if (x >= 0x41 && x <= 0x5a) x |= 0x20;
        if (y >= 0x41 && y <= 0x5a) y |= 0x20;
        if (x !== y) return false;
      }
    }
    a += len + 1;
    b += len + 1;
  }
}
