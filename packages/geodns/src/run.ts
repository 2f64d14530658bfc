// One serving process: zone source → DNS listeners → metrics, closed in reverse.
import { ServiceGroup, handleSignals, metricsService, shareWithClusterPrimary, type Logger, type Service } from '@geoedge/shared';
import type { Config } from './config.js';
import { createMetrics } from './metrics.js';
import { createDnsServer } from './server.js';
import { buildChain } from './chain.js';
import { buildZoneSet } from './zones/zone-set.js';
import { createFileZoneSource } from './zones/reloader.js';
import type { ZoneSet } from './zones/types.js';

export async function runServer(cfg: Config, log: Logger, inCluster: boolean): Promise<void> {
  const metrics = createMetrics();
  if (inCluster) shareWithClusterPrimary(metrics.registry);
  let snapshot: ZoneSet = buildZoneSet([]);
  const setSnapshot = (zs: ZoneSet) => {
    snapshot = zs;
    metrics.setZonesLoaded(zs.zones.size);
  };

  const services: Service[] = [];
  let reload: (() => Promise<void> | void) | undefined;
  if (cfg.zones) {
    const files = createFileZoneSource({
      dir: cfg.zones,
      log: log.child({ source: 'files' }),
      onSnapshot: setSnapshot,
      onReload: (ok: boolean) => (ok ? metrics.reloads : metrics.reloadFailures).inc(['files']),
    });
    services.push(files);
    reload = () => files.reload();
  }
  const chain = buildChain({
    snapshot: () => snapshot,
    log,
    metrics,
    logQueries: cfg.logQueries,
    ednsPayload: cfg.edns.payload,
    chainLimit: cfg.cnameChainLimit,
  });
  services.push(createDnsServer({ listen: cfg.listen, idleTimeoutMs: cfg.tcp.idleTimeoutMs, maxConnections: cfg.tcp.maxConnections, log }, () => chain));
  if (cfg.metrics && !inCluster) services.push(metricsService(metrics.registry, cfg.metrics, log));

  const group = new ServiceGroup(log);
  try {
    await group.start(services);
  } catch (err) {
    log.fatal({ err }, 'start failed');
    await group.close();
    process.exit(1);
  }
  log.info({ zones: snapshot.zones.size, listen: cfg.listen }, 'geodns ready');
  handleSignals(log, { reload, shutdown: () => group.close() });
}
