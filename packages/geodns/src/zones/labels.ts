// Label stepping on presentation names, for the lookup hot path.
//
// Names here are canonical presentation strings (dnsdata parseName output):
// labels end with an unescaped '.', and inside a label a backslash starts
// either `\X` (X a special character, '.' included) or `\DDD` (digits).
// So a '.' preceded by a backslash is data, and skipping the character after
// every backslash is enough to find the real label boundaries. Walking up a
// name is then `name.slice(pos)` with `pos` just after a boundary: no arrays.

/**
 * Index just after the label that starts at `pos` (after its ending dot).
 * For the last label of an absolute name this is `name.length`.
 */
export function nextLabel(name: string, pos: number): number {
  for (let i = pos; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) i++; // `\X`: X is data even if it is a dot
    else if (c === 0x2e) return i + 1;
  }
  return name.length;
}

/**
 * True if lower-case `name` is `origin` or lies below it (both lower-case,
 * absolute). The suffix must start at a real label boundary: "a\.example.com."
 * is not under "example.com." because its dot is escaped.
 */
export function isUnder(name: string, origin: string): boolean {
  if (origin === '.') return true;
  if (name.length === origin.length) return name === origin;
  if (name.length < origin.length + 2 || !name.endsWith(origin)) return false;
  const dot = name.length - origin.length - 1;
  return name.charCodeAt(dot) === 0x2e && !escapedAt(name, dot);
}

/** Whether the character at `i` is quoted by an odd run of backslashes before it. */
function escapedAt(name: string, i: number): boolean {
  let n = 0;
  for (let j = i - 1; j >= 0 && name.charCodeAt(j) === 0x5c; j--) n++;
  return n % 2 === 1;
}

/**
 * The names strictly between `name` and `origin` (exclusive both), nearest
 * first: ancestors("a.b.c.example.", "example.") → ["b.c.example.", "c.example."].
 * Used at build time only (it allocates).
 */
export function ancestorsBelow(name: string, origin: string): string[] {
  const out: string[] = [];
  const stop = origin === '.' ? name.length - 1 : name.length - origin.length;
  for (let pos = nextLabel(name, 0); pos < stop; pos = nextLabel(name, pos)) out.push(name.slice(pos));
  return out;
}

/** The parent of an absolute name ("." has none). */
export function parentName(name: string): string | undefined {
  if (name === '.') return undefined;
  const pos = nextLabel(name, 0);
  return pos >= name.length ? '.' : name.slice(pos);
}

