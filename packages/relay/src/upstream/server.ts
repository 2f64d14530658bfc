// One upstream server's live state: active connections, passive failures
// (max_fails within fail_timeout marks it down for fail_timeout), active check result.
import type { ServerConfig } from '../config.js';
import { sockaddr } from '../net/sockaddr.js';

export class UpstreamServer {
  active = 0;
  currentWeight = 0;
  private fails = 0;
  private firstFailAt = 0;
  downUntil = 0;
  /** Set by the active health checker; true until a check says otherwise. */
  checkUp = true;
  checkStreak = 0;

  /** Its sockaddr when the host is an IP literal (the engine connects to it without Node's resolver). */
  readonly sockaddr: Buffer | undefined;

  constructor(readonly cfg: ServerConfig) {
    this.sockaddr = sockaddr(cfg.host, cfg.port);
  }

  available(now: number): boolean {
    return this.checkUp && now >= this.downUntil;
  }

  succeeded(): void {
    this.fails = 0;
  }

  /** Returns true when this failure marked the server down. */
  failed(now: number, maxFails: number, failTimeoutMs: number): boolean {
    if (maxFails === 0) return false;
    if (now - this.firstFailAt > failTimeoutMs) {
      this.fails = 0;
      this.firstFailAt = now;
    }
    this.fails++;
    if (this.fails >= maxFails) {
      this.downUntil = now + failTimeoutMs;
      this.fails = 0;
      return true;
    }
    return false;
  }

  /** Carries live state over a config reload when the server stays. */
  adopt(old: UpstreamServer): void {
    this.active = old.active;
    this.downUntil = old.downUntil;
    this.checkUp = old.checkUp;
  }
}
