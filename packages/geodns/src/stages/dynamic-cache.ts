// Cache of LUA answers, keyed by what the evaluation actually read (issue: do
// better than PowerDNS, which re-runs Lua on every query):
//   - nothing about the client   → one answer for everyone, ECS scope 0
//   - only GeoIP data            → one answer per GeoIP data record (GeoSpot.record:
//                                  every field the script could read is the same
//                                  for every address that reaches that record),
//                                  scope = the prefix of the client's own network
//                                  (from the tree walk of this query)
//   - the client address itself  → one answer per address, scope = source prefix
// Answers that read randomness, the transport address or per-query flags are
// never stored. A stored answer is always one a fresh evaluation could produce
// now; it dies with what it read:
//   - its zone (the record's text, include()s: zone-epochs.ts, per zone);
//   - the health checks' state, if it read one (a flap elsewhere leaves
//     answers that read no check alone);
//   - the GeoIP databases, if it read them (a swap).
//
// Memory is bounded whatever the clients do: at most MAX_PER_NAME entries per
// map of one name (MAX_RECORDS_PER_NAME GeoIP records), and `maxEntries` over all names, kept in two generations
// (a name's answers move to the young one when asked; the old one is dropped
// whole when the young one fills). A random-subnet flood on a wildcard LUA
// record then costs evictions, never growth.
// Why per record and not per network: under a random-subnet flood most /24s
// are new networks (200,000 random public /24s fall in ~113,000 GeoLite2 City
// networks) but few new records (~42,000): a tree walk finds the record, and
// the stored answer serves, without reading GeoIP data or evaluating.
import type { AnswerDeps } from './lua.js';
import type { ZoneEpochs } from './zone-epochs.js';
import type { GeoLookup } from '../geo/types.js';

export interface DynamicAnswer<T> {
  value: T;
  /** ECS scope prefix to send; undefined = the query's own source prefix. */
  scope: number | undefined;
}

/** What a stored answer read besides its zone: the epochs it is checked against. */
export interface Epochs {
  health(): number;
  geo(): number;
}

interface Slot<T> {
  zoneSlot: number;
  zoneGen: number;
  /** -1: read no health check. */
  health: number;
  /** -1: read no GeoIP data. */
  geo: number;
  everyone?: DynamicAnswer<T>;
  /** Answers that read GeoIP data only, by the data record read; the scope is per client. */
  byRecord: Map<number | string, T>;
  byAddress: Map<string, DynamicAnswer<T>>;
  /** One stored value per distinct answer (deps.sig): see `set`. */
  shared: Map<string, T>;
  /** Answers stored in byAddress, its hits (weighted), and this query's turn (see addressTurn). */
  copies: number;
  addressHits: number;
  turn: number;
}

const MAX_PER_NAME = 20_000;
/**
 * Records of one name: bounded by the GeoIP databases themselves (GeoLite2
 * City has some 150,000 records; 200,000 random /24s reach ~42,000 of them).
 */
const MAX_RECORDS_PER_NAME = 100_000;

export class DynamicCache<T> {
  private young = new Map<string, Slot<T>>();
  private old = new Map<string, Slot<T>>();
  /** Entries in the young generation (map entries of its slots). */
  private count = 0;
  /** xorshift32 state of addressTurn's draws. */
  private rng = 0x9e3779b9 | 0;

  /** `maxEntries` bounds the entries over all names (two generations of half each). */
  constructor(
    private readonly zones: ZoneEpochs,
    private readonly epochs: Epochs,
    private readonly maxEntries = 1_000_000,
  ) {}

  /** `geo.locate` is called only when an entry per GeoIP record might exist (a tree walk). */
  get(key: string, address: string, geo: Pick<GeoLookup, 'locate'>): DynamicAnswer<T> | undefined {
    const s = this.slot(key);
    if (!s) return undefined;
    if (s.everyone) return s.everyone;
    const w = this.addressTurn(s);
    if (w > 0) {
      const own = s.byAddress.get(address);
      if (own) { s.addressHits += w; return own; }
    }
    if (s.byRecord.size > 0) {
      const spot = geo.locate(address);
      const value = spot === undefined ? undefined : s.byRecord.get(spot.record);
      if (value !== undefined) {
        const a = { value, scope: spot!.prefix };
        if (w > 0) this.putAddress(s, address, a);
        return a;
      }
    }
    return undefined;
  }

  /**
   * Whether this query uses the name's per-address map (0: no; else the weight
   * of a hit). The map lets a resolver's next query from the same subnet skip
   * the tree walk, or the evaluation of a script that read the address
   * (pickwhashed): bench lua-cold-micro, 20,000 /24s cycled: 3.0 µs a query
   * against 3.6. Under a flood of new subnets nothing in it is ever asked for
   * again, and each query pays a miss (a hash of a new string and cache misses
   * in a large table: ~8% of a cold octo query, profiled) and an insert. So the
   * map is used while its entries are: while hits are at least a quarter of
   * the entries stored; otherwise by one query in 16 only (probe and store), a
   * hit then counting 16, so returning clients still show up and turn it back
   * on within about two rounds of them.
   */
  private addressTurn(s: Slot<T>): number {
    if (s.copies >= 1 << 16) { s.copies >>= 1; s.addressHits >>= 1; }
    if (s.copies < 256 || s.addressHits * 4 >= s.copies) return (s.turn = 1);
    // A random draw, not every 16th query: clients that come back in a fixed cycle
    // would otherwise be probed in step with (or always out of step with) their stores.
    let x = this.rng;
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    this.rng = x;
    return (s.turn = (x & 15) === 0 ? 16 : 0);
  }

  /**
   * Stores the answer of one evaluation that read the zone in `zoneSlot`
   * (zone-epochs.ts). `id` says which answers of this name are the same
   * (deps.sig): entries of equal id and scope share one value, and `make` (the
   * compile) runs only for an answer not stored yet. A pickclosest over five
   * PoPs has five answers however many networks ask: five compiles, and five
   * encoded answers that stay in the CPU cache (bench dns-lua, 20,000 subnets:
   * about 10% more QPS; cold, every query from a new network: no compile).
   */
  set(key: string, address: string, deps: AnswerDeps, id: string, make: () => T, zoneSlot: number): DynamicAnswer<T> | undefined {
    if (!deps.cacheable) return undefined;
    let s = this.slot(key);
    const health = deps.health ? this.epochs.health() : -1;
    const geo = deps.geo || deps.address ? this.epochs.geo() : -1;
    if (!s || s.zoneSlot !== zoneSlot) {
      s = { zoneSlot, zoneGen: this.zones.gen[zoneSlot]!, health, geo, byRecord: new Map(), byAddress: new Map(), shared: new Map(), copies: 0, addressHits: 0, turn: 1 };
      this.young.set(key, s);
      this.count++;
      this.rotate();
    }
    // One name's answers read the same things in the same way, or the slot starts over.
    if (s.health !== health || s.geo !== geo) {
      this.count -= size(s);
      Object.assign(s, { health, geo, everyone: undefined, byRecord: new Map(), byAddress: new Map(), shared: new Map() });
    }
    if (deps.address) {
      // Stored by address while that map pays (addressTurn): a flood of new subnets
      // on a pickwhashed would otherwise insert one entry per query.
      const a: DynamicAnswer<T> = { value: this.share(s, id, make), scope: undefined };
      return s.turn > 0 ? this.putAddress(s, address, a) : a; // the turn get took for this query
    }
    if (deps.geo) return { value: this.put(s.byRecord, deps.geo.record, this.share(s, id, make), MAX_RECORDS_PER_NAME), scope: deps.geo.prefix };
    s.everyone = { value: make(), scope: 0 };
    return s.everyone;
  }

  /** Entries held, both generations (for tests). */
  get size(): number {
    let n = 0;
    for (const s of this.old.values()) n += size(s);
    return this.count + n;
  }

  /** The name's slot if it is still valid (young, or moved there from the old generation). */
  private slot(key: string): Slot<T> | undefined {
    let s = this.young.get(key);
    if (!s) {
      s = this.old.get(key);
      if (!s) return undefined;
      this.old.delete(key);
      if (!this.valid(s)) return undefined;
      this.young.set(key, s);
      this.count += size(s);
      this.rotate();
      return s;
    }
    if (this.valid(s)) return s;
    this.young.delete(key);
    this.count -= size(s);
    return undefined;
  }

  private valid(s: Slot<T>): boolean {
    return this.zones.gen[s.zoneSlot] === s.zoneGen
      && (s.health < 0 || s.health === this.epochs.health())
      && (s.geo < 0 || s.geo === this.epochs.geo());
  }

  private putAddress(s: Slot<T>, address: string, a: DynamicAnswer<T>): DynamicAnswer<T> {
    s.copies++;
    return this.put(s.byAddress, address, a);
  }

  private put<K, V>(map: Map<K, V>, k: K, a: V, cap = MAX_PER_NAME): V {
    if (map.size >= cap) { this.count -= map.size; map.clear(); }
    const n = map.size;
    map.set(k, a);
    if (map.size !== n) { this.count++; this.rotate(); }
    return a;
  }

  /** The stored value of the answer `id`, made (compiled) only the first time. */
  private share(s: Slot<T>, id: string, make: () => T): T {
    const have = s.shared.get(id);
    if (have !== undefined) return have;
    return this.put(s.shared, id, make());
  }

  /** The young generation full: it becomes the old one, the old one is dropped. */
  private rotate(): void {
    if (this.count < this.maxEntries / 2) return;
    this.old = this.young;
    this.young = new Map();
    this.count = 0;
  }
}

function size<T>(s: Slot<T>): number {
  return 1 + s.byRecord.size + s.byAddress.size + s.shared.size;
}
