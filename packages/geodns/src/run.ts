// One serving process: zone source → DNS listeners → metrics, closed in reverse.
import { ServiceGroup, handleSignals, metricsService, parseHostPort, shareWithClusterPrimary, type Logger, type Service } from '@geoedge/shared';
import { randomBytes } from 'node:crypto';
import { readCookieSecretFile, rrlOptions, type Config } from './config.js';
import { CookieSigner } from './wire/cookie.js';
import { ResponseRateLimiter, type RrlEvents } from './stages/rrl.js';
import { createAliasResolver } from './alias/resolver.js';
import { createMetrics } from './metrics.js';
import { createDnsServer } from './server.js';
import { buildChain } from './chain.js';
import { buildZoneSet } from './zones/zone-set.js';
import { createFileZoneSource } from './zones/reloader.js';
import { createDbZoneSource } from './zones/db-source.js';
import { createZoneMerger } from './zones/merge.js';
import { createDynamic } from './dynamic.js';
import { createStatusHandler } from './status.js';
import { createMapStatusHandler, warmLocations } from './status-map.js';
import type { ZoneSet } from './zones/types.js';
import { Signer } from './stages/sign.js';
import { createKeyDir } from './zones/key-dir.js';

export async function runServer(cfg: Config, log: Logger, inCluster: boolean): Promise<void> {
  const metrics = createMetrics();
  if (inCluster) shareWithClusterPrimary(metrics.registry);
  let snapshot: ZoneSet = buildZoneSet([]);
  const alias = cfg.alias.resolver.length === 0 ? undefined : createAliasResolver({
    resolvers: cfg.alias.resolver.map((r) => parseHostPort(r)),
    timeoutMs: cfg.alias.timeoutMs,
    maxCacheSeconds: cfg.alias.maxCacheSeconds,
    maxEntries: cfg.alias.maxEntries,
    log: log.child({ source: 'alias' }),
    onFetch: (result) => metrics.aliasFetches.inc([result]),
  });
  const setSnapshot = (zs: ZoneSet) => {
    snapshot = zs;
    metrics.setZonesLoaded(zs.zones.size);
    alias?.prefetch(zs);
  };
  // Files and database each hand over their latest zone list; one ZoneSet is built from both.
  const merger = createZoneMerger(log, setSnapshot);

  const services: Service[] = alias ? [alias] : [];
  let reload: (() => Promise<void> | void) | undefined;
  if (cfg.zones) {
    const files = createFileZoneSource({
      dir: cfg.zones,
      log: log.child({ source: 'files' }),
      onSnapshot: (zs) => merger.setFiles([...zs.zones.values()]),
      luaRecords: cfg.lua.enableLuaRecords !== 'no',
      keys: cfg.dnssec.keyDir ? createKeyDir(cfg.dnssec.keyDir, log.child({ source: 'files' })) : undefined,
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
  const cookies = cfg.cookies.enabled ? cookieSigner(cfg, log) : undefined;
  const rrl = cfg.rrl.enabled ? new ResponseRateLimiter(rrlOptions(cfg.rrl), cfg.workers, rrlEvents(metrics, log)) : undefined;
  if (rrl) metrics.watchRrl(() => rrl.evictions);
  const signer = new Signer(cfg.answerCache.entries, cfg.dnssec.denial === 'compact');
  metrics.watchSignatures(signer.cache.counts);
  const chain = buildChain({
    lua: dynamic.chainLua,
    alias: alias?.lookup,
    snapshot: () => snapshot,
    log,
    metrics,
    logQueries: cfg.logQueries,
    ednsPayload: cfg.edns.payload,
    chainLimit: cfg.cnameChainLimit,
    answerCacheEntries: cfg.answerCache.entries,
    cookies,
    rrl,
    signer,
  });
  if (cfg.rrl.enabled) log.info({ responsesPerSecond: cfg.rrl.responsesPerSecond, workers: cfg.workers, logOnly: cfg.rrl.logOnly }, 'response rate limiting on (UDP)');
  const dns = createDnsServer({
    listen: cfg.listen, tcp: cfg.tcp, log, udpBatch: cfg.udpBatch,
    tcpEvents: {
      refused: (reason) => metrics.tcpRefused.inc([reason]),
      closed: (reason) => metrics.tcpClosed.inc([reason]),
      paused: () => metrics.tcpPaused.inc([]),
    },
  }, () => chain);
  metrics.watchTcp(() => dns.tcpConnections());
  services.push(dns);
  if (cfg.metrics && !inCluster) {
    const health = createStatusHandler(cfg.statusKey, dynamic.healthStates);
    const map = createMapStatusHandler(cfg.statusKey, dynamic.map);
    services.push(metricsService(metrics.registry, cfg.metrics, log, (path, req) => health(path, req) ?? map(path, req)));
    if (cfg.statusKey !== undefined && dynamic.map.geo) warmLocations(dynamic.map.geo);
  }

  const group = new ServiceGroup(log);
  try {
    await group.start(services);
  } catch (err) {
    log.fatal({ err }, 'cannot start');
    await group.close();
    process.exit(1);
  }
  log.info({ zones: snapshot.zones.size, listen: cfg.listen }, 'geodns ready');
  if (inCluster) process.send?.('geodns:ready');
  const reloadAll = async () => {
    await Promise.all([reload?.(), dynamic.reloadGeo()]);
    if (cookies && cfg.cookies.secretFile !== undefined) reloadCookieSecrets(cookies, cfg.cookies.secretFile, log);
  };
  handleSignals(log, { reload: reloadAll, shutdown: () => group.close() });
}

/** The environment variable through which a cluster primary hands its generated cookie secret to the workers. */
export const COOKIE_SECRET_ENV = 'GEODNS_COOKIE_SECRET';

function cookieSigner(cfg: Config, log: Logger): CookieSigner {
  const { secret, previousSecret, secretFile } = cfg.cookies;
  if (secretFile !== undefined) {
    const s = readCookieSecretFile(secretFile); // checked by main() already
    return new CookieSigner(s.secret, s.previous);
  }
  if (secret !== undefined) return new CookieSigner(Buffer.from(secret, 'hex'), previousSecret === undefined ? undefined : Buffer.from(previousSecret, 'hex'));
  // No secret configured: one per start (shared by the workers of one cluster), so
  // cookies from before a restart, or from another server, are simply renewed.
  const env = process.env[COOKIE_SECRET_ENV];
  if (env === undefined) log.info('cookies: no cookies.secret configured; using a random one until restart (set one shared by all servers of a name)');
  return new CookieSigner(env !== undefined && /^[0-9a-f]{32}$/.test(env) ? Buffer.from(env, 'hex') : randomBytes(16));
}

/** The limiter's metrics, and one log line per account that starts being limited (at most 20 a second). */
function rrlEvents(metrics: ReturnType<typeof createMetrics>, log: Logger): RrlEvents {
  let second = 0, lines = 0, suppressed = 0;
  return {
    limited(kind, action) { metrics.rrlLimited.inc2(kind, action); },
    started(prefix, kind, logOnly) {
      const now = Math.floor(Date.now() / 1000);
      if (now !== second) { second = now; lines = 0; }
      if (++lines > 20) { suppressed++; return; }
      log.warn({ client: prefix, kind, ...(suppressed ? { suppressed } : {}) }, logOnly ? 'rrl: would limit responses (log-only)' : 'rrl: limiting responses');
      suppressed = 0;
    },
  };
}

/** SIGHUP: the secret file again (rotation without a restart); a bad file keeps the secrets in use. */
function reloadCookieSecrets(signer: CookieSigner, file: string, log: Logger): void {
  try {
    const s = readCookieSecretFile(file);
    signer.setSecrets(s.secret, s.previous);
    log.info({ file, previous: s.previous !== undefined }, 'cookie secrets reloaded');
  } catch (err) {
    log.error({ err: (err as Error).message, file }, 'cookie secrets not reloaded; keeping the ones in use');
  }
}
