// Our extension (issue 20): GET /api/v1/key says which named key the request
// used and what it may do — {name, read_only, zones} (zones null: every zone) —
// so the web page can say "read-only" before the operator types an edit. It
// never returns the key itself.
import type { FastifyInstance } from 'fastify';

export async function keyRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/v1/key', async (req) => {
    const id = req.apiIdentity;
    return { name: id?.name ?? null, read_only: id?.readOnly ?? false, zones: id?.zones ? [...id.zones].map((z) => `${z}.`) : null };
  });
}
