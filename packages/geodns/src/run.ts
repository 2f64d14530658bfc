// One serving process: zone source → DNS listeners → metrics, closed in reverse.
import { ServiceGroup, handleSignals, metricsService, shareWithClusterPrimary, type Logger, type Service } from '@geoedge/shared';
import type { Config } from './config.js';
import { createMetrics } from './metrics.js';
import { createDnsServer } from './server.js';
import { buildChain } from './chain.js';
import { buildZoneSet } from './zones/zone-set.js';
import { createFileZoneSource } from './zones/reloader.js';
import { createDbZoneSource } from './zones/db-source.js';
import { createZoneMerger } from './zones/merge.js';
import { createDynamic } from './dynamic.js';
import type { ZoneSet } from './zones/types.js';

export async function runServer(cfg: Config, log: Logger, inCluster: boolean): Promise<void> {
  const metrics = createMetrics();
  if (inCluster) shareWithClusterPrimary(metrics.registry);
  let snapshot: ZoneSet = buildZoneSet([]);
  const setSnapshot = (zs: ZoneSet) => {
    snapshot = zs;
    metrics.setZonesLoaded(zs.zones.size);
  };
  // Files and database each hand over their latest zone list; one ZoneSet is built from both.
  const merger = createZoneMerger(log, setSnapshot);

  const services: Service[] = [];
  let reload: (() => Promise<void> | void) | undefined;
  if (cfg.zones) {
    const files = createFileZoneSource({
      dir: cfg.zones,
      log: log.child({ source: 'files' }),
      onSnapshot: (zs) => merger.setFiles([...zs.zones.values()]),
      luaRecords: cfg.lua.enableLuaRecords !== 'no',
      onReload: (ok: boolean) => (ok ? metrics.reloads : metrics.reloadFailures).inc(['files']),
    });
    services.push(files);
    reload = () => files.reload();
  }
  if (cfg.db) {
    const db = createDbZoneSource({
      url: cfg.db,
      cacheFile: cfg.dbCache,
      luaRecords: cfg.lua.enableLuaRecords !== 'no',
      log: log.child({ source: 'db' }),
      onZones: (zones) => merger.setDb(zones),
      onReload: (ok: boolean) => (ok ? metrics.reloads : metrics.reloadFailures).inc(['db']),
    });
    services.push(db);
    metrics.watchDb(() => db.status());
  }
  // Built even with enable-lua-records: no, for the zones whose metadata turns LUA on.
  const dynamic = await createDynamic(cfg, log, metrics.registry, () => snapshot);
  services.push(...dynamic.services);
  const chain = buildChain({
    lua: dynamic.chainLua,
    snapshot: () => snapshot,
    log,
    metrics,
    logQueries: cfg.logQueries,
    ednsPayload: cfg.edns.payload,
    chainLimit: cfg.cnameChainLimit,
    answerCacheEntries: cfg.answerCache.entries,
  });
  services.push(createDnsServer({ listen: cfg.listen, idleTimeoutMs: cfg.tcp.idleTimeoutMs, maxConnections: cfg.tcp.maxConnections, log, udpBatch: cfg.udpBatch }, () => chain));
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
  if (inCluster) process.send?.('geodns:ready');
  const reloadAll = async () => {
    await Promise.all([reload?.(), dynamic.reloadGeo()]);
  };
  handleSignals(log, { reload: reloadAll, shutdown: () => group.close() });
}
