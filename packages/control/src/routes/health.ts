// Our extension (issue 20): GET /api/v1/health relays geodns's health status
// (GET /status/health on its metrics address, geodns src/status.ts) so the web
// page can show, beside a LUA record, which of its targets geodns sees up or
// down, since when, and the last error. geoctl asks geodns at each request
// (no cache: the page asks when the operator opens a zone), with a 3 s deadline
// and at most 4 MiB of answer, so a stuck or hostile peer cannot hold a request
// or fill memory.
//   200 {"server": "host:port", "checks": [...]}  as geodns gave them
//   503 geodnsStatus not configured; 502 geodns unreachable, slow or refusing the key
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../plugins/errors.js';

export interface HealthRoutesOptions {
  status?: { address: string; key: string };
  timeoutMs?: number;
}

const MAX_BYTES = 4 << 20;

export async function healthRoutes(app: FastifyInstance, opts: HealthRoutesOptions): Promise<void> {
  app.get('/api/v1/health', async () => {
    const st = opts.status;
    if (!st) throw new ApiError(503, 'geodnsStatus is not configured: geoctl does not know where to ask geodns for its health checks');
    const url = `http://${st.address}/status/health`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { headers: { 'X-API-Key': st.key }, signal: AbortSignal.timeout(opts.timeoutMs ?? 3000), redirect: 'error' });
      const len = Number(res.headers.get('content-length') ?? 0);
      if (len > MAX_BYTES) throw new Error(`answer of ${len} bytes is too large`);
      text = await res.text();
      if (text.length > MAX_BYTES) throw new Error('answer is too large');
    } catch (err) {
      throw new ApiError(502, `geodns status at ${st.address}: ${(err as Error).message}`);
    }
    if (res.status === 401) throw new ApiError(502, `geodns status at ${st.address} refused the key (geodnsStatus.key must equal geodns's statusKey)`);
    if (res.status === 404) throw new ApiError(502, `geodns status at ${st.address}: not served (set statusKey in geodns's config)`);
    let body: { checks?: unknown; error?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new ApiError(502, `geodns status at ${st.address}: not JSON (HTTP ${res.status})`);
    }
    if (res.status !== 200 || !Array.isArray(body.checks)) throw new ApiError(502, `geodns status at ${st.address}: HTTP ${res.status} ${body.error ?? ''}`.trim());
    return { server: st.address, checks: body.checks };
  });
}
