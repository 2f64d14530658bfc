// Command-line flags. Every flag maps onto a config key; flags win over the file.
import { parseArgs } from 'node:util';
import { COMMON_FLAGS, ConfigError, type ProgramCli } from '@geoedge/shared';
import type { Overrides } from './config.js';

export const HELP = `geodns: authoritative GeoDNS server

Usage: geodns [flags]

Flags (each overrides the same key of the config file):
  --config FILE        YAML or JSON config file (keys: listen, zones, geoip, db, dbCache, metrics, statusKey,
                       logQueries, logLevel, workers, tcp.idleTimeoutMs, tcp.queryTimeoutMs,
                       tcp.maxConnections, tcp.maxConnectionsPerClient, tcp.maxPendingBytes, edns.payload, cnameChainLimit, udpBatch, answerCache.entries, lua.*,
                       dnssec.keyDir, dnssec.denial)
  --listen HOST:PORT   address to serve DNS on, UDP and TCP; repeatable; IPv6 as [::1]:53
                       (default 127.0.0.1:5300)
  --zones DIR          directory of zone files, one per zone, named after the zone
                       (default: the example zone shipped with geodns, when no --db)
  --geoip FILE         MaxMind .mmdb database (City, Country or ASN); repeatable, first wins
  --db URL             MariaDB/MySQL zone source in the PowerDNS schema: mysql://user:pass@host:port/db
                       (zone files win over database zones of the same name)
  --db-cache FILE      snapshot of the database zones, written after each load, used at start
                       when the database is unreachable (default $STATE_DIRECTORY, else
                       ~/.local/state/geodns/db-cache-<hash of URL>.jsonl)
  --metrics HOST:PORT  serve Prometheus metrics at http://HOST:PORT/metrics
  --log-queries        log one line per query (off by default)
  --log-level LEVEL    fatal, error, warn, info, debug, trace or silent (default info)
  --workers N          number of worker processes (Node cluster); default 1
  --check              validate the config and flags, print "geodns: config ok", exit 0 (2 if invalid)
  --help               print this help and exit
  --version            print the version and exit

Environment: LOG_LEVEL sets the log level when --log-level is not given (it wins over the file).
Signals: SIGHUP reloads zones (files are also watched); SIGTERM/SIGINT shut down.
Exit codes: 0 normal, 1 runtime failure, 2 invalid configuration or flags.
`;

export type Cli = ProgramCli<Overrides>;

export function parseCli(argv: string[]): Cli {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...COMMON_FLAGS,
        listen: { type: 'string', multiple: true },
        zones: { type: 'string' },
        geoip: { type: 'string', multiple: true },
        db: { type: 'string' },
        'db-cache': { type: 'string' },
        metrics: { type: 'string' },
        'log-queries': { type: 'boolean' },
        workers: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new ConfigError([`flags: ${(err as Error).message}`]);
  }
  let workers: unknown;
  if (values.workers !== undefined) {
    workers = /^\d+$/.test(values.workers) ? Number(values.workers) : values.workers;
  }
  return {
    help: values.help ?? false,
    check: values.check ?? false,
    version: values.version ?? false,
    configFile: values.config,
    overrides: {
      listen: values.listen,
      zones: values.zones,
      geoip: values.geoip,
      db: values.db,
      dbCache: values['db-cache'],
      metrics: values.metrics,
      logQueries: values['log-queries'],
      logLevel: values['log-level'],
      workers,
    },
  };
}
