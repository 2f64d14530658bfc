// How request bodies and query strings are read, as PowerDNS's webserver reads them:
//   - a JSON body is parsed only for the routes that use it. PowerDNS never looks at the
//     body of GET, DELETE or PUT …/notify, so lego's `PUT …/notify` with
//     Content-Type: application/json and an empty body is answered 200 there; a route
//     that reads its body refuses an empty or malformed one with 400. The parser therefore
//     never fails by itself: it hands on a BadJsonBody, and the preValidation hook below
//     decides by the route (routes that ignore a body say so with `config: IGNORES_BODY`).
//   - a repeated query parameter (`?rrset_name=a.&rrset_name=b.`) takes its last value,
//     as PowerDNS's YaHTTP does, so routes always see strings (never arrays);
//   - the URL of a request is logged with the value of `api-key` masked: PowerDNS accepts
//     the key as a query parameter too, and a key must never reach a log line.
import { parse as parseQuery } from 'node:querystring';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

/** A JSON body that is empty or does not parse; only an error for routes that read it. */
export class BadJsonBody {
  constructor(readonly message: string) {}
}

/** Route option for routes that never read their body (PowerDNS ignores it there). */
export const IGNORES_BODY = { ignoresBody: true } as const;

export function installRequestParsing(app: FastifyInstance): void {
  const strict = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, new BadJsonBody('Body cannot be empty'));
    strict(req, text, (err, value) => done(null, err ? new BadJsonBody(err.message) : value));
  });
  app.addHook('preValidation', async (req) => {
    if (!(req.body instanceof BadJsonBody)) return;
    if (ignoresBody(req)) req.body = undefined;
    else throw new ApiError(400, `Invalid JSON: ${req.body.message}`);
  });
}

function ignoresBody(req: FastifyRequest): boolean {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') return true;
  return (req.routeOptions.config as { ignoresBody?: boolean } | undefined)?.ignoresBody === true;
}

/** The query string with one value per name: the last one given. */
export function lastValueQuery(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(parseQuery(text))) {
    out[k] = Array.isArray(v) ? (v[v.length - 1] ?? '') : (v ?? '');
  }
  return out;
}

/** Only `api-key` is a key to PowerDNS, but a client's near miss (`API-KEY`, `api_key`) holds one just the same. */
const KEYLIKE = /^api[-_]?key$/i;

/** `url` with the value of every api-key-like parameter replaced (names compared after decoding, like the parser does). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url.slice(q + 1).split('&').map((p) => {
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    let decoded = name;
    try { decoded = decodeURIComponent(name.replace(/\+/g, ' ')); } catch { /* keep it as written */ }
    return KEYLIKE.test(decoded) ? `${name}=[redacted]` : p;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** fastify's own request serializer, with the URL redacted. */
export function requestForLog(req: FastifyRequest) {
  return {
    method: req.method,
    url: redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket ? req.socket.remotePort : undefined,
  };
}
