#!/usr/bin/env node
// geodns entry point: flags → config → services. With `workers > 1` the primary
// forks workers (Node cluster) that share the listening sockets; the primary only
// supervises, forwards SIGHUP and serves aggregated metrics.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { ConfigError, createLogger, handleSignals, metricsService, clusterRegistry, type Logger } from '@geoedge/shared';
import { parseCli, HELP } from './cli.js';
import { loadConfig, type Config } from './config.js';
import { runServer } from './run.js';

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
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`geodns: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ name: 'geodns', level: cfg.logLevel });
  if (cfg.workers > 1 && cluster.isPrimary) return supervise(cfg, log);
  await runServer(cfg, log, cluster.isWorker);
}

async function supervise(cfg: Config, log: Logger): Promise<void> {
  let stopping = false;
  const fork = () => cluster.fork();
  for (let i = 0; i < cfg.workers; i++) fork();
  cluster.on('exit', (w, code, signal) => {
    if (stopping) return;
    log.error({ worker: w.process.pid, code, signal }, 'worker died; starting another');
    setTimeout(fork, 500).unref();
  });
  const metrics = cfg.metrics ? metricsService(clusterRegistry(), cfg.metrics, log) : undefined;
  await metrics?.start();
  handleSignals(log, {
    reload: () => { for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP'); },
    shutdown: async () => {
      stopping = true;
      await metrics?.close();
      await Promise.all(Object.values(cluster.workers ?? {}).map((w) => new Promise<void>((r) => { w?.once('exit', () => r()); w?.process.kill('SIGTERM'); })));
    },
  });
}

main().catch((err) => {
  process.stderr.write(`geodns: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
