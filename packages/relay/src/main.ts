#!/usr/bin/env node
// edge-relay: the SNI/TCP/UDP edge relay. `--config FILE` runs it, `--check`
// validates the file and exits; SIGHUP reloads, SIGTERM drains.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { ConfigError, createLogger, handleSignals, metricsService, ServiceGroup, type Logger, type Service } from '@geoedge/shared';
import { parseCli, HELP, type Cli } from './cli.js';
import { loadConfigFile } from './config.js';
import { createRelay } from './app.js';
import { loadTransparent } from './transparent/index.js';
import { createLiveness } from './liveness.js';
import { nativeRefusal } from '@geoedge/linux';
import type { DataPlane } from './dataplane/engine.js';
import { isPrimaryOfMany, runPrimary, workerIndex } from './workers.js';
import { formatHostPort, parseHostPort } from '@geoedge/shared';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(): Promise<number> {
  let args: Cli;
  try {
    args = parseCli(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`edge-relay: ${err.problems.join('\n  ')}\n`);
    return 2;
  }
  if (args.help) { process.stdout.write(HELP); return 0; }
  if (args.version) { process.stdout.write(`edge-relay ${version()}\n`); return 0; }
  const file = args.configFile!;
  const loaded = loadConfigFile(file, args.overrides);
  if (!loaded.ok) {
    process.stderr.write(`edge-relay: ${file}: invalid configuration:\n  ${loaded.problems.join('\n  ')}\n`);
    return 2;
  }
  const warned = loaded.warnings.map((w) => `edge-relay: ${file}: warning: ${w}\n`).join('');
  if (args.check) { process.stderr.write(warned); process.stdout.write(`edge-relay: ${file}: configuration ok\n`); return 0; }
  const config = loaded.config;
  const log = createLogger({ name: 'edge-relay', level: config.logLevel });
  if (!cluster.isWorker) for (const w of loaded.warnings) log.warn({ file }, w); // once, not per worker
  if (isPrimaryOfMany(config.workers)) {
    runPrimary(config.workers, log);
    return -1;
  }
  // A tproxy UDP listener answers from the original destination: a transparent socket bound to it.
  const needsTransparent = [...config.upstreams.values()].some((u) => u.transparent) || config.listeners.some((l) => l.tproxy && l.protocol === 'udp');
  const transparent = needsTransparent ? await loadTransparent(log) : undefined;
  // Unknown architecture or no glibc: the portable path (Node streams, node:dgram), said once here.
  const refused = config.dataPlane === 'engine' ? nativeRefusal() : undefined;
  if (refused) log.warn({ arch: process.arch }, `${refused}; TCP moves through Node streams and UDP through node:dgram`);
  const dataPlane = config.dataPlane === 'engine' && !refused ? await loadDataPlane(log, config.splice) : undefined;
  log.info({ data_plane: dataPlane ? 'engine' : 'streams', splice: dataPlane ? config.splice : false }, 'tcp data plane');
  const relay = createRelay(config, log, { ...(transparent ? { transparent } : {}), ...(dataPlane ? { dataPlane } : {}) });
  const services: Service[] = [relay];
  if (config.admin) {
    const hp = parseHostPort(config.admin);
    // Worker i serves admin port + i; port 0 stays 0 (any free port).
    const admin = formatHostPort({ host: hp.host, port: hp.port === 0 ? 0 : hp.port + workerIndex() });
    // /healthz: unhealthy while the event loop or the engine has not turned for 3 s (liveness.ts).
    const live = createLiveness(dataPlane);
    services.push({ name: 'liveness', start: async () => {}, close: async () => live.close() });
    services.push(metricsService(relay.metrics.registry, admin, log, undefined, () => live.unhealthy()));
    // Test hook only: SIGUSR2 wedges the engine for 5 s (Node's loop keeps turning), so a test can see /healthz notice.
    if (process.env.EDGE_RELAY_TEST_HOOKS === '1' && dataPlane) process.on('SIGUSR2', () => dataPlane.stall(5000));
  }
  const group = new ServiceGroup(log);
  try {
    await group.start(services);
  } catch (err) {
    log.fatal({ err }, 'cannot start');
    await group.close();
    return 1;
  }
  handleSignals(log, {
    drainMs: config.drainTimeoutMs + 2000,
    shutdown: () => group.close(),
    reload: async () => {
      const next = loadConfigFile(file, args.overrides);
      if (!next.ok) { log.error({ problems: next.problems }, 'reload rejected: invalid configuration, keeping the old one'); return; }
      for (const w of next.warnings) log.warn({ file }, w);
      const r = await relay.reload(next.config);
      if (r.ok) log.info('configuration reloaded');
      else log.error({ reason: r.message }, 'reload rejected, keeping the old configuration');
    },
  });
  return -1;
}

main().then(
  (code) => { if (code >= 0) process.exitCode = code; },
  (err) => { process.stderr.write(`edge-relay: ${(err as Error).stack ?? err}\n`); process.exit(1); },
);

/** The data plane engine, or undefined (pipe() is used) where the native layer cannot load. */
async function loadDataPlane(log: Logger, splice: boolean): Promise<DataPlane | undefined> {
  try {
    // Imported here: a native layer that cannot load must not stop the relay.
    return (await import('./dataplane/engine.js')).dataPlane({
      splice,
      // A bug in a handler the loop called: logged, and the loop goes on with the rest of its batch.
      onError: (err) => log.error({ err }, 'data plane: exception in an event handler'),
    });
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'data plane engine unavailable, TCP bytes move through Node streams');
    return undefined;
  }
}
