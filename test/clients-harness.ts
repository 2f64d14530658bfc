// The stack the real-client tests (test/clients-*.test.ts) talk to: a scratch
// database in the PowerDNS schema, `geoctl serve --db` as a process (the API the
// clients use) and `geodns --db` on the same database (what they, or an ACME
// server, then query). Also runs a client program to its end with its output kept.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { migrate } from '@geoedge/zonedb';
import { scratchDatabase, waitFor, type ScratchDb } from '@geoedge/zonedb/testing';
import { dig, freePort, startGeodns, startProcess, REPO_ROOT, type Geodns, type Proc } from './helpers/index.js';

const GEOCTL = join(REPO_ROOT, 'packages', 'control', 'dist', 'main.js');

export interface Stack {
  key: string;
  /** http://127.0.0.1:port of geoctl */
  base: string;
  geoctl: Proc;
  geodns: Geodns;
  db: ScratchDb;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }>;
  /** Waits until geodns answers the zone's SOA (it polls the database every 500 ms). */
  served(zone: string): Promise<void>;
  /** geoctl's and geodns's last log lines, for failure messages. */
  logs(): string;
  close(): Promise<void>;
}

export async function startStack(prefix: string, key: string): Promise<Stack> {
  const db = await scratchDatabase(prefix);
  assert.ok((await migrate(db.db)).ok);
  const port = await freePort();
  const geoctl = startProcess(process.execPath, [GEOCTL, 'serve', '--listen', `127.0.0.1:${port}`, '--db', db.url], {
    env: { ...process.env, GEOCTL_API_KEY: key, LOG_LEVEL: 'info' },
  });
  await geoctl.waitForLine(/Server listening/, 20_000);
  const geodns = await startGeodns({ args: ['--db', db.url, '--log-queries'] });
  const base = `http://127.0.0.1:${port}`;
  return {
    key, base, geoctl, geodns, db,
    async api(method, path, body) {
      const r = await fetch(`${base}/api/v1/servers/localhost${path}`, {
        method, headers: { 'X-API-Key': key, ...(body ? { 'Content-Type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: r.status, text: await r.text() };
    },
    async served(zone) {
      await waitFor(`geodns serves ${zone}`, async () => ((await dig(geodns, [zone, 'SOA'])).status === 'NOERROR' ? true : undefined), 15_000);
    },
    logs: () => `--- geoctl\n${geoctl.tail(40)}\n--- geodns\n${geodns.proc.tail(20)}`,
    async close() {
      await geodns.stop();
      await geoctl.stop();
      await db.drop();
    },
  };
}

export interface RunResult { code: number | null; out: string }

/** Runs a client to its end (killed after `timeoutMs`), stdout and stderr interleaved. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, ...(opts.cwd ? { cwd: opts.cwd } : {}), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    const timer = setTimeout(() => { out += `\n[killed after ${opts.timeoutMs ?? 120_000} ms]`; child.kill('SIGKILL'); }, opts.timeoutMs ?? 120_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}
