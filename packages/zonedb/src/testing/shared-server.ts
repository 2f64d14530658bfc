// The test run's own MariaDB, shared by every test process that needs a
// database, and throwaway databases on it. No test may depend on a server the
// machine happens to run: a fresh Debian has none on 127.0.0.1:3306, and its
// root logs in over the unix socket only (issue 22).
//
// scripts/run-tests.mjs makes a run directory and passes it in
// GEOEDGE_TEST_RUN_DIR. The first process that asks for the server claims the
// directory (mkdir is atomic across processes), starts the instance inside it
// and publishes its address in mariadb.json; the others wait for that file.
// So a run whose tests need no database starts none, and a run that needs one
// pays one start (about 3 s, while the other test processes keep running).
// The runner stops the instance and deletes the directory when the run ends,
// also on Ctrl-C: the one owner of the stop is the one process that outlives
// every test. A test file run on its own (`node --test file.js`, a benchmark)
// has no run directory: it starts an instance for itself and stops it when
// it exits.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDb, type Db } from '../db.js';
import { INSTANCE_SH, REPO_ROOT, startMariaDb, waitFor, type MariaDbInstance } from './mariadb.js';

/** The settings of a stock Debian server (utf8mb4) and a throwaway's durability. */
export const SHARED_CNF = join(REPO_ROOT, 'scripts/mariadb/test.cnf');
const RUN_DIR_ENV = 'GEOEDGE_TEST_RUN_DIR';
const PUBLISHED = 'mariadb.json';
const FAILED = 'mariadb.error';
const CLAIM = 'mariadb.claim';
/** Three start attempts of up to 30 s each (startMariaDb), and some margin. */
const WAIT_MS = 120_000;

export interface SharedMariaDb {
  /** `mysql://root@127.0.0.1:<port>`, no database: append `/<name>`. root has no password. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The unix socket, for clients that take one (`?socket=` in a URL). */
  readonly socket: string;
}

let shared: Promise<SharedMariaDb> | undefined;

/** The run's shared server, started on first use (once per process, once per run). */
export function sharedMariaDb(): Promise<SharedMariaDb> {
  const runDir = process.env[RUN_DIR_ENV];
  shared ??= runDir ? joinRun(runDir) : startOwn();
  return shared;
}

function describe(inst: MariaDbInstance): SharedMariaDb {
  return { url: `mysql://root@127.0.0.1:${inst.port}`, host: '127.0.0.1', port: inst.port, socket: join(inst.dir, 'mysqld.sock') };
}

async function joinRun(runDir: string): Promise<SharedMariaDb> {
  try {
    await mkdir(join(runDir, CLAIM));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return waitForPublished(runDir);
  }
  await writeFile(join(runDir, CLAIM, 'pid'), String(process.pid));
  try {
    // Inside the run directory, so the runner finds it to stop it.
    const server = describe(await startMariaDb({ serverId: 1, cnf: SHARED_CNF, under: runDir }));
    await writeFile(join(runDir, `${PUBLISHED}.tmp`), JSON.stringify(server));
    await rename(join(runDir, `${PUBLISHED}.tmp`), join(runDir, PUBLISHED));
    return server;
  } catch (err) {
    await writeFile(join(runDir, FAILED), (err as Error).message);
    throw err;
  }
}

function waitForPublished(runDir: string): Promise<SharedMariaDb> {
  const read = (name: string) => readFile(join(runDir, name), 'utf8').catch(() => undefined);
  return waitFor(`the run's shared MariaDB (${runDir})`, async () => {
    const published = await read(PUBLISHED);
    if (published !== undefined) return JSON.parse(published) as SharedMariaDb;
    const failed = await read(FAILED);
    if (failed !== undefined) throw new Error(`the run's shared MariaDB did not start: ${failed}`);
    const pid = Number(await read(join(CLAIM, 'pid')));
    if (pid > 0 && !alive(pid)) throw new Error(`the process that was starting the run's shared MariaDB (pid ${pid}) died`);
    return undefined;
  }, WAIT_MS, 50);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** No runner: this process's own instance, stopped when the process exits (or is interrupted). */
async function startOwn(): Promise<SharedMariaDb> {
  const inst = await startMariaDb({ serverId: 1, cnf: SHARED_CNF });
  process.once('exit', () => spawnSync(INSTANCE_SH, ['clean', inst.dir], { stdio: 'ignore' }));
  // mariadbd runs in its own session (instance.sh), so a signal that kills this
  // process would leave it running: turn the signal into an exit.
  for (const [sig, n] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) process.once(sig, () => process.exit(128 + n));
  return describe(inst);
}

export interface ScratchDb {
  readonly name: string;
  readonly url: string;
  readonly db: Db;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/**
 * Creates a throwaway database on `server` (a URL without a path; default: the
 * run's shared MariaDB) and opens a pool on it.
 */
export async function scratchDatabase(prefix: string, server?: string): Promise<ScratchDb> {
  const base = server ?? (await sharedMariaDb()).url;
  const name = `zt_${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = await openDb(`${base}/mysql`, { connections: 1 });
  if (!admin.ok) throw admin.error;
  try {
    await admin.db.execute(`CREATE DATABASE \`${name}\``);
  } finally {
    await admin.db.close();
  }
  const opened = await openDb(`${base}/${name}`);
  if (!opened.ok) throw opened.error;
  const db = opened.db;
  return {
    name,
    url: `${base}/${name}`,
    db,
    async drop() {
      await db.close().catch(() => {});
      const a = await openDb(`${base}/mysql`, { connections: 1 });
      if (a.ok) {
        await a.db.execute(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => {});
        await a.db.close();
      }
    },
  };
}
