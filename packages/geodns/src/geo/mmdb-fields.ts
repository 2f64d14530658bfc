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
export type Select = { readonly [key: string]: Select | true };
// One object for one shape: a value behind a pointer is remembered with the
// selection it was read for, and country and registered_country point to the
// same country maps.
const ISO_CODE: Select = { iso_code: true };
const AS: Select = { autonomous_system_number: true, autonomous_system_organization: true };
export const SELECT: Select = {
  country: ISO_CODE,
  registered_country: ISO_CODE,
  continent: { code: true },
  subdivisions: { 0: ISO_CODE },
  city: { names: { en: true } },
  location: { latitude: true, longitude: true },
  autonomous_system_number: true,
  autonomous_system_organization: true,
  traits: AS,
};

/**
 * Country and continent only (GeoPlace), for scripts that read nothing else
 * (octoDNS's country()/continent() shape): a City record's city map (names in
 * eight languages, a map of its own for each city) and location are skipped,
 * which halves the first read of a record (bench lua-cold-micro octo).
 */
export const SELECT_PLACE: Select = { country: ISO_CODE, registered_country: ISO_CODE, continent: SELECT.continent as Select };

const MAX_DEPTH = 16;
const POINTER_BIAS = [0, 2048, 526336, 0];

/**
 * The selected parts of the record at `offset` (absolute in `buf`); `base` is
 * where the data section starts. Throws on anything malformed (the caller
 * falls back to mmdb-lib, which reports it).
 */
export function readSelected(buf: Buffer, base: number, offset: number): unknown {
  return new Walker(buf, base).read(offset);
}

/**
 * A reader of one database's records, for many calls: it keeps what it decoded
 * behind a pointer, by the pointer's target. A City file stores each key
 * string, and each country, continent, city and subdivision map, once and
 * points to it from every record that has it, so reading a record mostly
 * follows pointers to values already decoded (a first read of a GeoLite2 City
 * record: ~8 µs without this, ~1 µs with it, bench lua-cold-micro).
 */
export function selectedReader(buf: Buffer, base: number): (offset: number, select?: Select) => unknown {
  const w = new Walker(buf, base, true);
  return (offset, select) => w.read(offset, select);
}

/** Keys remembered per reader (a City file has ~100 distinct ones; inline keys could be many). */
const MAX_KEYS = 4096;
/** Values behind pointers remembered per reader (GeoLite2 City: some 100,000 shared maps). */
const MAX_SHARED = 200_000;

class Walker {
  /** Where the value read or skipped last ends (set by value, skip, header, pointer). */
  private next = 0;
  private type = 0;
  private size = 0;
  private readonly keys = new Map<number, string>();
  /** Decoded values by pointer target, with the selection they were decoded for (memo only within one reader). */
  private readonly shared: Map<number, { sel: Select | true; v: unknown }> | undefined;

  constructor(private readonly b: Buffer, private readonly base: number, memo = false) {
    this.shared = memo ? new Map() : undefined;
  }

  read(offset: number, select: Select = SELECT): unknown {
    return this.value(offset, select, 0);
  }

  /** The value at p (through one pointer), decoded as far as `sel` asks; this.next = just past it. */
  private value(p: number, sel: Select | true, depth: number): unknown {
    if (depth > MAX_DEPTH) throw new Error('nesting too deep');
    const b = this.b;
    const ctrl = b[p];
    if (ctrl === undefined) throw new Error('past the end');
    if (ctrl >> 5 === 1) {
      const target = this.pointer(p);
      const after = this.next;
      const t = b[target]! >> 5;
      if (t === 1) throw new Error('pointer to a pointer');
      // Maps and arrays are worth remembering; a scalar decodes faster than a look-up.
      const shared = sel !== true && (t === 7 || t === 0) ? this.shared : undefined;
      const memo = shared?.get(target);
      if (memo !== undefined && memo.sel === sel) return memo.v;
      const v = this.value(target, sel, depth + 1);
      this.next = after;
      if (shared) {
        if (shared.size >= MAX_SHARED) shared.clear();
        shared.set(target, { sel, v });
      }
      return v;
    }
    const at = this.header(p);
    const type = this.type, size = this.size;
    switch (type) {
      case 7: return this.map(at, size, sel, depth);
      case 11: return this.array(at, size, sel, depth);
      default:
        this.next = type === 14 ? at : at + size;
        return sel === true ? this.scalar(type, at, size) : null;
    }
  }

  /**
   * The map key at p as a string; this.next = just past it. A key behind a
   * pointer (almost all of them in MaxMind's files) is decoded once per target.
   */
  private key(p: number, depth: number): string {
    if (this.b[p]! >> 5 !== 1) return String(this.value(p, true, depth));
    const target = this.pointer(p);
    const end = this.next;
    let k = this.keys.get(target);
    if (k === undefined) {
      k = String(this.value(target, true, depth));
      if (this.keys.size >= MAX_KEYS) this.keys.clear();
      this.keys.set(target, k);
    }
    this.next = end;
    return k;
  }

  private map(p: number, size: number, sel: Select | true, depth: number): unknown {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < size; i++) {
      const key = this.key(p, depth + 1);
      const want = sel === true ? undefined : sel[key];
      if (want === undefined) {
        p = this.skip(this.next, depth + 1);
      } else {
        out[key] = this.value(this.next, want, depth + 1);
        p = this.next;
      }
    }
    this.next = p;
    return out;
  }

  private array(p: number, size: number, sel: Select | true, depth: number): unknown {
    const out: unknown[] = [];
    for (let i = 0; i < size; i++) {
      const want = sel === true ? undefined : sel[i];
      if (want === undefined) { out.push(undefined); p = this.skip(p, depth + 1); continue; }
      out.push(this.value(p, want, depth + 1));
      p = this.next;
    }
    this.next = p;
    return out;
  }

  /** Offset just past the value at p, reading nothing else. */
  private skip(p: number, depth: number): number {
    if (depth > MAX_DEPTH) throw new Error('nesting too deep');
    if (this.b[p]! >> 5 === 1) { this.pointer(p); return this.next; }
    const at = this.header(p);
    const type = this.type, size = this.size;
    if (type === 7) { let q = at; for (let i = 0; i < size * 2; i++) q = this.skip(q, depth + 1); return q; }
    if (type === 11) { let q = at; for (let i = 0; i < size; i++) q = this.skip(q, depth + 1); return q; }
    return type === 14 ? at : at + size;
  }

  /** The target of the pointer at p; this.next = just past the pointer. */
  private pointer(p: number): number {
    const b = this.b;
    const ctrl = b[p]!;
    const ss = (ctrl >> 3) & 3;
    let v = ss === 3 ? 0 : ctrl & 7;
    for (let i = 1; i <= ss + 1; i++) v = v * 256 + b[p + i]!;
    if (p + ss + 2 > b.length) throw new Error('truncated pointer');
    this.next = p + ss + 2;
    return this.base + v + POINTER_BIAS[ss]!;
  }

  /** Reads the control byte(s) at p into this.type and this.size; returns where the payload starts. */
  private header(p: number): number {
    const b = this.b;
    const ctrl = b[p++]!;
    let type = ctrl >> 5;
    if (type === 0) type = 7 + b[p++]!;
    let size = ctrl & 0x1f;
    if (size >= 29) {
      const n = size - 28;
      let ext = 0;
      for (let i = 0; i < n; i++) ext = ext * 256 + b[p + i]!;
      size = (n === 1 ? 29 : n === 2 ? 285 : 65821) + ext;
      p += n;
    }
    if (p + (type === 7 || type === 11 || type === 14 ? 0 : size) > b.length) throw new Error('value past the end');
    this.type = type;
    this.size = size;
    return p;
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
