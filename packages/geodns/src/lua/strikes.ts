// Records (and zones) that ran into the time limit. Each hit costs a VM
// (killed, and a spare booted in the background: 50-150 ms of a core) and up
// to the deadline on the query thread, so a record queried 100 times a second
// must not get a VM each time:
// - a record is refused (SERVFAIL without running) after its second hit in a
//   row for 1 s, then 2, 4… up to 60 s; one clean evaluation forgets it.
// - a record that has answered before (known good) and hits the limit for the
//   first time is more likely to have met a scheduling hiccup (a loaded
//   machine, the wall clock) than to have turned hostile: it is run again at
//   once on the next VM, and that first hit does not count against its zone.
// - a zone whose records hit the limit twice within a minute has all its LUA
//   records refused the same way (1 s, 2 s… 60 s), until a minute passes
//   without a hit: many distinct hostile records in one zone would otherwise
//   kill VMs faster than spares boot, and every zone would get SERVFAIL.
const FIRST_MS = 1000;
const MAX_MS = 60_000;
const ZONE_WINDOW_MS = 60_000;
/** Bound on the records and zones remembered (a flood of distinct hostile records). */
const MAX_ENTRIES = 10_000;

interface Strike {
  hits: number;
  until: number;
  last: number;
}

export class Strikes {
  private readonly byCode = new Map<string, Strike>();
  private readonly byZone = new Map<string, Strike>();
  private readonly good = new Set<string>();

  /** Why this record must not run now, or undefined. */
  refuse(code: string, zone: string): string | undefined {
    if (this.byCode.size === 0 && this.byZone.size === 0) return undefined;
    const now = Date.now();
    const r = this.byCode.get(code);
    if (r && r.until > now) return `time limit hit ${r.hits} times in a row; not run for another ${Math.ceil((r.until - now) / 1000)} s`;
    const z = this.byZone.get(zone);
    if (z && z.until > now) return `records of zone ${zone} hit the time limit ${z.hits} times; its LUA records are not run for another ${Math.ceil((z.until - now) / 1000)} s`;
    return undefined;
  }

  /** Counts a time-limit hit; true when the evaluation deserves one more try at once. */
  hit(code: string, zone: string): boolean {
    const now = Date.now();
    const hits = bump(this.byCode, code, now);
    const retry = hits === 1 && this.good.has(code);
    if (!retry) {
      const z = this.byZone.get(zone);
      if (z && now - z.last > ZONE_WINDOW_MS) this.byZone.delete(zone);
      bump(this.byZone, zone, now);
    }
    return retry;
  }

  /** A clean evaluation. */
  clear(code: string): void {
    if (this.byCode.size !== 0) this.byCode.delete(code);
    if (!this.good.has(code)) {
      if (this.good.size >= MAX_ENTRIES) this.good.clear();
      this.good.add(code);
    }
  }
}

function bump(m: Map<string, Strike>, key: string, now: number): number {
  if (m.size >= MAX_ENTRIES && !m.has(key)) m.clear();
  const s = m.get(key) ?? { hits: 0, until: 0, last: 0 };
  s.hits++;
  s.last = now;
  s.until = s.hits < 2 ? 0 : now + Math.min(MAX_MS, FIRST_MS * 2 ** (s.hits - 2));
  m.set(key, s);
  return s.hits;
}
