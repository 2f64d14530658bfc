// geodns's metrics. The query path bumps plain counters; prom-client reads them
// on scrape (see @geoedge/shared metrics).
import { createRegistry, LabeledCounter, FastHistogram, gaugeFn, counterFn, type Registry } from '@geoedge/shared';

export interface GeodnsMetrics {
  registry: Registry;
  queries: LabeledCounter;      // rcode, qtype, transport
  answerSeconds: FastHistogram;
  reloads: LabeledCounter;      // source
  reloadFailures: LabeledCounter; // source
  setZonesLoaded(n: number): void;
  /** Answer-cache look-ups, bumped by the chain (geodns_answer_cache_total). */
  answerCache: { staticHit: number; staticMiss: number; luaHit: number; luaMiss: number };
  /** Exports geodns_db_up and geodns_db_staleness_seconds from the database zone source. */
  watchDb(status: () => { up: boolean; stalenessSeconds: number }): void;
}

export function createMetrics(): GeodnsMetrics {
  const registry = createRegistry('geodns_process_');
  let zones = 0;
  gaugeFn(registry, 'geodns_zones_loaded', 'Zones in the current snapshot', () => zones);
  const answerCache = { staticHit: 0, staticMiss: 0, luaHit: 0, luaMiss: 0 };
  counterFn(registry, 'geodns_answer_cache_total', 'Answer-cache look-ups: cache static|lua, result hit|miss', ['cache', 'result'], () => [
    [['static', 'hit'], answerCache.staticHit], [['static', 'miss'], answerCache.staticMiss],
    [['lua', 'hit'], answerCache.luaHit], [['lua', 'miss'], answerCache.luaMiss],
  ]);
  return {
    answerCache,
    registry,
    queries: new LabeledCounter(registry, 'geodns_queries_total', 'DNS queries answered, by rcode, qtype and transport', ['rcode', 'qtype', 'transport']),
    answerSeconds: new FastHistogram(registry, 'geodns_answer_seconds', 'Time from packet to answer bytes', [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05]),
    reloads: new LabeledCounter(registry, 'geodns_reloads_total', 'Zone reloads', ['source']),
    reloadFailures: new LabeledCounter(registry, 'geodns_reload_failures_total', 'Zone reloads that failed (the previous zone kept serving)', ['source']),
    setZonesLoaded(n) { zones = n; },
    watchDb(status) {
      gaugeFn(registry, 'geodns_db_up', 'Whether the last attempt to read the zone database succeeded (1) or not (0)', () => (status().up ? 1 : 0));
      gaugeFn(registry, 'geodns_db_staleness_seconds', 'Seconds since the database zones served were last known current', () => status().stalenessSeconds);
      // Summed over cluster workers these would mean nothing: the worst worker counts.
      setAggregator(registry, 'geodns_db_up', 'min');
      setAggregator(registry, 'geodns_db_staleness_seconds', 'max');
    },
  };
}

function setAggregator(registry: Registry, name: string, how: 'min' | 'max'): void {
  const m = registry.getSingleMetric(name) as unknown as { aggregator?: string } | undefined;
  if (m) m.aggregator = how;
}
