// The control API as a fastify plugin tree, built without listening so tests
// use inject(). Every request path reads here:
//   /metrics                     Prometheus, no key
//   /api/**                      auth hook (X-API-Key, failed-auth rate limit), then
//     routes/servers.ts          PowerDNS server, config and statistics resources
//     routes/geoip.ts            GeoIP updater status and manual run
//     routes/zones.ts            PowerDNS zones, RRsets, metadata, export (needs opts.db)
//     routes/lua.ts              LUA syntax check and preview (asks geodns over DNS)
//   /ui, /ui/*                   web page (web/routes.ts), static, no key: it holds no data
// Errors from any of them become {"error": …} bodies in plugins/errors.ts.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '@geoedge/shared';
import type { Config } from './config.js';
import type { GeoipUpdater } from './jobs/geoip-update.js';
import type { ControlMetrics } from './metrics.js';
import { createAuthHook } from './plugins/auth.js';
import { installErrorHandling } from './plugins/errors.js';
import { serverRoutes } from './routes/servers.js';
import { geoipRoutes } from './routes/geoip.js';
import { zoneRoutes } from './routes/zones.js';
import { luaRoutes } from './routes/lua.js';
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
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { config, metrics } = opts;
  const app = Fastify({
    loggerInstance: opts.log.child({ component: 'api' }),
    bodyLimit: config.bodyLimit,
    return503OnClosing: true,
    // Zone ids are names up to 255 octets, and "=XX" escapes triple a character.
    routerOptions: { maxParamLength: 1024 },
  }) as unknown as FastifyInstance;
  const authHook = createAuthHook({
    apiKey: config.apiKey,
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
    await api.register(serverRoutes, { settings: () => settings(opts), statistics: () => metrics.snapshot() });
    await api.register(geoipRoutes, {
      updater: opts.updater,
      ...(opts.updaterProblem ? { unavailable: opts.updaterProblem } : {}),
      schedule: config.geoip.enabled ? config.geoip.schedule : 'disabled',
      ...(opts.nextGeoipRun ? { nextRun: opts.nextGeoipRun } : {}),
    });
    if (opts.db) await api.register(zoneRoutes, { db: opts.db });
    await api.register(luaRoutes, { geodns: parseHostPort(config.geodnsAddress) });
  });
  await app.register(webRoutes);
  return app;
}

/** What …/config reports; octoDNS looks for enable-lua-records before writing LUA records. */
function settings(opts: AppOptions): Record<string, string> {
  const u = opts.updater;
  const files = u ? u.conf.editionIds.map((id) => dbPath(u.conf.databaseDirectory, id)).join(' ') : '';
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
