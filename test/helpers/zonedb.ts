// zonedb's test helpers (private MariaDB instances, replication, scratch
// databases, row fixtures) for the geodns whole-process tests, plus a pool
// opener that throws, which keeps test set-up short.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, migrate, type Db } from '@geoedge/zonedb';
import { runProgram, type MariaDbInstance } from '@geoedge/zonedb/testing';

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

/** pdnsutil (gmysql backend, DNSSEC on) over one scratch database: a config directory of its own. */
export interface Pdnsutil {
  /** The config directory (also a socket directory for a pdns_server on the same database). */
  dir: string;
  /** The gmysql settings, `key=value`, for pdns.conf or as pdns_server flags (`--key=value`). */
  gmysql: string[];
  /** Runs pdnsutil with these arguments; fails the test on a non-zero exit; its stdout. */
  run(...args: string[]): Promise<string>;
  remove(): Promise<void>;
}

export async function pdnsutilFor(server: { host: string; port: number }, dbName: string, prefix: string): Promise<Pdnsutil> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const gmysql = [`gmysql-host=${server.host}`, `gmysql-port=${server.port}`, 'gmysql-user=root', 'gmysql-password=', `gmysql-dbname=${dbName}`, 'gmysql-dnssec=yes'];
  await writeFile(join(dir, 'pdns.conf'), ['launch=gmysql', ...gmysql, ''].join('\n'));
  return {
    dir,
    gmysql,
    async run(...args) {
      const r = await runProgram('pdnsutil', [`--config-dir=${dir}`, ...args]);
      assert.equal(r.code, 0, `pdnsutil ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
      return r.stdout;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
