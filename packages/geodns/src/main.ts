#!/usr/bin/env -S node --min-semi-space-size=16
// geodns entry point: flags → config → services. With `workers > 1` the primary
// forks workers (Node cluster) that share the listening sockets; the primary only
// supervises, forwards SIGHUP and serves aggregated metrics.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createStatusHandler } from './status.js';
import { createMapStatusHandler } from './status-map.js';
import { ConfigError, createLogger, handleSignals, metricsService, clusterRegistry, type Logger } from '@geoedge/shared';
import { parseCli, HELP } from './cli.js';
import { loadConfig, readCookieSecretFile, type Config } from './config.js';
import { randomBytes } from 'node:crypto';
import { runServer, COOKIE_SECRET_ENV } from './run.js';
import { missingNodeFlags } from './node-flags.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(): Promise<void> {
  let cfg: Config;
  try {
    const cli = parseCli(process.argv.slice(2));
    if (cli.help) { process.stdout.write(HELP); return; }
    if (cli.version) { process.stdout.write(`geodns ${version()}\n`); return; }
    cfg = loadConfig(cli.configFile, cli.overrides);
    if (cli.check) { process.stdout.write('geodns: config ok\n'); return; }
    // Read at start (not by --check, which runs where the secret may not be installed yet).
    if (cfg.cookies.enabled && cfg.cookies.secretFile !== undefined) readCookieSecretFile(cfg.cookies.secretFile);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`geodns: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ name: 'geodns', level: cfg.logLevel });
  const missing = missingNodeFlags(process.execArgv);
  if (cfg.workers > 1 && cluster.isPrimary) {
    // Workers are where queries are answered: they get the flags even if this process lacks them.
    cluster.setupPrimary({ execArgv: [...process.execArgv, ...missing] });
    return supervise(cfg, log);
  }
  if (missing.length > 0) log.info({ flags: missing }, `node was started without ${missing.join(' ')}; big zone sets answer slower after idle spells (see src/node-flags.ts)`);
  await runServer(cfg, log, cluster.isWorker);
}

async function supervise(cfg: Config, log: Logger): Promise<void> {
  let stopping = false;
  const ready = new Set<number>();
  // Workers share the sockets, so a client's next packet may reach another one: without a
  // configured secret, they must still share one (RFC 9018 server cookies).
  const cookieEnv = cfg.cookies.enabled && cfg.cookies.secret === undefined ? { [COOKIE_SECRET_ENV]: randomBytes(16).toString('hex') } : {};
  const fork = () => {
    if (stopping) return;
    const w = cluster.fork(cookieEnv);
    w.on('message', (m: unknown) => { if (m === 'geodns:ready') ready.add(w.id); });
  };
  for (let i = 0; i < cfg.workers; i++) fork();
  const metrics = cfg.metrics ? metricsService(clusterRegistry(), cfg.metrics, log, clusterStatus(cfg.statusKey)) : undefined;
  const shutdown = async () => {
    stopping = true;
    await metrics?.close();
    const live = Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead());
    await Promise.all(live.map((w) => new Promise<void>((r) => { w!.once('exit', () => r()); w!.process.kill('SIGTERM'); })));
  };
  cluster.on('exit', (w, code, signal) => {
    if (stopping) return;
    if (!ready.has(w.id)) {
      // A worker that never came up (bad zone dir, database down without cache,
      // port taken) will fail the same way again: stop instead of re-forking forever.
      log.fatal({ worker: w.process.pid, code, signal }, 'worker failed to start; exiting');
      void shutdown().finally(() => process.exit(code || 1));
      return;
    }
    ready.delete(w.id);
    log.error({ worker: w.process.pid, code, signal }, 'worker died; starting another');
    setTimeout(fork, 500).unref();
  });
  await metrics?.start();
  handleSignals(log, {
    reload: () => { for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP'); },
    shutdown,
  });
}

main().catch((err) => {
  process.stderr.write(`geodns: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});

/** A cluster primary has no checker, GeoIP or Lua: its /status paths answer 503 (with the key). */
function clusterStatus(statusKey: string | undefined) {
  const health = createStatusHandler(statusKey, undefined);
  const map = createMapStatusHandler(statusKey, {});
  return (path: string, req: import('node:http').IncomingMessage) => health(path, req) ?? map(path, req);
}
