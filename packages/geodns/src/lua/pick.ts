// The pick* selection rules of PowerDNS lua-record.cc, as pure functions.
// Hash inputs follow PowerDNS: ComboAddress::addressOnlyHash = burtle over the
// raw address bytes (4 or 16), DNSName::hash = burtleCI over the wire name.
import { burtle, dnsNameHash } from './burtle.js';
import { parseAddress } from '../geo/ip.js';

export type Weighted = Array<[number, string]>;
export type Rand = (n: number) => number; // uniform integer in [0, n)

export const mathRandom: Rand = (n) => Math.floor(Math.random() * n);

export function addressHash(addr: string): number {
  const b = parseAddress(addr);
  return b ? burtle(b) : 0;
}

function nonEmpty<T>(items: T[]): void {
  if (items.length === 0) throw new Error('The items list cannot be empty');
}

export function pickRandom(items: string[], rand: Rand): string {
  nonEmpty(items);
  return items[rand(items.length)]!;
}

export function pickHashed(bestwho: string, items: string[]): string {
  nonEmpty(items);
  return items[addressHash(bestwho) % items.length]!;
}

/** Cumulative weights, then the first entry whose running sum exceeds r (upper_bound). */
function pickByPoint(items: Weighted, point: (sum: number) => number): string {
  nonEmpty(items);
  let sum = 0;
  const cum: number[] = [];
  for (const [w] of items) { sum += Math.max(0, Math.trunc(w)); cum.push(sum); }
  if (sum === 0) throw new Error('The sum of items cannot be zero');
  const r = point(sum);
  for (let i = 0; i < cum.length; i++) if (r < cum[i]!) return items[i]![1];
  return items[items.length - 1]![1];
}

export function pickWeightedRandom(items: Weighted, rand: Rand): string {
  return pickByPoint(items, (sum) => rand(sum));
}

export function pickWeightedHashed(bestwho: string, items: Weighted): string {
  return pickByPoint(powerdnsOrder(items), (sum) => addressHash(bestwho) % sum);
}

/**
 * pickWeightedHashed for one fixed list (fast-path.ts): PowerDNS's order and
 * the cumulative weights computed once; undefined where pickWeightedHashed
 * would throw (an empty list, weights summing to 0).
 */
export function weightedHashedPicker(items: Weighted): ((bestwho: string) => string) | undefined {
  const ordered = powerdnsOrder(items);
  let sum = 0;
  const cum: number[] = [];
  for (const [w] of ordered) { sum += Math.max(0, Math.trunc(w)); cum.push(sum); }
  if (ordered.length === 0 || sum === 0) return undefined;
  return (bestwho) => {
    const r = addressHash(bestwho) % sum;
    for (let i = 0; i < cum.length; i++) if (r < cum[i]!) return ordered[i]![1];
    return ordered[ordered.length - 1]![1];
  };
}

export function pickWeightedNameHashed(qname: string, items: Weighted): string {
  return pickByPoint(powerdnsOrder(items), (sum) => dnsNameHash(qname) % sum);
}

// libstdc++ bucket counts (__prime_list) a growing unordered_map passes through
const BUCKETS = [13, 29, 59, 127, 257, 541, 1109, 2357, 5087, 10273];

/**
 * PowerDNS reads a weighted Lua list into std::unordered_map<int, …> keyed by
 * the list index and iterates that map to build the cumulative weights. With
 * libstdc++ the iteration order is not the list order: each insert into an
 * empty bucket goes to the front, and each rehash (first at 13 buckets, then
 * 29, 59, …) reverses the list. Reproducing that order makes pickwhashed and
 * picknamehashed give every client the same answer PowerDNS gives (checked
 * against pdns_server 4.7 for 3, 4 and 20 entries).
 */
export function powerdnsOrder<T>(items: T[]): T[] {
  const out: T[] = [];
  let b = 0;
  for (let k = 1; k <= items.length; k++) {
    while (b + 1 < BUCKETS.length && k > BUCKETS[b]!) {
      b++;
      out.reverse();
    }
    out.unshift(items[k - 1]!);
  }
  return out;
}

const chashCache = new Map<string, Uint32Array>();

/** The `weight` sorted hashes of "entry-0", "entry-1", … (PowerDNS EntryHashesHolder). */
function entryHashes(entry: string, weight: number): Uint32Array {
  const key = `${weight}\u0000${entry}`;
  let h = chashCache.get(key);
  if (!h) {
    h = new Uint32Array(weight);
    for (let i = 0; i < weight; i++) h[i] = burtle(Buffer.from(`${entry}-${i}`, 'latin1'));
    h.sort();
    if (chashCache.size > 10_000) chashCache.clear();
    chashCache.set(key, h);
  }
  return h;
}

/**
 * Consistent hashing: each entry owns `weight` points on the 32-bit ring; the
 * client's address hash goes to the nearest point at or above it, wrapping to
 * the smallest point. Adding or removing an entry only moves the clients of
 * the points involved.
 */
export function pickConsistentHashed(bestwho: string, items: Weighted): string {
  nonEmpty(items);
  const q = addressHash(bestwho);
  let sel = Infinity, min = Infinity;
  let ret: string | undefined, first: string | undefined;
  for (const [w, entry] of items) {
    const h = entryHashes(entry, Math.max(0, Math.min(100_000, Math.trunc(w))));
    if (h.length === 0) continue;
    if (h[0]! < min) { min = h[0]!; first = entry; }
    let lo = 0, hi = h.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (h[mid]! < q) lo = mid + 1; else hi = mid; }
    if (lo < h.length && h[lo]! < sel) { sel = h[lo]!; ret = entry; }
  }
  return ret ?? first ?? '';
}

/** n distinct random entries (all of them, shuffled, when n ≥ the list length). */
export function pickRandomSample(n: number, items: string[], rand: Rand): string[] {
  nonEmpty(items);
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rand(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, Math.max(0, Math.min(Math.trunc(n), a.length)));
}
