// Reads only the parts of a MaxMind DB data record that GeoFields are made of,
// after "MaxMind DB File Format Specification" v2.0, "Output Data Section":
// control byte = type (3 bits; 0 = extended, type 7 + next byte) | size (5 bits;
// 29/30/31 = 29/285/65821 + the next 1/2/3 bytes); a pointer (type 1) holds
// SS (2 bits) and VVV (3 bits): SS+1 more bytes, biased by 0/2048/526336/0,
// relative to the data section. A City record carries names in eight
// languages for the city, subdivision, country, registered country and
// continent; mmdb-lib decodes all of them (about 40 strings) for the 8 fields
// we keep. Here everything outside SELECT is skipped unread, which makes the
// first lookup of each record (every lookup of a cold start or a random-subnet
// flood) several times cheaper. The result has the shape mmdb-lib would give
// for the selected paths, so maxmind.ts converts it with the same toFields;
// mmdb-fields.test.ts compares both over every record of the test databases
// and of GeoLite2 City.

/** Paths of the record GeoFields read (maxmind.ts toFields); `true` = a leaf value. */
type Select = { readonly [key: string]: Select | true };
export const SELECT: Select = {
  country: { iso_code: true },
  registered_country: { iso_code: true },
  continent: { code: true },
  subdivisions: { 0: { iso_code: true } },
  city: { names: { en: true } },
  location: { latitude: true, longitude: true },
  autonomous_system_number: true,
  autonomous_system_organization: true,
  traits: { autonomous_system_number: true, autonomous_system_organization: true },
};

const MAX_DEPTH = 16;
const POINTER_BIAS = [0, 2048, 526336, 0];

/**
 * The selected parts of the record at `offset` (absolute in `buf`); `base` is
 * where the data section starts. Throws on anything malformed (the caller
 * falls back to mmdb-lib, which reports it).
 */
export function readSelected(buf: Buffer, base: number, offset: number): unknown {
  return new Walker(buf, base).value(offset, SELECT, 0).v;
}

class Walker {
  constructor(private readonly b: Buffer, private readonly base: number) {}

  /** The value at p (through one pointer), decoded as far as `sel` asks; `next` = just past it. */
  value(p: number, sel: Select | true, depth: number): { v: unknown; next: number } {
    if (depth > MAX_DEPTH) throw new Error('nesting too deep');
    const b = this.b;
    const ctrl = b[p]!;
    if (ctrl === undefined) throw new Error('past the end');
    if (ctrl >> 5 === 1) {
      const { target, next } = this.pointer(p);
      if (b[target]! >> 5 === 1) throw new Error('pointer to a pointer');
      return { v: this.value(target, sel, depth + 1).v, next };
    }
    const h = this.header(p);
    switch (h.type) {
      case 7: return this.map(h.p, h.size, sel, depth);
      case 11: return this.array(h.p, h.size, sel, depth);
      default: return { v: sel === true ? this.scalar(h.type, h.p, h.size) : null, next: h.type === 14 ? h.p : h.p + h.size };
    }
  }

  private map(p: number, size: number, sel: Select | true, depth: number): { v: unknown; next: number } {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < size; i++) {
      const k = this.value(p, true, depth + 1);
      const key = String(k.v);
      const want = sel === true ? undefined : sel[key];
      if (want === undefined) {
        p = this.skip(k.next, depth + 1);
      } else {
        const r = this.value(k.next, want, depth + 1);
        out[key] = r.v;
        p = r.next;
      }
    }
    return { v: out, next: p };
  }

  private array(p: number, size: number, sel: Select | true, depth: number): { v: unknown; next: number } {
    const out: unknown[] = [];
    for (let i = 0; i < size; i++) {
      const want = sel === true ? undefined : sel[i];
      if (want === undefined) { out.push(undefined); p = this.skip(p, depth + 1); continue; }
      const r = this.value(p, want, depth + 1);
      out.push(r.v);
      p = r.next;
    }
    return { v: out, next: p };
  }

  /** Offset just past the value at p, reading nothing else. */
  private skip(p: number, depth: number): number {
    if (depth > MAX_DEPTH) throw new Error('nesting too deep');
    if (this.b[p]! >> 5 === 1) return this.pointer(p).next;
    const h = this.header(p);
    if (h.type === 7) { let q = h.p; for (let i = 0; i < h.size * 2; i++) q = this.skip(q, depth + 1); return q; }
    if (h.type === 11) { let q = h.p; for (let i = 0; i < h.size; i++) q = this.skip(q, depth + 1); return q; }
    return h.type === 14 ? h.p : h.p + h.size;
  }

  private pointer(p: number): { target: number; next: number } {
    const b = this.b;
    const ctrl = b[p]!;
    const ss = (ctrl >> 3) & 3;
    let v = ss === 3 ? 0 : ctrl & 7;
    for (let i = 1; i <= ss + 1; i++) v = v * 256 + b[p + i]!;
    if (p + ss + 2 > b.length) throw new Error('truncated pointer');
    return { target: this.base + v + POINTER_BIAS[ss]!, next: p + ss + 2 };
  }

  private header(p: number): { type: number; size: number; p: number } {
    const b = this.b;
    const ctrl = b[p++]!;
    let type = ctrl >> 5;
    if (type === 0) type = 7 + b[p++]!;
    let size = ctrl & 0x1f;
    if (size >= 29) {
      const n = size - 28;
      let ext = 0;
      for (let i = 0; i < n; i++) ext = ext * 256 + b[p + i]!;
      size = [29, 285, 65821][n - 1]! + ext;
      p += n;
    }
    if (p + (type === 7 || type === 11 || type === 14 ? 0 : size) > b.length) throw new Error('value past the end');
    return { type, size, p };
  }

  /** A leaf as mmdb-lib decodes it, as far as toFields can tell: strings and numbers; others null. */
  private scalar(type: number, p: number, size: number): unknown {
    const b = this.b;
    switch (type) {
      case 2: return b.toString('utf8', p, p + size);
      case 3: if (size !== 8) throw new Error('bad double'); return b.readDoubleBE(p);
      case 15: if (size !== 4) throw new Error('bad float'); return b.readFloatBE(p);
      case 5: case 6: {
        if (size > 4) throw new Error('bad uint');
        let v = 0;
        for (let i = 0; i < size; i++) v = v * 256 + b[p + i]!;
        return v;
      }
      case 8: // mmdb-lib decodeInt32
        if (size === 0) return 0;
        return size < 4 ? b.readUIntBE(p, size) : b.readInt32BE(p);
      case 14: return size !== 0;
      default: return null; // bytes, uint64/128 (bigint in mmdb-lib): never a GeoFields value
    }
  }
}
