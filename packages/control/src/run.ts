// What each geoctl subcommand does once its config is checked. Return value is
// the exit code; -1 means "keep running" (serve).
import { ConfigError, ServiceGroup, handleSignals, parseHostPort, type Logger, type Service } from '@geoedge/shared';
import type { Config } from './config.js';
import { buildApp } from './app.js';
import { createControlMetrics, type ControlMetrics } from './metrics.js';
import { loadGeoipConf, type GeoipConf } from './jobs/geoip-conf.js';
import { createGeoipUpdater, type GeoipUpdater } from './jobs/geoip-update.js';
import { scheduleJob } from './plugins/scheduler.js';
import { openDb, migrate, hasHistoryTable, HISTORY_TABLE } from '@geoedge/zonedb';
import { createHistoryPruner } from './jobs/history-prune.js';

type UpdaterSetup = { kind: 'ok'; updater: GeoipUpdater } | { kind: 'absent'; reason: string };

/**
 * The GeoIP.conf of this config: a named one (flag, key or GEOIPUPDATE_* variables)
 * that is wrong is a config error; none at all just disables updates.
 */
function geoipConf(cfg: Config): { kind: 'ok'; conf: GeoipConf } | { kind: 'absent'; reason: string } {
  const r = loadGeoipConf({ ...(cfg.geoip.conf ? { file: cfg.geoip.conf } : {}), ...(cfg.geoip.dir ? { databaseDirectory: cfg.geoip.dir } : {}) });
  if (r.kind !== 'error') return { kind: 'ok', conf: r.conf };
  const named = cfg.geoip.conf !== undefined || Object.keys(process.env).some((k) => k.startsWith('GEOIPUPDATE_'));
  if (named) throw new ConfigError(r.problems.map((p) => `geoip: ${p}`));
  return { kind: 'absent', reason: 'no GeoIP.conf given (--geoip-conf or geoip.conf)' };
}

function setupUpdater(cfg: Config, log: Logger, metrics?: ControlMetrics): UpdaterSetup {
  const c = geoipConf(cfg);
  if (c.kind === 'absent') return c;
  const updater = createGeoipUpdater(c.conf, { log: log.child({ component: 'geoip' }), deadlineMs: cfg.geoip.deadlineMs, ...(metrics ? { onOutcome: (o) => metrics.geoipOutcome(o) } : {}) });
  return { kind: 'ok', updater };
}

/** `--check`: what the command would refuse at start (config, GeoIP.conf, --db for migrate); nothing is started or contacted. */
export function runCheck(cfg: Config, command: 'serve' | 'geoip-update' | 'migrate'): number {
  if (command === 'migrate') requireDb(cfg);
  else {
    const c = geoipConf(cfg);
    if (c.kind === 'absent' && command === 'geoip-update') throw new ConfigError([`geoip: ${c.reason}`]);
  }
  process.stdout.write('geoctl: config ok\n');
  return 0;
}

export async function runGeoipUpdate(cfg: Config, log: Logger): Promise<number> {
  const s = setupUpdater(cfg, log);
  if (s.kind === 'absent') throw new ConfigError([`geoip: ${s.reason}`]);
  const r = await s.updater.run();
  if (r.kind === 'busy') {
    process.stderr.write(`geoctl: ${r.message}\n`);
    return 3;
  }
  for (const e of r.editions) {
    const detail = e.kind === 'error' ? `${e.code}: ${e.message}` : e.kind === 'updated' ? `md5 ${e.md5}, released ${e.date}` : `md5 ${e.md5}${e.date ? `, released ${e.date}` : ''}`;
    process.stdout.write(`${e.editionId}: ${e.kind} (${detail})\n`);
  }
  return r.ok ? 0 : 1;
}

export async function runServe(cfg: Config, log: Logger): Promise<number> {
  const metrics = createControlMetrics();
  const s = setupUpdater(cfg, log, metrics);
  if (s.kind === 'absent') log.warn({ reason: s.reason }, 'GeoIP updates disabled');
  if (!cfg.apiKey && !cfg.apiKeys.length) log.warn('no apiKey or apiKeys configured: every /api request will be refused');
  const updater = s.kind === 'ok' ? s.updater : undefined;
  const job = updater && cfg.geoip.enabled
    ? scheduleJob('geoip-update', cfg.geoip.schedule, log, async () => {
        const r = await updater.run();
        // Per-edition results are logged by the updater; only a skipped run is noted here.
        if (r.kind === 'busy') log.warn({ job: 'geoip-update', reason: r.message }, 'scheduled geoip update skipped');
      })
    : undefined;
  // The zone API needs the database; without --db/db: geoctl serves only the server and GeoIP routes.
  const opened = cfg.db ? await openDb(cfg.db) : undefined;
  if (opened && !opened.ok) {
    process.stderr.write(`geoctl: ${opened.error.code}: ${opened.error.message}\n`);
    return 1;
  }
  const db = opened?.db;
  if (!db) log.warn('no db configured: the zone API (…/zones) is not served');
  // Changes the history could not record are refused rather than made unrecorded.
  const historyProblem = db && !(await hasHistoryTable(db).catch(() => false))
    ? `the change history table ${HISTORY_TABLE} is missing: run geoctl migrate; zone changes are refused until then`
    : undefined;
  if (historyProblem) log.error(historyProblem);
  const pruner = db && !historyProblem ? createHistoryPruner(db, cfg.history.retentionDays, log) : undefined;
  const app = await buildApp({
    config: cfg,
    log,
    metrics,
    ...(db ? { db } : {}),
    ...(historyProblem ? { historyProblem } : {}),
    ...(updater ? { updater } : { updaterProblem: s.kind === 'absent' ? s.reason : '' }),
    ...(job ? { nextGeoipRun: () => job.nextRun() } : {}),
  });
  const { host, port } = parseHostPort(cfg.listen);
  const api: Service = {
    name: 'api',
    start: async () => void (await app.listen({ host, port })),
    close: async () => {
      await app.close();
      await db?.close();
    },
  };
  const group = new ServiceGroup(log);
  try {
    await group.start([api, ...(job ? [job] : []), ...(pruner ? [pruner] : [])]);
  } catch (err) {
    // A port taken, an address not local: one fatal log line and exit 1, as geodns and edge-relay.
    log.fatal({ err }, 'cannot start');
    await group.close();
    return 1;
  }
  handleSignals(log, { shutdown: () => group.close() });
  return -1;
}

function requireDb(cfg: Config): string {
  if (!cfg.db) throw new ConfigError(['/db: required for migrate (--db mysql://user:pass@host:port/db)']);
  return cfg.db;
}

export async function runMigrate(cfg: Config, log: Logger): Promise<number> {
  const opened = await openDb(requireDb(cfg));
  if (!opened.ok) {
    process.stderr.write(`geoctl: ${opened.error.code}: ${opened.error.message}\n`);
    return 1;
  }
  const db = opened.db;
  try {
    const r = await migrate(db);
    if (!r.ok) {
      process.stderr.write(`geoctl: ${r.code}: ${r.message}\n`);
      return 1;
    }
    log.info({ action: r.action, created: r.createdTables, version: r.version }, 'schema migrated');
    process.stdout.write(`schema ${r.action} (version ${r.version}${r.createdTables.length ? `; created ${r.createdTables.join(', ')}` : ''})\n`);
    for (const n of r.notes) process.stdout.write(`note: ${n}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
