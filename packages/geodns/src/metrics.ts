// geodns's metrics. The query path bumps plain counters; prom-client reads them
// on scrape (see @geoedge/shared metrics).
import { createRegistry, LabeledCounter, FastHistogram, gaugeFn, type Registry } from '@geoedge/shared';

export interface GeodnsMetrics {
  registry: Registry;
  queries: LabeledCounter;      // rcode, qtype, transport
  answerSeconds: FastHistogram;
  reloads: LabeledCounter;      // source
  reloadFailures: LabeledCounter; // source
  setZonesLoaded(n: number): void;
}

export function createMetrics(): GeodnsMetrics {
  const registry = createRegistry('geodns_process_');
  let zones = 0;
  gaugeFn(registry, 'geodns_zones_loaded', 'Zones in the current snapshot', () => zones);
  return {
    registry,
    queries: new LabeledCounter(registry, 'geodns_queries_total', 'DNS queries answered, by rcode, qtype and transport', ['rcode', 'qtype', 'transport']),
    answerSeconds: new FastHistogram(registry, 'geodns_answer_seconds', 'Time from packet to answer bytes', [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05]),
    reloads: new LabeledCounter(registry, 'geodns_reloads_total', 'Zone reloads', ['source']),
    reloadFailures: new LabeledCounter(registry, 'geodns_reload_failures_total', 'Zone reloads that failed (the previous zone kept serving)', ['source']),
    setZonesLoaded(n) { zones = n; },
  };
}
