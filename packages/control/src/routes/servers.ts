// The server-level part of the PowerDNS Authoritative HTTP API (api/v1):
// GET /api, /api/v1/servers, /api/v1/servers/localhost, …/config, …/statistics.
// Clients read `version` to pick behaviour: octoDNS (octodns-powerdns) parses it
// as int(p.split('-')[0]) for the first three dot parts and wants ≥ 4.3 for
// SOA-EDIT-API DEFAULT and ≥ 4.5 for primary/secondary kinds, so we report a
// plain "4.7.3" (the release whose API and LUA records we follow).
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../plugins/errors.js';

export const PDNS_VERSION = '4.7.3';

export interface ServerRoutesOptions {
  /** ConfigSetting name → value, computed per request (geoip settings can change). */
  settings: () => Record<string, string>;
  /** StatisticItem name → value. */
  statistics: () => Record<string, number>;
}

const SERVER_ID = 'localhost';

export function serverObject() {
  return {
    type: 'Server',
    id: SERVER_ID,
    daemon_type: 'authoritative',
    version: PDNS_VERSION,
    url: `/api/v1/servers/${SERVER_ID}`,
    config_url: `/api/v1/servers/${SERVER_ID}/config{/config_setting}`,
    zones_url: `/api/v1/servers/${SERVER_ID}/zones{/zone}`,
  };
}

export async function serverRoutes(app: FastifyInstance, opts: ServerRoutesOptions): Promise<void> {
  app.get('/api', async () => [{ url: '/api/v1', version: 1 }]);
  app.get('/api/v1', async () => ({ server_url: '/api/v1/servers{/server}', api_features: [] }));
  app.get('/api/v1/servers', async () => [serverObject()]);
  app.get<{ Params: { server: string } }>('/api/v1/servers/:server', async (req) => {
    knownServer(req.params.server);
    return serverObject();
  });
  app.get<{ Params: { server: string } }>('/api/v1/servers/:server/config', async (req) => {
    knownServer(req.params.server);
    return Object.entries(opts.settings()).map(([name, value]) => ({ name, type: 'ConfigSetting', value }));
  });
  app.get<{ Params: { server: string; name: string } }>('/api/v1/servers/:server/config/:name', async (req) => {
    knownServer(req.params.server);
    const value = opts.settings()[req.params.name];
    if (value === undefined) throw new ApiError(422, `Unknown config setting ${req.params.name}`);
    return { name: req.params.name, type: 'ConfigSetting', value };
  });
  app.get<{ Params: { server: string }; Querystring: { statistic?: string } }>('/api/v1/servers/:server/statistics', async (req) => {
    knownServer(req.params.server);
    const items = Object.entries(opts.statistics()).map(([name, v]) => ({ name, type: 'StatisticItem', value: String(v) }));
    const wanted = req.query.statistic;
    if (wanted === undefined) return items;
    const hit = items.filter((i) => i.name === wanted);
    // PowerDNS: an unknown statistic name is 422 "Unknown statistic name".
    if (hit.length === 0) throw new ApiError(422, 'Unknown statistic name');
    return hit;
  });
}

function knownServer(id: string): void {
  if (id !== SERVER_ID) throw new ApiError(404, 'Not Found');
}
