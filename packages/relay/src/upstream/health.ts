// Active TCP health checks: every interval, connect to each server with a
// timeout; `fails` consecutive failures mark it down, `passes` successes up.
import { connect } from 'node:net';
import type { Logger } from '@geoedge/shared';
import type { UpstreamGroup } from './group.js';
import type { UpstreamServer } from './server.js';

export interface HealthChecker {
  close(): void;
}

export function startHealthChecks(group: UpstreamGroup, log: Logger): HealthChecker {
  const hc = group.cfg.healthCheck;
  if (!hc) return { close() {} };
  let stopped = false;
  const probe = (s: UpstreamServer) => {
    const sock = connect({ host: s.cfg.host, port: s.cfg.port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      if (stopped) return;
      record(s, ok);
    };
    const timer = setTimeout(() => done(false), hc.timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  };
  const record = (s: UpstreamServer, ok: boolean) => {
    // checkStreak > 0 counts passes, < 0 counts failures.
    s.checkStreak = ok ? Math.max(0, s.checkStreak) + 1 : Math.min(0, s.checkStreak) - 1;
    if (s.checkUp && -s.checkStreak >= hc.fails) {
      s.checkUp = false;
      log.warn({ upstream: s.cfg.address, group: group.cfg.name }, 'upstream server down (health check)');
    } else if (!s.checkUp && s.checkStreak >= hc.passes) {
      s.checkUp = true;
      log.info({ upstream: s.cfg.address, group: group.cfg.name }, 'upstream server up (health check)');
    }
  };
  const tick = () => group.servers.forEach(probe);
  tick();
  const interval = setInterval(tick, hc.intervalMs);
  interval.unref();
  return {
    close() {
      stopped = true;
      clearInterval(interval);
    },
  };
}
