// The zone editing web page: GET /ui (index.html) and its two assets, plain
// files from src/web/static/ read once at start (tsc does not copy them, so
// dist/web/routes.js finds them in the package's src/). No key is needed: the
// page holds no data; it asks the user for the API key and calls /api/v1 with
// it. Every answer carries a strict Content-Security-Policy: scripts and
// styles only from this origin, no inline code, no framing, no plugins; the
// page's own script builds the DOM with textContent only.
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';

const STATIC = new URL('../../src/web/static/', import.meta.url);

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const ASSETS: Record<string, { file: string; type: string }> = {
  '/ui': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/ui/map.js': { file: 'map.js', type: 'text/javascript; charset=utf-8' },
  '/ui/world-land.json': { file: 'world-land.json', type: 'application/json' },
};

function secure(reply: FastifyReply, type: string): FastifyReply {
  return reply
    .type(type)
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cache-control', 'no-cache');
}

export async function webRoutes(app: FastifyInstance): Promise<void> {
  for (const [path, { file, type }] of Object.entries(ASSETS)) {
    const body = readFileSync(new URL(file, STATIC));
    app.get(path, async (_req, reply) => secure(reply, type).send(body));
  }
  app.get('/ui/', async (_req, reply) => reply.redirect('/ui'));
}
