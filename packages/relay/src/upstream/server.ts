// One upstream server's live state: active connections, passive failures
// (max_fails within fail_timeout marks it down for fail_timeout), active check result.
import type { ServerConfig } from '../config.js';
import { sockaddr } from '../net/sockaddr.js';

/**
 * What a server's connections and checks change. One object per server
 * address for the life of the process: a reload that keeps the server hands
 * the same object to the new group, so connections opened before the reload,
 * which end on the old group's server, still count down the live figure
 * (copying it left relay_upstream_active above 0 for good and least_conn
 * avoiding that server).
 */
interface Live {
  active: number;
  fails: number;
  firstFailAt: number;
  downUntil: number;
  checkUp: boolean;
  checkStreak: number;
}

export class UpstreamServer {
  currentWeight = 0;
  private live: Live = { active: 0, fails: 0, firstFailAt: 0, downUntil: 0, checkUp: true, checkStreak: 0 };

  /** Open connections (and UDP sessions) on this server. */
  get active(): number { return this.live.active; }
  set active(n: number) { this.live.active = n; }
  /** Marked down by passive health until then (ms). */
  get downUntil(): number { return this.live.downUntil; }
  set downUntil(t: number) { this.live.downUntil = t; }
  /** Set by the active health checker; true until a check says otherwise. */
  get checkUp(): boolean { return this.live.checkUp; }
  set checkUp(v: boolean) { this.live.checkUp = v; }
  get checkStreak(): number { return this.live.checkStreak; }
  set checkStreak(n: number) { this.live.checkStreak = n; }

  /** Its sockaddr when the host is an IP literal (the engine connects to it without a lookup; a name is resolved per connect). */
  readonly sockaddr: Buffer | undefined;

  constructor(readonly cfg: ServerConfig) {
    this.sockaddr = sockaddr(cfg.host, cfg.port);
  }

  available(now: number): boolean {
    return this.checkUp && now >= this.downUntil;
  }

  succeeded(): void {
    this.live.fails = 0;
  }

  /** Returns true when this failure marked the server down. */
  failed(now: number, maxFails: number, failTimeoutMs: number): boolean {
    if (maxFails === 0) return false;
    const l = this.live;
    if (now - l.firstFailAt > failTimeoutMs) {
      l.fails = 0;
      l.firstFailAt = now;
    }
    l.fails++;
    if (l.fails >= maxFails) {
      l.downUntil = now + failTimeoutMs;
      l.fails = 0;
      return true;
    }
    return false;
  }

  /** Shares the live state of the same server in the group before a reload (see Live). */
  adopt(old: UpstreamServer): void {
    this.live = old.live;
  }
}
