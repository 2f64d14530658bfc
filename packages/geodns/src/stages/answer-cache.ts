// Compiled answers: the first query for (name, type) builds the response once in
// wire form; later queries copy it and patch ID, flags, question case and OPT
// (wire/template.ts). The cache belongs to one zone snapshot: a reload brings a
// new, empty cache, so a stale answer can never outlive its data.
// Bounded by two generations: when the young map fills, the old one is dropped
// whole. That keeps random-name floods (NXDOMAIN, wildcards) from growing memory
// while hot names survive by being promoted.

export class AnswerCache<T> {
  private young = new Map<string, T>();
  private old = new Map<string, T>();
  constructor(private readonly maxPerGeneration = 50_000) {}

  get(key: string): T | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }

  set(key: string, value: T): void {
    if (this.young.size >= this.maxPerGeneration) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}
