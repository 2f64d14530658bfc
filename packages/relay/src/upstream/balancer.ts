// Server selection for an upstream group: smooth weighted round-robin (as nginx),
// least connections (weighted), and consistent hashing on the client address
// (a ring of 100 points per unit of weight, so adding a server moves few clients).
import type { UpstreamServer } from './server.js';

export interface Balancer {
  pick(candidates: UpstreamServer[], clientIp: string): UpstreamServer;
}

export function roundRobin(): Balancer {
  return {
    pick(c) {
      let total = 0;
      let best = c[0]!;
      for (const s of c) {
        s.currentWeight += s.cfg.weight;
        total += s.cfg.weight;
        if (s.currentWeight > best.currentWeight) best = s;
      }
      best.currentWeight -= total;
      return best;
    },
  };
}

export function leastConn(): Balancer {
  let rr = 0;
  return {
    pick(c) {
      // Rotating start keeps ties spread instead of always hitting the first server.
      rr = (rr + 1) % c.length;
      let best = c[rr]!;
      for (let k = 1; k < c.length; k++) {
        const s = c[(rr + k) % c.length]!;
        if (s.active * best.cfg.weight < best.active * s.cfg.weight) best = s;
      }
      return best;
    },
  };
}

export function consistentHash(all: UpstreamServer[]): Balancer {
  const ring: Array<{ h: number; s: UpstreamServer }> = [];
  for (const s of all) for (let i = 0; i < 100 * s.cfg.weight; i++) ring.push({ h: fnv1a(`${s.cfg.address}#${i}`), s });
  ring.sort((a, b) => a.h - b.h);
  return {
    pick(c, clientIp) {
      const allowed = new Set(c);
      const h = fnv1a(clientIp);
      let lo = 0;
      let hi = ring.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ring[mid]!.h < h) lo = mid + 1;
        else hi = mid;
      }
      for (let k = 0; k < ring.length; k++) {
        const p = ring[(lo + k) % ring.length]!;
        if (allowed.has(p.s)) return p.s;
      }
      return c[0]!;
    },
  };
}

export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Finalize (murmur3 fmix) so nearby strings spread over the ring.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
