// A map bounded by two generations: when the young map fills, the old one is
// dropped whole, and a hit in the old one moves to the young one. chain.ts keeps
// the names asked once and the names holding LUA records in these; the compiled
// static answers themselves live in answer-arena.ts, which packs them into one
// Buffer. Each belongs to one zone snapshot: a reload brings new, empty ones.

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
