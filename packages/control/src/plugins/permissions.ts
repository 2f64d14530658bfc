// What a named key may do (issue 20), checked once per request after auth.ts
// found the key: a read-only key may only read (GET/HEAD, and the LUA syntax
// check and preview, which change nothing); a key limited to some zones may
// change only those, and nothing outside the zone routes (a GeoIP update run).
// Refusals are 403 {"error": …} naming the key, the status PowerDNS's
// webserver gives a request it understood but will not allow; the zone of a
// zone creation is only known from its body, so zones.ts calls mayChangeZone.
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import type { ApiIdentity } from './auth.js';
import { zoneFromId } from '../routes/zone-id.js';

const READ_METHODS = new Set(['GET', 'HEAD']);
/** POST routes that only read. */
const READ_POSTS = new Set(['/api/v1/lua/check', '/api/v1/lua/preview', '/api/v1/lua/map']);
const ZONE_ROUTE = '/api/v1/servers/:server/zones/:zone';

export async function permissionHook(req: FastifyRequest): Promise<void> {
  const id = req.apiIdentity;
  if (!id || READ_METHODS.has(req.method) || READ_POSTS.has(req.routeOptions.url ?? '')) return;
  if (id.readOnly) throw new ApiError(403, `API key '${id.name}' is read-only`);
  if (!id.zones) return;
  const url = req.routeOptions.url ?? '';
  if (url === '/api/v1/servers/:server/zones' && req.method === 'POST') return; // checked in zones.ts, once the body names the zone
  const zone = url === ZONE_ROUTE || url.startsWith(`${ZONE_ROUTE}/`) ? zoneFromId((req.params as { zone: string }).zone) : undefined;
  if (!zone) throw new ApiError(403, `API key '${id.name}' may only change its zones (${zonesOf(id)})`);
  mayChangeZone(id, zone.stored, zone.fqdn);
}

/** Throws 403 unless the key may change the zone (stored name). */
export function mayChangeZone(id: ApiIdentity | null, stored: string, fqdn: string): void {
  if (!id || !id.zones || id.zones.has(stored)) return;
  throw new ApiError(403, `API key '${id.name}' may not change zone '${fqdn}' (only ${zonesOf(id)})`);
}

function zonesOf(id: ApiIdentity): string {
  return [...(id.zones ?? [])].map((z) => `${z}.`).join(', ');
}
