// zonedb's test helpers (private MariaDB instances, replication, scratch
// databases, row fixtures) for the geodns whole-process tests, plus a pool
// opener that throws, which keeps test set-up short.
import { openDb, migrate, type Db } from '@geoedge/zonedb';
import type { MariaDbInstance } from '@geoedge/zonedb/testing';

export * from '@geoedge/zonedb/testing';

export async function openDbOrThrow(url: string): Promise<Db> {
  const r = await openDb(url, { connectTimeoutMs: 3000 });
  if (!r.ok) throw r.error;
  return r.db;
}

/** Creates database `pdns` on a private instance with the PowerDNS schema; returns a pool on it. */
export async function createPdnsDb(inst: MariaDbInstance): Promise<Db> {
  const admin = await openDbOrThrow(inst.url('mysql'));
  try {
    await admin.execute('CREATE DATABASE pdns');
  } finally {
    await admin.close();
  }
  const db = await openDbOrThrow(inst.url('pdns'));
  const m = await migrate(db);
  if (!m.ok) throw new Error(`migrate failed: ${JSON.stringify(m)}`);
  return db;
}
