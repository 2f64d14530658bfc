// LUA record helpers for the web page (behind the API key like all of /api):
//   POST /api/v1/lua/check    {"content": "A \"code\""}            → 200 {"result": "ok"} | 422 {"error"}
//   POST /api/v1/lua/preview  {"qname", "client", "qtype"?|"content"?} → 200 {"rcode", "answers"} | 422 | 502
// check parses the content as the zone routes do and compiles its Lua, so the
// page can warn before saving. preview does not run Lua here: control never
// imports geodns, and only geodns knows the GeoIP data and the saved zone, so
// it sends the running geodns (config geodnsAddress) one DNS query carrying
// an EDNS Client Subnet option of the chosen client address, and shows what
// came back. The record therefore has to be saved before it can be previewed.
import type { FastifyInstance } from 'fastify';
import { typeName } from '@geoedge/dnsdata';
import { ApiError } from '../plugins/errors.js';
import { checkLuaSyntax } from '../lua-syntax.js';
import { toStored } from './rr-content.js';
import { isObject } from './zone-input.js';
import { probe, type ProbeTarget } from '../web/dns-probe.js';

export interface LuaRoutesOptions {
  geodns: ProbeTarget;
}

function field(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > 65535) throw new ApiError(422, `Key '${key}' is not a string`);
  return v;
}

/** The record's inner type and Lua code, or a 422 with the zone routes' wording. */
async function checkContent(content: string): Promise<{ innerType: string }> {
  const stored = toStored('LUA', content);
  if (!stored.ok) throw new ApiError(422, `Record content '${content}': ${stored.error}`);
  if (stored.data.kind !== 'lua') throw new ApiError(422, `Record content '${content}' is not LUA`);
  const r = await checkLuaSyntax(stored.data.code);
  if (!r.ok) throw new ApiError(422, `Lua syntax error: ${r.error}`);
  return { innerType: typeName(stored.data.innerType) };
}

export async function luaRoutes(app: FastifyInstance, opts: LuaRoutesOptions): Promise<void> {
  app.post('/api/v1/lua/check', async (req) => {
    const body = isObject(req.body) ? req.body : {};
    const content = field(body, 'content');
    if (content === undefined) throw new ApiError(422, "Key 'content' not present");
    const { innerType } = await checkContent(content);
    return { result: 'ok', type: innerType };
  });

  app.post('/api/v1/lua/preview', async (req) => {
    const body = isObject(req.body) ? req.body : {};
    const qname = field(body, 'qname');
    const client = field(body, 'client');
    if (!qname) throw new ApiError(422, "Key 'qname' not present");
    if (!client) throw new ApiError(422, "Key 'client' not present");
    const content = field(body, 'content');
    const qtype = content !== undefined ? (await checkContent(content)).innerType : field(body, 'qtype') ?? 'A';
    const r = await probe(opts.geodns, qname, qtype, client.trim());
    if (!r.ok) throw new ApiError(r.error.startsWith('not an IP') || r.error.startsWith('unknown type') || r.error.startsWith('label') ? 422 : 502, r.error);
    return { qname, qtype, client: client.trim(), server: `${opts.geodns.host}:${opts.geodns.port}`, rcode: r.rcode, answers: r.answers };
  });
}
