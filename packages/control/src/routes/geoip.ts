// GeoIP updater routes (ours, not PowerDNS's):
//   POST /api/v1/geoip/update  runs one update now and answers with each
//                              edition's outcome: 200 all fine, 502 some edition
//                              failed (the update server or the download was bad),
//                              409 another run holds the lock.
//   GET  /api/v1/geoip/status  each edition's installed MD5/date and last result.
import type { FastifyInstance } from 'fastify';
import type { GeoipUpdater } from '../jobs/geoip-update.js';
import { ApiError } from '../plugins/errors.js';
import { IGNORES_BODY } from '../plugins/request-parsing.js';

export interface GeoipRoutesOptions {
  updater: GeoipUpdater | undefined;
  /** Why there is no updater (e.g. GeoIP.conf problems), for the 503 answer. */
  unavailable?: string;
  schedule?: string;
  nextRun?: () => Date | null;
}

export async function geoipRoutes(app: FastifyInstance, opts: GeoipRoutesOptions): Promise<void> {
  const need = (): GeoipUpdater => {
    if (!opts.updater) throw new ApiError(503, `GeoIP updates are not configured: ${opts.unavailable ?? 'no GeoIP.conf'}`);
    return opts.updater;
  };
  // Takes no body: like PowerDNS's notify, an empty or stray one is ignored (request-parsing.ts).
  app.post('/api/v1/geoip/update', { config: IGNORES_BODY }, async (_req, reply) => {
    const r = await need().run();
    if (r.kind === 'busy') throw new ApiError(409, r.message);
    return reply.code(r.ok ? 200 : 502).send({
      ok: r.ok,
      started_at: r.startedAt.toISOString(),
      finished_at: r.finishedAt.toISOString(),
      editions: r.editions.map((e) => ({
        edition_id: e.editionId,
        result: e.kind,
        ...(e.kind === 'error' ? { code: e.code, error: e.message } : { md5: e.md5 }),
        ...(e.kind !== 'error' && e.date ? { date: e.date } : {}),
        ...(e.kind === 'updated' ? { bytes: e.bytes } : {}),
      })),
      ...(r.ok ? {} : { error: 'some GeoIP editions failed to update' }),
    });
  });
  app.get('/api/v1/geoip/status', async () => {
    const u = need();
    const editions = await u.status();
    return {
      database_directory: u.conf.databaseDirectory,
      schedule: opts.schedule ?? null,
      next_run: opts.nextRun?.()?.toISOString() ?? null,
      editions: editions.map((s) => ({
        edition_id: s.editionId,
        md5: s.md5 ?? null,
        date: s.date ?? null,
        file_modified_at: s.fileModifiedAt ?? null,
        last_result: s.lastResult ?? null,
        last_error: s.lastError ?? null,
        last_attempt_at: s.lastAttemptAt ?? null,
        last_success_at: s.lastSuccessAt ?? null,
      })),
    };
  });
}
