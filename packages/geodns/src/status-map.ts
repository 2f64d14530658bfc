// The web page's map (issue 20) asks geodns two things on its metrics address,
// behind the same statusKey as /status/health (status.ts):
//   GET  /status/geo?max=N&locate=IP,IP…
//        → {"database": {path, type, buildEpoch…}, "locations": [{lat, lon, country?, city?, client, prefix}],
//           "located": [{ip, lat?, lon?, country?, city?}]}
//        the location cells of the loaded GeoIP database (geo/locations.ts: every
//        place it knows, thinned to at most N, each with a network it places
//        there), and where it puts the given addresses (the record's PoPs).
//   POST /status/lua-eval {"qname", "zone", "type", "code", "clients": [IP…]}
//        → {"results": [{"contents": [...]} | {"error": "..."}]}, one per client
//        a scratch evaluation: the LUA record's code as if it were stored at
//        qname, run by the same runtime the query path uses, for each client as
//        if it had sent ECS of that address (/32 or /128). Nothing is stored and
//        no answer is cached; health checks the code names start like a query's.
//        This is how geoctl previews an unsaved edit; saved records are asked
//        over DNS like any client.
// Without statusKey nothing is served (404); a wrong key is 401.
import type { IncomingMessage } from 'node:http';
import { typeCode } from '@geoedge/dnsdata';
import type { ExtraReply } from '@geoedge/shared';
import type { GeoIpService } from './geo/index.js';
import type { LuaClient, LuaEvaluator } from './lua/index.js';
import { keyChecker } from './status.js';

export const GEO_PATH = '/status/geo';
export const EVAL_PATH = '/status/lua-eval';
export const MAX_LOCATIONS = 20_000;
/** What geoctl asks for unless told otherwise (its /api/v1/lua/map default). */
export const DEFAULT_LOCATIONS = 5000;
const MAX_BODY = 2 << 20;
/** Evaluations between yields to the event loop: DNS queries keep being answered during a large batch. */
const SLICE = 250;

export interface MapSources {
  geo?: Pick<GeoIpService, 'sampleLocations' | 'lookup' | 'onSwap'>;
  evaluator?: LuaEvaluator;
}

export type MapStatusHandler = (path: string, req: IncomingMessage) => ExtraReply | Promise<ExtraReply> | undefined;

export function createMapStatusHandler(statusKey: string | undefined, src: MapSources): MapStatusHandler {
  if (statusKey === undefined) return () => undefined;
  const allowed = keyChecker(statusKey);
  return (path, req) => {
    if (path !== GEO_PATH && path !== EVAL_PATH) return undefined;
    if (!allowed(req)) return json(401, { error: 'Unauthorized' });
    if (path === GEO_PATH) return req.method === 'GET' ? geo(req, src) : json(405, { error: 'use GET' });
    return req.method === 'POST' ? evaluate(req, src) : json(405, { error: 'use POST' });
  };
}

/**
 * Builds the default location sample in the background, soon after start and
 * after each GeoIP swap, so the first map an operator opens does not wait for
 * the walk of the database (about a second for GeoLite2 City, in slices).
 * Only where the map can be asked for (statusKey set).
 */
export function warmLocations(geo: Pick<GeoIpService, 'sampleLocations' | 'onSwap'>, delayMs = 2000): void {
  const warm = () => { setTimeout(() => { void geo.sampleLocations(DEFAULT_LOCATIONS).catch(() => undefined); }, delayMs).unref(); };
  geo.onSwap(warm);
  warm();
}

async function geo(req: IncomingMessage, src: MapSources): Promise<ExtraReply> {
  if (!src.geo) return json(503, { error: 'GeoIP is not available here (workers > 1: the primary has no database)' });
  const q = new URL(req.url ?? '/', 'http://x').searchParams;
  const max = Number(q.get('max') ?? DEFAULT_LOCATIONS);
  if (!Number.isInteger(max) || max < 1 || max > MAX_LOCATIONS) return json(400, { error: `max: must be an integer from 1 to ${MAX_LOCATIONS}` });
  const ips = (q.get('locate') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '').slice(0, 1000);
  const sample = await src.geo.sampleLocations(max);
  const located = ips.map((ip) => {
    const g = src.geo!.lookup(ip);
    return { ip, ...(g?.lat !== undefined ? { lat: g.lat, lon: g.lon } : {}), ...(g?.country ? { country: g.country } : {}), ...(g?.city ? { city: g.city } : {}) };
  });
  return json(200, { database: sample?.database ?? null, locations: sample?.locations ?? [], located });
}

interface EvalRequest { qname: string; zone: string; type: number; code: string; clients: string[] }

function parseEval(body: unknown): EvalRequest | string {
  if (typeof body !== 'object' || body === null) return 'body: must be a JSON object';
  const b = body as Record<string, unknown>;
  for (const k of ['qname', 'zone', 'code'] as const) if (typeof b[k] !== 'string' || b[k] === '') return `${k}: must be a non-empty string`;
  const type = typeof b.type === 'string' ? typeCode(b.type) : undefined;
  if (type === undefined) return 'type: must be a record type name (A, AAAA, TXT…)';
  if (!Array.isArray(b.clients) || b.clients.length > MAX_LOCATIONS || !b.clients.every((c) => typeof c === 'string')) return `clients: must be a list of at most ${MAX_LOCATIONS} addresses`;
  const fqdn = (s: string) => (s.endsWith('.') ? s : `${s}.`).toLowerCase();
  return { qname: fqdn(b.qname as string), zone: fqdn(b.zone as string), type, code: b.code as string, clients: b.clients as string[] };
}

async function evaluate(req: IncomingMessage, src: MapSources): Promise<ExtraReply> {
  if (!src.evaluator) return json(503, { error: 'LUA evaluation is not available here (workers > 1: ask a worker-less geodns)' });
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch (err) {
    return json(400, { error: `body: ${(err as Error).message}` });
  }
  const r = parseEval(body);
  if (typeof r === 'string') return json(400, { error: r });
  const record = { owner: r.qname, zone: r.zone, innerType: r.type, code: r.code };
  const results: Array<{ contents: string[] } | { error: string }> = [];
  for (let i = 0; i < r.clients.length; i++) {
    if (i > 0 && i % SLICE === 0) await new Promise((res) => setImmediate(res));
    const ip = r.clients[i]!;
    const v6 = ip.includes(':');
    const client: LuaClient = { who: v6 ? '::1' : '127.0.0.1', ecswho: ip, ecsPrefix: v6 ? 128 : 32, localwho: v6 ? '::1' : '127.0.0.1', qname: r.qname, tcp: false, dnssecOK: false, ednsPKTSize: 1232 };
    const e = src.evaluator.evaluate(record, client);
    results.push(e.kind === 'ok' ? { contents: e.contents } : { error: e.message });
  }
  return json(200, { results });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { reject(new Error(`larger than ${MAX_BODY} bytes`)); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(status: number, body: unknown): ExtraReply {
  return { status, body: JSON.stringify(body) };
}
