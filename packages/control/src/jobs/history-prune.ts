// Keeps the change history (zonedb history.ts) to `history.retentionDays`:
// pruned once at start and then every few hours. A failed prune is logged and
// tried again next time; it never stops the API (the table only grows a little).
import type { Logger, Service } from '@geoedge/shared';
import { pruneHistory, type DbSession } from '@geoedge/zonedb';

export const PRUNE_EVERY_MS = 6 * 3600_000;

export function createHistoryPruner(db: DbSession, retentionDays: number, log: Logger, everyMs = PRUNE_EVERY_MS): Service & { pruneNow(): Promise<number> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  const pruneNow = (): Promise<number> => {
    running ??= pruneHistory(db, retentionDays)
      .then((n) => {
        if (n > 0) log.info({ job: 'history-prune', deleted: n, retention_days: retentionDays }, 'change history pruned');
        return n;
      })
      .catch((err: unknown) => {
        log.error({ job: 'history-prune', err }, 'change history prune failed');
        return 0;
      })
      .finally(() => { running = undefined; });
    return running;
  };
  return {
    name: 'history-prune',
    pruneNow,
    start: async () => {
      void pruneNow();
      timer = setInterval(() => void pruneNow(), everyMs);
      timer.unref();
    },
    close: async () => {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
