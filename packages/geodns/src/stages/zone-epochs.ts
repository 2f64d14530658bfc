// Per-zone invalidation of the answer caches (CoreDNS's file plugin reloads one
// zone; PowerDNS purges `zone$`). Each cached answer is stamped with the slot of
// the zone it was read from and that slot's generation; a snapshot swap bumps
// the generation of every zone whose object changed (sources keep an unchanged
// zone's object, so identity says "changed"), and the stamp no longer matches.
// A change in zone A then leaves zone B's answers cached.
//
// Besides its own zone, an answer can depend on others: a CNAME chased into
// another zone, additional addresses from another zone, a LUA include(), a
// lookup that found no zone (REFUSED, or a target outside our zones, which a
// newly added zone would change). Those answers are stamped with slot 0, which
// every change bumps. Adding or removing zone X also bumps the zone enclosing
// X: the names under X were that zone's until now (or are again).
import type { ZoneSet } from '../zones/types.js';

/** Slot of answers that read more than one zone, or found no zone. */
export const ANY_ZONE = 0;

export class ZoneEpochs {
  private slots = new Map<string, number>();
  /** Generation per slot; cached answers compare their stamp with it. */
  gen = new Int32Array(64);
  private seen: ZoneSet | undefined;
  private flushes = 0;

  /** Slot of a zone (by origin), allocated on first use. */
  slot(origin: string): number {
    let s = this.slots.get(origin);
    if (s === undefined) {
      s = this.slots.size + 1;
      if (s >= this.gen.length) {
        const g = new Int32Array(this.gen.length * 2);
        g.set(this.gen);
        this.gen = g;
      }
      this.slots.set(origin, s);
    }
    return s;
  }

  /**
   * Bumps the generations the move from the previous snapshot to `zs` makes stale.
   * Returns the number of zones that changed (0 when `zs` is the one seen last).
   */
  update(zs: ZoneSet): number {
    const prev = this.seen;
    if (prev === zs) return 0;
    this.seen = zs;
    if (prev === undefined) return zs.zones.size;
    let changed = 0;
    for (const [origin, z] of zs.zones) {
      const before = prev.zones.get(origin);
      if (before === z) continue;
      changed++;
      this.bump(origin);
      if (before === undefined) this.bumpEnclosing(zs, prev, origin);
    }
    for (const origin of prev.zones.keys()) {
      if (zs.zones.has(origin)) continue;
      changed++;
      this.bump(origin);
      this.bumpEnclosing(zs, prev, origin);
    }
    if (changed > 0) this.gen[ANY_ZONE]!++;
    // Origins of zones long gone keep their slot; start over (everything stale)
    // before the table outgrows the zones served by much.
    if (this.slots.size > 2 * zs.zones.size + 1024) this.reset();
    return changed;
  }

  /** Every cached answer goes stale (a new DNSSEC signature window began). */
  bumpAll(): void {
    for (let i = 0; i < this.gen.length; i++) this.gen[i] = (this.gen[i]! + 1) | 0;
  }

  /** Full flushes so far (slot table rebuilt). */
  get resets(): number {
    return this.flushes;
  }

  private bump(origin: string): void {
    const s = this.slots.get(origin);
    if (s !== undefined) this.gen[s]!++;
  }

  /** The zone above `origin` (in either snapshot) served the names below it, or will again. */
  private bumpEnclosing(zs: ZoneSet, prev: ZoneSet, origin: string): void {
    const dot = origin.indexOf('.');
    if (dot < 0 || dot === origin.length - 1) return;
    const parent = origin.slice(dot + 1);
    const a = zs.findZone(parent), b = prev.findZone(parent);
    if (a) this.bump(a.origin);
    if (b && b !== a) this.bump(b.origin);
  }

  private reset(): void {
    this.flushes++;
    const next = (this.gen[ANY_ZONE]! + 1) | 0;
    this.slots = new Map();
    // New slots start at a generation no stamp of an old slot can hold: every
    // generation is raised past every value in use.
    let max = 0;
    for (const g of this.gen) if (g > max) max = g;
    this.gen.fill(max + 1);
    this.gen[ANY_ZONE] = Math.max(next, max + 1);
  }
}
