// Relay metrics. Hot paths bump LabeledCounters; gauges are computed on scrape.
import { createRegistry, LabeledCounter, labeledGaugeFn, type Registry } from '@geoedge/shared';
import type { UpstreamGroup } from './upstream/group.js';

export interface RelayMetrics {
  registry: Registry;
  /** listener, outcome (close reason) */
  connections: LabeledCounter;
  /** listener, direction (in = from client, out = to client) */
  bytes: LabeledCounter;
  /** group, server */
  upstreamFailures: LabeledCounter;
  /** listener, code */
  errors: LabeledCounter;
}

export interface GaugeSources {
  active(): Array<[string, number]>;
  groups(): UpstreamGroup[];
}

export function createRelayMetrics(src: GaugeSources): RelayMetrics {
  const registry = createRegistry();
  const m: RelayMetrics = {
    registry,
    connections: new LabeledCounter(registry, 'relay_connections_total', 'Finished TCP connections and UDP sessions by close reason', ['listener', 'reason']),
    bytes: new LabeledCounter(registry, 'relay_bytes_total', 'Bytes relayed (in = from clients, out = to clients)', ['listener', 'direction']),
    upstreamFailures: new LabeledCounter(registry, 'relay_upstream_connect_failures_total', 'Failed connects to upstream servers', ['group', 'server']),
    errors: new LabeledCounter(registry, 'relay_errors_total', 'Errors by code (bad PROXY header, untrusted source, limits...)', ['listener', 'code']),
  };
  labeledGaugeFn(registry, 'relay_active', 'Open TCP connections and UDP sessions', ['listener'], () => src.active().map(([l, n]) => [{ listener: l }, n]));
  labeledGaugeFn(registry, 'relay_upstream_up', 'Upstream server usable (1) or marked down (0)', ['group', 'server'], () => {
    const now = Date.now();
    return src.groups().flatMap((g) => g.servers.map((s): [Record<string, string>, number] => [{ group: g.cfg.name, server: s.cfg.address }, s.available(now) ? 1 : 0]));
  });
  labeledGaugeFn(registry, 'relay_upstream_active', 'Open connections per upstream server', ['group', 'server'], () =>
    src.groups().flatMap((g) => g.servers.map((s): [Record<string, string>, number] => [{ group: g.cfg.name, server: s.cfg.address }, s.active])),
  );
  return m;
}
