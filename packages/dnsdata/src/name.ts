// Presentation-form domain names (RFC 1035 §5.1, RFC 4343 case rules).
//
//   <name>  ::= <label> *( "." <label> ) [ "." ]  |  "@"  |  "."
//   <label> ::= 1*63 octets; inside a label `\X` quotes the character X and
//               `\DDD` (three decimal digits, 0-255) is the octet DDD.
//   wire form: each label is <len octet><octets>, ended by the root's 0 octet,
//              at most 255 octets in all (RFC 1035 §2.3.4).
//
// parseName returns a canonical string: every label re-escaped by
// labelsToName, so two spellings of one name (`\065` and `A`) become equal
// strings apart from case, and lowerName is then enough for look-ups.

const MAX_LABEL = 63;
const MAX_WIRE = 255;

// A fast path for the common case: letters, digits, '-', '_', '*' only.
// The pattern cannot backtrack: each '.' ends exactly one label.
const PLAIN = /^[A-Za-z0-9_*-]+(?:\.[A-Za-z0-9_*-]+)*\.?$/;

/** Characters quoted with a backslash in presentation form. */
const SPECIAL = new Set([0x2e, 0x5c, 0x22, 0x3b, 0x28, 0x29, 0x40, 0x24]); // . \ " ; ( ) @ $

/**
 * Parses a presentation name, making it absolute against `origin`
 * (itself absolute, e.g. "example.com." or "."). '@' is the origin.
 */
export function parseName(text: string, origin: string): string {
  if (text === '@') return checkAbsolute(origin);
  if (text === '.') return '.';
  if (text.length === 0) throw new Error('empty domain name');
  let name: string;
  let absolute: boolean;
  if (PLAIN.test(text)) {
    checkPlainLabels(text);
    name = text;
    absolute = text.endsWith('.');
  } else {
    const parsed = textToLabels(text);
    absolute = parsed.absolute;
    name = labelsToName(parsed.labels);
    if (!absolute) name = name.slice(0, -1);
  }
  if (!absolute) {
    const o = checkAbsolute(origin);
    name = o === '.' ? `${name}.` : `${name}.${o}`;
  }
  return checkWire(name, text);
}

/** Outcome form of parseName, for validating input without exceptions. */
export function checkName(text: string, origin: string): { ok: true; name: string } | { ok: false; error: string } {
  try {
    return { ok: true, name: parseName(text, origin) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** True if the last character is a dot not quoted by a backslash. */
export function endsWithUnescapedDot(s: string): boolean {
  if (!s.endsWith('.')) return false;
  let n = 0;
  for (let i = s.length - 2; i >= 0 && s.charCodeAt(i) === 0x5c; i--) n++;
  return n % 2 === 0;
}

function checkAbsolute(origin: string): string {
  if (!endsWithUnescapedDot(origin)) {
    throw new Error(`origin "${origin}" is not an absolute name (needs a trailing dot)`);
  }
  return origin;
}

function checkPlainLabels(text: string): void {
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text.charCodeAt(i) === 0x2e) {
      if (i - start > MAX_LABEL) {
        throw new Error(`label "${text.slice(start, i)}" is ${i - start} octets, over the ${MAX_LABEL} limit`);
      }
      start = i + 1;
    }
  }
}

function checkWire(name: string, text: string): string {
  const len = wireLength(name);
  if (len > MAX_WIRE) throw new Error(`name "${text}" is ${len} octets in wire form, over the ${MAX_WIRE} limit`);
  return name;
}

/** Splits presentation text into unescaped labels; `absolute` if it ended with an unescaped dot. */
function textToLabels(text: string): { labels: Buffer[]; absolute: boolean } {
  const labels: Buffer[] = [];
  let cur: number[] = [];
  let absolute = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (cur.length === 0) throw new Error(`empty label in name "${text}"`);
      labels.push(finishLabel(cur, text));
      cur = [];
      if (i === text.length - 1) absolute = true;
    } else if (c === 0x5c) {
      i = readEscape(text, i, cur);
    } else if (c < 0x80) {
      cur.push(c);
    } else {
      // Non-ASCII: the label holds its UTF-8 octets (shown later as \DDD).
      const cp = text.codePointAt(i)!;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) cur.push(b);
      if (cp > 0xffff) i++;
    }
  }
  if (!absolute) {
    if (cur.length === 0) throw new Error(`empty label in name "${text}"`);
    labels.push(finishLabel(cur, text));
  }
  return { labels, absolute };
}

function finishLabel(octets: number[], text: string): Buffer {
  if (octets.length > MAX_LABEL) {
    throw new Error(`a label of "${text}" is ${octets.length} octets, over the ${MAX_LABEL} limit`);
  }
  return Buffer.from(octets);
}

/**
 * Reads the escape starting at text[i] (a backslash), appends its octets to
 * `out`, and returns the index of the escape's last character.
 */
export function readEscape(text: string, i: number, out: number[]): number {
  if (i + 1 >= text.length) throw new Error(`dangling backslash at the end of "${text}"`);
  const c = text.charCodeAt(i + 1);
  if (c >= 0x30 && c <= 0x39) {
    const d = text.slice(i + 1, i + 4);
    if (!/^[0-9]{3}$/.test(d)) throw new Error(`bad escape "\\${d}" in "${text}": \\DDD needs three digits`);
    const v = Number(d);
    if (v > 255) throw new Error(`bad escape "\\${d}" in "${text}": value over 255`);
    out.push(v);
    return i + 3;
  }
  if (c < 0x80) {
    out.push(c);
    return i + 1;
  }
  const cp = text.codePointAt(i + 1)!;
  for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(b);
  return i + (cp > 0xffff ? 2 : 1);
}

/** ASCII-only lower-casing (RFC 4343 §3: other octets compare as they are). */
export function lowerName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return name.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  }
  return name;
}

/** The unescaped octets of each label, root last-excluded: "a.b." → [a, b]; "." → []. */
export function nameToLabels(name: string): Buffer[] {
  if (name === '.' || name === '') return [];
  const { labels } = textToLabels(name);
  return labels;
}

/** Presentation form of labels, absolute (trailing dot). [] → ".". */
export function labelsToName(labels: Buffer[]): string {
  if (labels.length === 0) return '.';
  let out = '';
  for (const label of labels) {
    for (const b of label) {
      if (b > 0x20 && b < 0x7f) {
        out += SPECIAL.has(b) ? `\\${String.fromCharCode(b)}` : String.fromCharCode(b);
      } else {
        out += `\\${b.toString().padStart(3, '0')}`;
      }
    }
    out += '.';
  }
  return out;
}

/** Octets of the name in uncompressed wire form, root octet included. */
export function wireLength(name: string): number {
  if (name === '.') return 1;
  if (name.indexOf('\\') < 0) {
    // n labels + n length octets + root; a relative name counts its last label too.
    return name.endsWith('.') ? name.length + 1 : name.length + 2;
  }
  const labels = nameToLabels(name);
  let n = 1;
  for (const l of labels) n += l.length + 1;
  return n;
}

/** True if `name` equals `parent` or lies below it, ignoring ASCII case. */
export function isSubdomain(name: string, parent: string): boolean {
  if (parent === '.') return true;
  const n = lowerName(name);
  const p = lowerName(parent);
  if (n.indexOf('\\') < 0 && p.indexOf('\\') < 0) {
    return n === p || (n.endsWith(p) && n.charCodeAt(n.length - p.length - 1) === 0x2e);
  }
  const nl = nameToLabels(n);
  const pl = nameToLabels(p);
  if (pl.length > nl.length) return false;
  const off = nl.length - pl.length;
  return pl.every((l, i) => l.equals(nl[off + i]));
}

/**
 * `name` relative to `origin` for display: "www" for www.example.com. under
 * example.com., "@" for the origin itself, the absolute name if outside it.
 */
export function relativize(name: string, origin: string): string {
  if (!isSubdomain(name, origin)) return name;
  const nl = nameToLabels(name);
  const keep = nl.length - nameToLabels(origin).length;
  if (keep === 0) return '@';
  return labelsToName(nl.slice(0, keep)).slice(0, -1);
}
