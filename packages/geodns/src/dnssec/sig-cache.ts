// Signatures already made, keyed by exactly what was signed (the RRSIG fields,
// which hold the key tag and the validity window, and the canonical RRset) and
// by the key material. Bounded by two generations (as the answer caches): when
// the young map fills the old one is dropped whole, so a flood of distinct
// names (each black-lie NSEC is new) evicts and never grows memory.
// Entries are never wrong, only unused: changed data or a new window makes a
// different key, so no invalidation is needed beyond the zone's keys (uid).
import type { SigningKey } from './types.js';

export interface SignatureCounters {
  hits: number;
  misses: number;
}

export class SignatureCache {
  private young = new Map<string, Buffer>();
  private old = new Map<string, Buffer>();
  readonly counts: SignatureCounters = { hits: 0, misses: 0 };

  constructor(private readonly perGeneration = 100_000) {}

  get(key: SigningKey, data: Buffer): Buffer | undefined {
    const k = key.uid + data.toString('latin1');
    let v = this.young.get(k);
    if (v === undefined) {
      v = this.old.get(k);
      if (v !== undefined) this.young.set(k, v);
    }
    if (v === undefined) this.counts.misses++;
    else this.counts.hits++;
    return v;
  }

  put(key: SigningKey, data: Buffer, sig: Buffer): Buffer {
    if (this.young.size >= this.perGeneration) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key.uid + data.toString('latin1'), sig);
    return sig;
  }

  /** A whole RRSIG RDATA stored under a text key (rrsig.ts quickKey); counted as a hit. */
  getText(key: SigningKey, text: string): Buffer | undefined {
    const k = `${key.uid}\u0001${text}`;
    let v = this.young.get(k);
    if (v === undefined) {
      v = this.old.get(k);
      if (v !== undefined) this.young.set(k, v);
    }
    if (v !== undefined) this.counts.hits++;
    return v;
  }

  putText(key: SigningKey, text: string, rdata: Buffer): Buffer {
    if (this.young.size >= this.perGeneration) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(`${key.uid}\u0001${text}`, rdata);
    return rdata;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}
