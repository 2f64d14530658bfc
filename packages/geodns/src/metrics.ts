// geodns's metrics. The query path bumps plain counters; prom-client reads them
// on scrape (see @geoedge/shared metrics).
import { createRegistry, LabeledCounter, FastHistogram, gaugeFn, counterFn, type Registry } from '@geoedge/shared';

export interface GeodnsMetrics {
  registry: Registry;
  queries: LabeledCounter;      // rcode, qtype, transport
  answerSeconds: FastHistogram;
  reloads: LabeledCounter;      // source
  reloadFailures: LabeledCounter; // source
  tcpRefused: LabeledCounter;   // reason: per_client, full
  tcpClosed: LabeledCounter;    // reason: idle_timeout, query_timeout, write_timeout, evicted, bad_frame
  tcpPaused: LabeledCounter;    // no labels
  /** Exports geodns_tcp_connections from the DNS server. */
  watchTcp(open: () => number): void;
  rrlLimited: LabeledCounter;   // kind, action (dropped | slipped | badcookie | logged)
  cookies: LabeledCounter;      // result (client_only | good | bad | malformed)
  aliasFetches: LabeledCounter;   // result: ok, nodata, fail
  setZonesLoaded(n: number): void;
  /** Exports geodns_rrl_evicted_accounts from the rate limiter's table. */
  watchRrl(evictions: () => number): void;
  /** Answer-cache look-ups, bumped by the chain (geodns_answer_cache_total). */
  answerCache: { staticHit: number; staticMiss: number; luaHit: number; luaMiss: number };
  /** Exports geodns_db_up and geodns_db_staleness_seconds from the database zone source. */
  watchDb(status: () => { up: boolean; stalenessSeconds: number }): void;
  /** Exports geodns_dnssec_signatures_total from the signature cache's counters. */
  watchSignatures(counts: { hits: number; misses: number }): void;
}

export function createMetrics(): GeodnsMetrics {
  const registry = createRegistry();
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
    tcpRefused: new LabeledCounter(registry, 'geodns_tcp_refused_total', 'TCP connections closed at once: per_client (tcp.maxConnectionsPerClient reached), full (tcp.maxConnections reached and none idle to evict)', ['reason']),
    tcpClosed: new LabeledCounter(registry, 'geodns_tcp_closed_total', 'TCP connections closed by a limit: idle_timeout, query_timeout (a query not whole within tcp.queryTimeoutMs), write_timeout (answers not read for tcp.idleTimeoutMs), evicted (oldest idle, for a newcomer), bad_frame', ['reason']),
    tcpPaused: new LabeledCounter(registry, 'geodns_tcp_read_paused_total', 'Times reading a TCP connection stopped because its unsent answers passed tcp.maxPendingBytes', []),
    watchTcp(open) {
      gaugeFn(registry, 'geodns_tcp_connections', 'Open DNS TCP connections', open);
    },
    rrlLimited: new LabeledCounter(registry, 'geodns_rrl_limited_total', 'UDP responses held back by response rate limiting, by kind and action (dropped, slipped = sent with TC=1, badcookie = sent as BADCOOKIE with a server cookie, logged = log-only mode, sent anyway)', ['kind', 'action']),
    cookies: new LabeledCounter(registry, 'geodns_cookies_total', 'Queries with a DNS COOKIE option, by result (client_only, good = our valid server cookie, bad = a server cookie we did not accept, malformed = FORMERR)', ['result']),
    aliasFetches: new LabeledCounter(registry, 'geodns_alias_fetches_total', 'ALIAS target look-ups sent to alias.resolver, by result (ok, nodata, fail)', ['result']),
    setZonesLoaded(n) { zones = n; },
    watchRrl(evictions) {
      gaugeFn(registry, 'geodns_rrl_evicted_accounts', 'RRL accounts pushed out of the full table by new ones since start (a flood of more distinct sources than rrl.tableSize)', evictions);
    },
    watchSignatures(counts) {
      counterFn(registry, 'geodns_dnssec_signatures_total', 'RRSIGs put in answers: result hit (from the signature cache) or miss (signed now)', ['result'], () => [
        [['hit'], counts.hits], [['miss'], counts.misses],
      ]);
    },
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
