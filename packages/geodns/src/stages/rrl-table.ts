// The response rate limiter's accounts: a fixed-size table of typed arrays,
// allocated once (Knot's shape: memory does not grow with the number of
// clients, whatever a flood of spoofed sources does).
//
// One account per key (source prefix, response kind, name), found by a 64-bit
// hash of the key (two Int32s; the caller hashes with a per-process random
// seed, so nobody can aim collisions). An account is BIND's (rrl.c): a balance
// credited `rate` per second, capped at `rate` (the burst is one second's
// worth), debited once per response; a response is sent while the balance
// stays ≥ 0 after the debit. The debt is floored at -window × rate, so a
// flood must stop for up to `window` seconds before answers resume, and an
// account idle for longer than `window` starts afresh. Of the responses not
// sent, the first and then every `slip`-th one are "slipped" (sent truncated
// so a real client retries over TCP); the rest are dropped.
//
// Placement: linear probing over PROBE slots from the hash. A key not found
// takes an empty slot, else the one least recently used among them. A flood
// of more distinct keys than the table holds evicts accounts, which then
// restart with one second's burst: the cost of bounded memory, as in Knot
// (whose colliding keys share a bucket instead).

export const RRL_OK = 0, RRL_DROP = 1, RRL_SLIP = 2;

const PROBE = 8;

export class RrlTable {
  private readonly k1: Int32Array;
  private readonly k2: Int32Array;
  private readonly balance: Int32Array;
  /** Second of the last debit + 1 (0 = free slot). */
  private readonly stamp: Int32Array;
  private readonly slips: Int32Array;
  private readonly limited: Uint8Array;
  private readonly mask: number;
  /** Set by debit(): this debit turned a sending account into a limited one (log "started"). */
  started = false;
  /** Accounts pushed out by new keys since the start. */
  evictions = 0;

  /** @param size accounts, rounded up to a power of two; @param window seconds */
  constructor(size: number, private readonly window: number) {
    let n = 1024;
    while (n < size) n *= 2;
    this.mask = n - 1;
    this.k1 = new Int32Array(n);
    this.k2 = new Int32Array(n);
    this.balance = new Int32Array(n);
    this.stamp = new Int32Array(n);
    this.slips = new Int32Array(n);
    this.limited = new Uint8Array(n);
  }

  get size(): number {
    return this.mask + 1;
  }

  /**
   * Debits one response from the account of key (h1, h2) at second `now`
   * (≥ 0, monotonic) with `rate` responses per second (> 0): RRL_OK to send
   * it, RRL_DROP or RRL_SLIP (every `slip`-th refusal; 0 = never) otherwise.
   */
  debit(h1: number, h2: number, rate: number, slip: number, now: number): number {
    const t = now + 1;
    const i = this.find(h1, h2, rate, t);
    let b = this.balance[i]!;
    const age = t - this.stamp[i]!;
    if (age > 0) {
      if (age > this.window) { b = rate; this.slips[i] = 0; }
      else {
        b += rate * age;
        if (b > rate) { b = rate; this.slips[i] = 0; }
      }
      this.stamp[i] = t;
    }
    b--;
    this.started = false;
    if (b >= 0) {
      this.balance[i] = b;
      this.limited[i] = 0;
      return RRL_OK;
    }
    const floor = Math.max(-this.window * rate, -0x7fffffff); // stays an Int32
    this.balance[i] = b < floor ? floor : b;
    if (this.limited[i] === 0) { this.limited[i] = 1; this.started = true; }
    if (slip === 0) return RRL_DROP;
    const s = this.slips[i]!;
    this.slips[i] = s + 1 >= slip ? 0 : s + 1;
    return s === 0 ? RRL_SLIP : RRL_DROP;
  }

  /** The slot of (h1, h2), claimed (fresh account, full balance) if it had none. */
  private find(h1: number, h2: number, rate: number, t: number): number {
    const m = this.mask;
    let victim = -1, oldest = 0x7fffffff;
    for (let p = 0, i = h1 & m; p < PROBE; p++, i = (i + 1) & m) {
      const st = this.stamp[i]!;
      if (st === 0) { if (oldest > 0) { victim = i; oldest = 0; } continue; }
      if (this.k1[i] === h1 && this.k2[i] === h2) return i;
      if (st < oldest) { victim = i; oldest = st; }
    }
    if (oldest > 0 && t - oldest <= this.window) this.evictions++;
    this.k1[victim] = h1;
    this.k2[victim] = h2;
    this.balance[victim] = rate;
    this.stamp[victim] = t;
    this.slips[victim] = 0;
    this.limited[victim] = 0;
    return victim;
  }
}
