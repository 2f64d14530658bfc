// The zone's NSEC chain (RFC 4034 §4, RFC 4035 §2.3), held in memory: every
// authoritative name with data (the apex, delegation points, no empty
// non-terminals, nothing below a cut) in canonical order (RFC 4034 §6.1).
// It gives the covering NSEC of a name that does not exist: (the greatest
// name before it, the next one), wrapping to the apex at the end. Random
// names fall into the few gaps between existing names, so their NSEC
// signatures come from the signature cache, as PowerDNS's do.
//
// Built when a signed zone loads (secure-zone.ts withSigning; else on the
// first denial) and kept with the zone object (a reload brings a new object
// and a new chain): O(n log n) once, a binary search per answer.
import { lowerName, nameToLabels } from '@geoedge/dnsdata';
import type { ZoneData } from '../zones/zone.js';

export interface NsecChain {
  /** Lower-case names in canonical order. */
  readonly names: readonly string[];
  readonly keys: readonly Buffer[];
  /** NSEC records made so far, by owner: the same objects each time, so their RRSIGs are found beside them. */
  readonly made: Map<string, unknown>;
}

const chains = new WeakMap<ZoneData, NsecChain>();

/**
 * A sort key whose byte order is the canonical name order: the labels from
 * the root down, lower-case, each followed by a 0 octet (so a label sorts
 * before any longer label it prefixes). A label holding a 0 octet sorts a
 * little off; such names do not occur in practice.
 */
export function canonicalKey(name: string): Buffer {
  const labels = nameToLabels(lowerName(name));
  let n = 0;
  for (const l of labels) n += l.length + 1;
  const out = Buffer.allocUnsafe(n);
  let p = 0;
  for (let i = labels.length - 1; i >= 0; i--) {
    labels[i]!.copy(out, p);
    p += labels[i]!.length;
    out[p++] = 0;
  }
  return out;
}

export function chainOf(zone: ZoneData): NsecChain {
  let c = chains.get(zone);
  if (c !== undefined) return c;
  const entries: { key: Buffer; name: string }[] = [{ key: canonicalKey(zone.origin), name: zone.origin }];
  for (const [name, node] of zone.nodes) {
    if (name === zone.origin || node.rrsets.length === 0) continue;
    if (node.cut !== undefined && node.cut !== node) continue; // occluded: glue only
    entries.push({ key: canonicalKey(name), name });
  }
  entries.sort((a, b) => Buffer.compare(a.key, b.key));
  c = { names: entries.map((e) => e.name), keys: entries.map((e) => e.key), made: new Map() };
  chains.set(zone, c);
  return c;
}

/** Index of the greatest chain name ≤ name (the apex is first, so ≥ 0 for names in the zone). */
function floor(c: NsecChain, key: Buffer): number {
  let lo = 0, hi = c.keys.length - 1, best = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (Buffer.compare(c.keys[mid]!, key) <= 0) { best = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return best;
}

/** The chain's NSEC at or covering `name`: its owner and next name. */
export function nsecAt(zone: ZoneData, name: string): { owner: string; next: string } {
  const c = chainOf(zone);
  const i = floor(c, canonicalKey(name));
  return { owner: c.names[i]!, next: c.names[(i + 1) % c.names.length]! };
}
