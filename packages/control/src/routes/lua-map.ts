// Our extension (issue 20): where the world is sent by one LUA record.
//   POST /api/v1/lua/map {"qname", "zone", "contents": [LUA content…], "unsaved"?: bool, "max"?: N}
//   → 200 {"mode", "server", "database", "answers": [{answer, count}], "points": [[lat, lon, answer index, client, place]],
//          "pops": [{address, lat?, lon?, place, state, since?, last_error?}], "elapsed_ms"}
// Four questions, all to the running geodns, so the map is what geodns does now:
//  1. the location cells of its GeoIP database and where it puts the record's
//     addresses, the candidate PoPs (GET /status/geo on its status address);
//  2. the answer for a client in each cell: for the saved record, one DNS query
//     per cell with an EDNS Client Subnet of the cell's network, as the preview
//     asks, batched over one UDP socket (web/dns-probe-batch.ts); for an unsaved
//     edit ("unsaved": true), a scratch evaluation of the given contents by
//     geodns's own LUA runtime (POST /status/lua-eval): nothing is stored;
//  3. the health checks (GET /status/health): a PoP whose checks are all down is
//     reported down, and the points show where its clients go instead.
// Needs geodnsStatus (503 without it, as /api/v1/health).
import type { FastifyInstance } from 'fastify';
import { isIPv4, isIPv6 } from 'node:net';
import { typeName } from '@geoedge/dnsdata';
import { ApiError } from '../plugins/errors.js';
import { checkLuaSyntax } from '../lua-syntax.js';
import { toStored } from './rr-content.js';
import { isObject } from './zone-input.js';
import type { ProbeTarget } from '../web/dns-probe.js';
import { probeMany } from '../web/dns-probe-batch.js';
import { askGeodns, type StatusTarget } from '../web/geodns-status.js';

export interface LuaMapOptions {
  geodns: ProbeTarget;
  status?: StatusTarget;
}

export const MAP_MAX = 20_000;

interface Location { lat: number; lon: number; country?: string; city?: string; client: string }
interface Located { ip: string; lat?: number; lon?: number; country?: string; city?: string }
interface GeoAnswer { database: unknown; locations: Location[]; located: Located[] }
interface Check { kind: string; address: string | null; state: string; since: string | null; last_error: string | null }

interface MapRequest { qname: string; zone: string; records: Array<{ innerType: string; code: string }>; unsaved: boolean; max: number }

async function parse(body: unknown): Promise<MapRequest> {
  const b = isObject(body) ? body : {};
  const name = (k: string): string => {
    const v = b[k];
    if (typeof v !== 'string' || v === '' || v.length > 255) throw new ApiError(422, `Key '${k}' must be a domain name`);
    return v.endsWith('.') ? v : `${v}.`;
  };
  const contents = b.contents;
  if (!Array.isArray(contents) || contents.length === 0 || contents.length > 100 || !contents.every((c) => typeof c === 'string' && c.length <= 65535)) {
    throw new ApiError(422, "Key 'contents' must be a list of 1 to 100 LUA record contents");
  }
  if (b.unsaved !== undefined && typeof b.unsaved !== 'boolean') throw new ApiError(422, "Key 'unsaved' must be true or false");
  const unsaved = b.unsaved === true;
  const records = [];
  for (const content of contents as string[]) {
    const stored = toStored('LUA', content);
    if (!stored.ok) throw new ApiError(422, `Record content '${content}': ${stored.error}`);
    if (stored.data.kind !== 'lua') throw new ApiError(422, `Record content '${content}' is not LUA`);
    // An edit is compiled first (one clear error rather than one per location); a saved record was, when saved.
    if (unsaved) {
      const syntax = await checkLuaSyntax(stored.data.code);
      if (!syntax.ok) throw new ApiError(422, `Lua syntax error: ${syntax.error}`);
    }
    records.push({ innerType: typeName(stored.data.innerType), code: stored.data.code });
  }
  const max = b.max === undefined ? 5000 : b.max;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAP_MAX) throw new ApiError(422, `Key 'max' must be an integer from 1 to ${MAP_MAX}`);
  return { qname: name('qname'), zone: name('zone'), records, unsaved, max };
}

/** The IP addresses a LUA record's code names: its candidate PoPs (a CIDR such as netmask()'s is not one). */
export function addressesIn(code: string): string[] {
  const out = new Set<string>();
  for (const m of code.matchAll(/[0-9A-Fa-f:.]+(\/\d+)?/g)) {
    const s = m[0].slice(0, m[0].length - (m[1]?.length ?? 0));
    if (m[1] || !/[0-9]/.test(s)) continue;
    if (isIPv4(s) || isIPv6(s)) out.add(s);
  }
  return [...out];
}

const answerText = (contents: string[]): string => (contents.length ? [...contents].sort().join(', ') : '(no answer)');
const place = (l: { country?: string; city?: string }): string => [l.city, l.country].filter(Boolean).join(', ') || '—';

export async function luaMapRoutes(app: FastifyInstance, opts: LuaMapOptions): Promise<void> {
  app.post('/api/v1/lua/map', async (req) => {
    const st = opts.status;
    if (!st) throw new ApiError(503, 'geodnsStatus is not configured: geoctl does not know where to ask geodns for its GeoIP locations');
    const started = Date.now();
    const r = await parse(req.body);
    const pops = [...new Set(r.records.flatMap((rec) => addressesIn(rec.code)))];
    const geo = await askGeodns<GeoAnswer>(st, `/status/geo?max=${r.max}&locate=${pops.map(encodeURIComponent).join(',')}`);
    if (!geo.ok) throw new ApiError(502, geo.error);
    const clients = geo.body.locations.map((l) => l.client);
    const [labels, health] = await Promise.all([r.unsaved ? scratch(st, r, clients) : overDns(opts.geodns, r, clients), askGeodns<{ checks: Check[] }>(st, '/status/health')]);
    const counts = new Map<string, number>();
    for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    const answers = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([answer, count]) => ({ answer, count }));
    const index = new Map(answers.map((a, i) => [a.answer, i]));
    return {
      qname: r.qname,
      qtype: r.records[0]!.innerType,
      mode: r.unsaved ? 'scratch' : 'dns',
      server: r.unsaved ? st.address : `${opts.geodns.host}:${opts.geodns.port}`,
      database: geo.body.database,
      answers,
      points: geo.body.locations.map((l, i) => [l.lat, l.lon, index.get(labels[i]!)!, l.client, place(l)]),
      pops: geo.body.located.map((p) => ({ address: p.ip, ...(p.lat !== undefined ? { lat: p.lat, lon: p.lon } : {}), place: place(p), ...popHealth(p.ip, health.ok ? health.body.checks : []) })),
      ...(health.ok ? {} : { health_error: health.error }),
      elapsed_ms: Date.now() - started,
    };
  });
}

async function overDns(target: ProbeTarget, r: MapRequest, clients: string[]): Promise<string[]> {
  const results = await probeMany(target, r.qname, r.records[0]!.innerType, clients);
  return results.map((x) => (!x.ok ? `(error: ${x.error})` : x.rcode !== 'NOERROR' ? x.rcode : answerText(x.answers.filter((a) => a.type === r.records[0]!.innerType).map((a) => a.data))));
}

async function scratch(st: StatusTarget, r: MapRequest, clients: string[]): Promise<string[]> {
  const per: Array<Array<{ contents?: string[]; error?: string }>> = [];
  for (const rec of r.records) {
    const a = await askGeodns<{ results: Array<{ contents?: string[]; error?: string }> }>(st, '/status/lua-eval', { qname: r.qname, zone: r.zone, type: rec.innerType, code: rec.code, clients }, 30_000);
    if (!a.ok) throw new ApiError(502, a.error);
    per.push(a.body.results);
  }
  // An RRset's records together make the answer; one failing record fails it (SERVFAIL, as over DNS).
  return clients.map((_, i) => (per.some((p) => p[i]?.error !== undefined) ? 'SERVFAIL' : answerText(per.flatMap((p) => p[i]?.contents ?? []))));
}

/** A PoP's state from the checks on its address: down only when every one of them is down. */
function popHealth(address: string, checks: Check[]): { state: string; since?: string; last_error?: string } {
  const mine = checks.filter((c) => c.address === address);
  if (!mine.length) return { state: 'unchecked' };
  const down = mine.every((c) => c.state === 'down');
  const c = down ? mine[0]! : mine.find((x) => x.state === 'up') ?? mine[0]!;
  return { state: down ? 'down' : c.state, ...(c.since ? { since: c.since } : {}), ...(down && c.last_error ? { last_error: c.last_error } : {}) };
}
