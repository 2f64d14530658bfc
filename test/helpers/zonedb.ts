// zonedb's test helpers (private MariaDB instances, replication, scratch
// databases, row fixtures) for the geodns whole-process tests, plus a pool
// opener that throws, which keeps test set-up short.
import { openDb, type Db } from '@geoedge/zonedb';

export * from '@geoedge/zonedb/testing';

export async function openDbOrThrow(url: string): Promise<Db> {
  const r = await openDb(url, { connectTimeoutMs: 3000 });
  if (!r.ok) throw r.error;
  return r.db;
}
