// Compiled static answers (wire/template.ts) packed into one Buffer per
// generation, found through an open-addressing table of Int32s keyed by a hash
// of the question's own bytes. A hit then reads one table slot and one run of
// contiguous bytes (key, answer, TC stub), instead of walking a Map entry, a key
// string, a value object, a Template and two Buffers scattered over the heap:
// with 100,000+ answers in a big process those were a cache (and TLB) miss each,
// and the lookup cost 1.5× the small-zone one. No string key is built on a hit.
//
// The key is the question section (QNAME, QTYPE, QCLASS) with the name's ASCII
// letters lower-cased, plus one flag byte (ANY over TCP gets the full answer,
// RFC 8482 minimal ANY over UDP). Names with compression pointers are not kept.
//
// Bounded like AnswerCache: two generations; when the young one reaches its
// entry or byte cap, the old one is dropped whole and a hit in the old one is
// copied into the young one, so hot names survive and a flood of new names
// cannot grow memory. Outlives zone snapshots: each entry is stamped with its
// zone's slot and generation (zone-epochs.ts), and an entry whose zone changed
// since is a miss, replaced in place when the fresh answer is stored.
//
// Entry layout at `off` in a generation's data:
//   u16 keyLen | u16 fullLen | u16 truncLen | u16 rcode | i32 zone slot | i32 zone generation
//   | i32 RRL account name (rrl.ts imputedName: a wildcard answer; 0: the QNAME)
//   | key | full answer | TC stub
import { renderStored, type Template } from '../wire/template.js';
import type { OptOut } from '../wire/message.js';
import type { Query } from '../wire/types.js';
import type { ZoneEpochs } from './zone-epochs.js';

const HEAD = 20;

class Generation {
  /** Pairs [hash, offset + 1]; offset + 1 = 0 marks a free slot. Load kept ≤ 1/2. */
  table: Int32Array;
  data: Buffer;
  used = 0;
  count = 0;
  constructor(slots: number, bytes: number) {
    this.table = new Int32Array(slots * 2);
    this.data = Buffer.allocUnsafeSlow(bytes);
  }

  /** Offset of the entry for (q, flag) with hash h, or -1. */
  find(h: number, q: Buffer, flag: number): number {
    const i = this.findSlot(h, q, flag);
    return i < 0 ? -1 : this.table[2 * i + 1]! - 1;
  }

  /** Table index of the entry for (q, flag) with hash h, or -1. */
  findSlot(h: number, q: Buffer, flag: number): number {
    const t = this.table, d = this.data;
    const mask = (t.length >> 1) - 1;
    const n = q.length;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const o1 = t[2 * i + 1]!;
      if (o1 === 0) return -1;
      if (t[2 * i] !== h) continue;
      const off = o1 - 1;
      if (d.readUInt16LE(off) !== n + 1 || d[off + HEAD + n] !== flag) continue;
      let k = off + HEAD, j = 0;
      const nameEnd = n - 4;
      for (; j < nameEnd; j++, k++) {
        let b = q[j]!;
        if (b >= 0x41 && b <= 0x5a) b |= 0x20;
        if (d[k] !== b) break;
      }
      if (j < nameEnd) continue;
      for (; j < n; j++, k++) if (d[k] !== q[j]) break;
      if (j === n) return i;
    }
  }

  /** Room for `size` more bytes and one more slot, growing up to the caps; false when full. */
  reserve(size: number, maxBytes: number, maxEntries: number): boolean {
    if (this.count >= maxEntries || this.used + size > maxBytes) return false;
    if (this.used + size > this.data.length) {
      let len = this.data.length * 2;
      while (len < this.used + size) len *= 2;
      const bigger = Buffer.allocUnsafeSlow(Math.min(len, maxBytes));
      this.data.copy(bigger, 0, 0, this.used);
      this.data = bigger;
    }
    if ((this.count + 1) * 2 > this.table.length >> 1) this.rehash();
    return true;
  }

  /** Claims the slot for hash h, pointing at offset `off`. */
  link(h: number, off: number): void {
    const t = this.table;
    const mask = (t.length >> 1) - 1;
    let i = h & mask;
    while (t[2 * i + 1] !== 0) i = (i + 1) & mask;
    t[2 * i] = h;
    t[2 * i + 1] = off + 1;
    this.count++;
  }

  private rehash(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.link(old[i]!, old[i + 1]! - 1);
  }
}

export class AnswerArena {
  private young: Generation;
  private old: Generation | undefined;
  // The entry found by the last successful find(): render() reads it (no object per hit).
  private hitData: Buffer;
  private hitOff = 0;

  /**
   * @param maxEntries entries per generation (two are kept)
   * @param maxBytes   bytes per generation
   * @param zones      the zone generations entries are stamped with
   */
  constructor(private readonly maxEntries: number, private readonly maxBytes: number, private readonly zones: ZoneEpochs) {
    this.young = fresh(maxBytes);
    this.hitData = this.young.data;
  }

  /** keyHash of the question the last find() looked for (-1: one the arena cannot store). */
  lastHash = -1;

  /** True if an answer for this question (and flag) is stored; render() then sends it. */
  find(question: Buffer, flag: number): boolean {
    const h = keyHash(question, flag);
    this.lastHash = h;
    if (h < 0) return false;
    let off = this.young.find(h, question, flag);
    if (off >= 0) {
      if (this.stale(this.young.data, off)) return false;
      this.hitData = this.young.data;
      this.hitOff = off;
      return true;
    }
    if (this.old === undefined) return false;
    off = this.old.find(h, question, flag);
    if (off < 0 || this.stale(this.old.data, off)) return false;
    // Promote: copy the entry into the young generation so it survives the next rotation.
    const d = this.old.data;
    const size = HEAD + d.readUInt16LE(off) + d.readUInt16LE(off + 2) + d.readUInt16LE(off + 4);
    const g = this.room(size);
    d.copy(g.data, g.used, off, off + size);
    g.link(h, g.used);
    this.hitData = g.data;
    this.hitOff = g.used;
    g.used += size;
    return true;
  }

  /** Rcode of the entry find() found. */
  get rcode(): number {
    return this.hitData.readUInt16LE(this.hitOff + 6);
  }

  /** RRL account name of the entry find() found (0: its QNAME). */
  get imputed(): number {
    return this.hitData.readInt32LE(this.hitOff + 16);
  }

  /** The entry find() found, answered to q. */
  render(q: Query, opt: OptOut | undefined, maxSize: number): Buffer {
    const d = this.hitData, o = this.hitOff;
    const keyLen = d.readUInt16LE(o), fullLen = d.readUInt16LE(o + 2);
    const full = o + HEAD + keyLen;
    return renderStored(d, full, fullLen, d, full + fullLen, d.readUInt16LE(o + 4), keyLen - 1, q, opt, maxSize);
  }

  /** The entry's zone changed since it was stored. */
  private stale(d: Buffer, off: number): boolean {
    return this.zones.gen[d.readInt32LE(off + 8)] !== d.readInt32LE(off + 12);
  }

  /**
   * Stores t as the answer for question + flag (the question as the query sent it;
   * case is folded here), read from the zone in `slot` (zone-epochs.ts).
   */
  set(question: Buffer, flag: number, rcode: number, t: Template, slot: number, imputed = 0): void {
    const h = keyHash(question, flag);
    if (h < 0) return;
    const n = question.length;
    const size = HEAD + n + 1 + t.full.length + t.truncated.length;
    if (t.full.length > 0xffff || size > this.maxBytes) return;
    const g = this.room(size);
    const d = g.data;
    let p = g.used;
    d.writeUInt16LE(n + 1, p);
    d.writeUInt16LE(t.full.length, p + 2);
    d.writeUInt16LE(t.truncated.length, p + 4);
    d.writeUInt16LE(rcode, p + 6);
    d.writeInt32LE(slot, p + 8);
    d.writeInt32LE(this.zones.gen[slot]!, p + 12);
    d.writeInt32LE(imputed, p + 16);
    p += HEAD;
    for (let j = 0; j < n; j++) {
      let b = question[j]!;
      if (j < n - 4 && b >= 0x41 && b <= 0x5a) b |= 0x20;
      d[p++] = b;
    }
    d[p++] = flag;
    p += t.full.copy(d, p);
    t.truncated.copy(d, p);
    // A stale entry for the same question is replaced in place.
    const i = g.findSlot(h, question, flag);
    if (i >= 0) g.table[2 * i + 1] = g.used + 1;
    else g.link(h, g.used);
    g.used += size;
  }

  /** Entries held, both generations. */
  get size(): number {
    return this.young.count + (this.old?.count ?? 0);
  }

  /** The young generation, made to hold `size` more bytes: rotated when at a cap. */
  private room(size: number): Generation {
    if (!this.young.reserve(size, this.maxBytes, this.maxEntries)) {
      this.old = this.young;
      this.young = fresh(this.maxBytes);
      this.young.reserve(size, this.maxBytes, this.maxEntries);
    }
    return this.young;
  }
}

function fresh(maxBytes: number): Generation {
  return new Generation(1024, Math.min(64 * 1024, maxBytes));
}

/**
 * FNV-1a over the question with the name's letters folded, 31 bits; -1 when the
 * name is not plain labels ending exactly 4 octets (QTYPE, QCLASS) before the end.
 */
export function keyHash(q: Buffer, flag: number): number {
  const n = q.length - 4;
  let p = 0;
  for (;;) {
    if (p >= n) return -1;
    const len = q[p]!;
    if (len === 0) break;
    if (len > 63) return -1; // a compression pointer: the bytes alone do not say which name
    p += len + 1;
  }
  if (p !== n - 1) return -1;
  let h = 0x811c9dc5 ^ flag;
  for (let i = 0; i < n; i++) {
    let b = q[i]!;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    h = Math.imul(h ^ b, 0x01000193);
  }
  for (let i = n; i < n + 4; i++) h = Math.imul(h ^ q[i]!, 0x01000193);
  return h >>> 1;
}
