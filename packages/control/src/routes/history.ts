// Our extension to the PowerDNS API (issue 20; PowerDNS has no such route): a
// zone's change history, newest first, as recorded by every change made
// through this API (zonedb history.ts):
//   GET …/zones/{id}/history[?limit=50][&before=<id>]
//     → [{id, time, key, action, zone, before: {rrsets, …}, after: {rrsets, …}}]
// `before`/`after` hold the RRsets the change touched (PowerDNS RRset objects,
// without comments), or the metadata kind / zone fields for those actions;
// `omitted` counts records left out of a very large side. A zone that no longer
// exists still has its history (a deletion is the last entry), so an unknown
// zone answers an empty list, not 404. Paging: pass the last id seen as `before`.
import type { FastifyInstance } from 'fastify';
import { listHistory, type Db, type HistorySide } from '@geoedge/zonedb';
import { ApiError } from '../plugins/errors.js';
import { zoneFromId } from './zone-id.js';
import { buildRRsets } from './zone-view.js';

export interface HistoryRoutesOptions { db: Db }

export async function historyRoutes(app: FastifyInstance, opts: HistoryRoutesOptions): Promise<void> {
  app.get<{ Params: { server: string; zone: string }; Querystring: Record<string, string | undefined> }>(
    '/api/v1/servers/:server/zones/:zone/history',
    async (req) => {
      if (req.params.server !== 'localhost') throw new ApiError(404, 'Not Found');
      const ref = zoneFromId(req.params.zone);
      if (!ref) throw new ApiError(404, `Could not find domain '${req.params.zone}'`);
      const limit = intParam(req.query.limit, 'limit', 1, 500) ?? 50;
      const beforeId = intParam(req.query.before, 'before', 1, Number.MAX_SAFE_INTEGER);
      const entries = await listHistory(opts.db, ref.stored, { limit, ...(beforeId !== undefined ? { beforeId } : {}) });
      return entries.map((e) => ({
        id: e.id,
        time: e.changedAt,
        key: e.key,
        action: e.action,
        zone: ref.fqdn,
        before: sideView(e.before),
        after: sideView(e.after),
      }));
    },
  );
}

function sideView(side: HistorySide): Record<string, unknown> {
  const { records, ...rest } = side;
  if (!records) return rest;
  const rrsets = buildRRsets(records.map((r) => ({ ...r, id: 0, auth: 1, disabled: Number(r.disabled) })), []).map(({ comments: _c, ...rr }) => rr);
  return { rrsets, ...rest };
}

function intParam(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new ApiError(422, `${name} must be a whole number from ${min} to ${max}`);
  return n;
}
