// geoctl's Prometheus metrics (served unauthenticated at GET /metrics, outside /api).
import { createRegistry, LabeledCounter, labeledGaugeFn, gaugeFn, type Registry } from '@geoedge/shared';
import type { EditionOutcome } from './jobs/geoip-update.js';

export interface ControlMetrics {
  registry: Registry;
  authFailure(reason: 'missing' | 'wrong' | 'limited'): void;
  geoipOutcome(o: EditionOutcome): void;
  /** Plain numbers for the PowerDNS-style statistics route. */
  snapshot(): Record<string, number>;
}

export function createControlMetrics(): ControlMetrics {
  const registry = createRegistry();
  const started = Date.now();
  const auth = new LabeledCounter(registry, 'geoctl_api_auth_failures_total', 'API requests refused for a missing or wrong X-API-Key, or rate limited', ['reason']);
  const updates = new LabeledCounter(registry, 'geoctl_geoip_updates_total', 'GeoIP edition update attempts by result (updated, unchanged, error)', ['edition', 'result']);
  const lastSuccess = new Map<string, number>();
  labeledGaugeFn(registry, 'geoctl_geoip_last_success_timestamp_seconds', 'When each edition last updated or was confirmed current', ['edition'], () =>
    [...lastSuccess].map(([edition, t]) => [{ edition }, t / 1000]),
  );
  gaugeFn(registry, 'geoctl_uptime_seconds', 'Seconds since geoctl started', () => (Date.now() - started) / 1000);
  return {
    registry,
    authFailure: (reason) => auth.inc([reason]),
    geoipOutcome: (o) => {
      updates.inc([o.editionId, o.kind]);
      if (o.kind !== 'error') lastSuccess.set(o.editionId, Date.now());
    },
    snapshot: () => ({
      uptime: Math.floor((Date.now() - started) / 1000),
      'api-auth-failures': auth.total(),
      'geoip-updates': updates.total(),
    }),
  };
}
