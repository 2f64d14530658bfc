// What /healthz says: the relay is healthy while its event loop and its data
// plane engine both keep turning. A wedged engine (Node's loop turning, the
// engine taking no events: the UDP PROXY crash of issue 16 spun that way with
// /healthz still "ok") or a loop stuck in a long synchronous stretch both mean
// nothing is relayed, so a supervisor (systemd with a health probe, a load
// balancer's check) must see it. A timer pokes the engine's probe (a byte
// through a pipe in its epoll set) every second and notes that the loop ran.
import type { DataPlane } from './dataplane/engine.js';

export interface Liveness {
  /** Why the relay cannot serve now, or undefined while it can. */
  unhealthy(): string | undefined;
  close(): void;
}

/** The stamps one check looks at (ms since the epoch, 0 = never). */
export interface Stamps {
  /** Last time the loop's timer ran. */
  loopAt: number;
  /** Last poke of the engine that has not been answered yet (0 = none outstanding). */
  pokedAt: number;
  answeredAt: number;
}

/** The decision alone (unit-tested): a stamp older than `stallMs` is a stall. */
export function verdict(s: Stamps, now: number, stallMs: number): string | undefined {
  if (now - s.loopAt > stallMs) return `event loop has not turned for ${now - s.loopAt} ms`;
  if (s.pokedAt > s.answeredAt && now - s.pokedAt > stallMs) return `data plane engine has not turned for ${now - s.pokedAt} ms`;
  return undefined;
}

export function createLiveness(engine: DataPlane | undefined, stallMs = 3000, everyMs = 1000): Liveness {
  const probe = engine?.probe();
  const s: Stamps = { loopAt: Date.now(), pokedAt: 0, answeredAt: 0 };
  const tick = () => {
    s.loopAt = Date.now();
    if (!probe) return;
    s.answeredAt = probe.answeredAt;
    // One poke outstanding at a time: its age is how long the engine has not turned.
    if (probe.pokedAt <= probe.answeredAt) probe.poke();
    s.pokedAt = probe.pokedAt;
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  tick();
  return {
    unhealthy() {
      if (probe) { s.answeredAt = probe.answeredAt; s.pokedAt = probe.pokedAt; }
      return verdict(s, Date.now(), stallMs);
    },
    close() { clearInterval(timer); probe?.close(); },
  };
}
