// Test helpers (imported as @geoedge/zonedb/testing, never by production code):
// private mariadbd instances through scripts/mariadb/instance.sh, replication
// through deploy/mariadb/setup-replication.sh (so tests run the shipped
// scripts). The run's shared instance and throwaway databases on it are in
// shared-server.ts.
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from packages/zonedb/dist/testing/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const INSTANCE_SH = join(REPO_ROOT, 'scripts/mariadb/instance.sh');
const SETUP_REPLICATION_SH = join(REPO_ROOT, 'deploy/mariadb/setup-replication.sh');
export const PRIMARY_CNF = join(REPO_ROOT, 'deploy/mariadb/primary.cnf');
export const REPLICA_CNF = join(REPO_ROOT, 'deploy/mariadb/replica.cnf');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion; never throws on a non-zero exit. */
export function runProgram(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** A TCP port free on 127.0.0.1 now. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface MariaDbInstance {
  readonly dir: string;
  readonly port: number;
  readonly serverId: number;
  /** `mysql://root@127.0.0.1:<port>/<database>` */
  url(database: string): string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and deletes its directory. */
  clean(): Promise<void>;
}

/**
 * Starts a private mariadbd (own datadir, port, socket, server-id, binlog) with
 * the given config file. A port found free can be taken by another process
 * before mariadbd binds it, so a failed start is retried on a new port.
 * The instance directory is made under `under` (default: the system temp dir).
 */
export async function startMariaDb(opts: { serverId: number; cnf?: string; under?: string }): Promise<MariaDbInstance> {
  for (let attempt = 1; ; attempt++) {
    const inst = await instanceOnFreePort(opts);
    try {
      await inst.start();
      return inst;
    } catch (err) {
      await inst.clean();
      if (attempt === 3) throw err;
    }
  }
}

/** A primary and a replica with the deploy config files; if one cannot start, the other is cleaned up. */
export async function startPair(): Promise<{ primary: MariaDbInstance; replica: MariaDbInstance }> {
  const [p, r] = await Promise.allSettled([
    startMariaDb({ serverId: 1, cnf: PRIMARY_CNF }),
    startMariaDb({ serverId: 2, cnf: REPLICA_CNF }),
  ]);
  if (p.status === 'fulfilled' && r.status === 'fulfilled') return { primary: p.value, replica: r.value };
  if (p.status === 'fulfilled') await p.value.clean();
  if (r.status === 'fulfilled') await r.value.clean();
  throw p.status === 'rejected' ? p.reason : (r as PromiseRejectedResult).reason;
}

async function instanceOnFreePort(opts: { serverId: number; cnf?: string; under?: string }): Promise<MariaDbInstance> {
  const dir = await mkdtemp(join(opts.under ?? tmpdir(), `geoedge-mariadb-${opts.serverId}-`));
  const port = await freeTcpPort();
  const inst: MariaDbInstance = {
    dir,
    port,
    serverId: opts.serverId,
    url: (db) => `mysql://root@127.0.0.1:${port}/${db}`,
    async start() {
      const r = await runProgram(INSTANCE_SH, ['start', dir, String(port), String(opts.serverId), ...(opts.cnf ? [opts.cnf] : [])]);
      if (r.code !== 0) throw new Error(`instance.sh start failed (${r.code}):\n${r.stdout}${r.stderr}`);
    },
    async stop() {
      await runProgram(INSTANCE_SH, ['stop', dir]);
    },
    async clean() {
      await runProgram(INSTANCE_SH, ['clean', dir]);
    },
  };
  return inst;
}

/** Runs deploy/mariadb/setup-replication.sh between two local instances. */
export function setupReplication(primary: MariaDbInstance, replica: MariaDbInstance, opts: { password: string; databases?: string[] }): Promise<RunResult> {
  const args = ['--primary', `127.0.0.1:${primary.port}`, '--replica', `127.0.0.1:${replica.port}`];
  if (opts.databases?.length) args.push('--databases', opts.databases.join(' '));
  return runProgram(SETUP_REPLICATION_SH, args, { REPL_PASSWORD: opts.password });
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
