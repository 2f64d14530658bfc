// Command line: a subcommand plus flags. Every flag maps onto a config key;
// flags win over the file.
import { parseArgs } from 'node:util';
import { COMMON_FLAGS, ConfigError, type ProgramCli } from '@geoedge/shared';
import type { Overrides } from './config.js';
import { DEFAULT_SCHEDULE } from './config.js';

export const HELP = `geoctl: control plane for geoedge (PowerDNS-compatible API, GeoIP updates)

Usage:
  geoctl serve [--config FILE] [flags]   run the API and the scheduled GeoIP updater
  geoctl geoip update [--config FILE] [--geoip-conf FILE] [--geoip-dir DIR]
                                         run one GeoIP update now; exit 0 if every
                                         edition is current, 1 if any failed, 3 if
                                         another update holds the lock
  geoctl migrate --db URL                create or upgrade the zone database schema

Flags (each overrides the same key of the config file):
  --config FILE        YAML or JSON config (keys: listen, db, apiKey, apiKeys, history.retentionDays,
                       geodnsAddress, geodnsStatus, logLevel, bodyLimit,
                       authFailures.max, authFailures.windowMs, geoip.conf, geoip.dir,
                       geoip.schedule, geoip.enabled)
  --listen HOST:PORT   API address (default 127.0.0.1:8081); IPv6 as [::1]:8081
  --db URL             MariaDB/MySQL in the PowerDNS schema: mysql://user:pass@host:port/db
  --api-key KEY        X-API-Key clients must send; "sha256:<hex>" stores only its hash.
                       Prefer the GEOCTL_API_KEY environment variable (not visible in ps)
  --geodns-address H:P the running geodns the web page's LUA preview queries (default
                       127.0.0.1:5300); the page itself is at /ui
  --geoip-conf FILE    GeoIP.conf in MaxMind geoipupdate format; GEOIPUPDATE_* variables
                       override it as in geoipupdate
  --geoip-dir DIR      database directory (overrides DatabaseDirectory)
  --log-level LEVEL    fatal, error, warn, info, debug, trace or silent (default info)
  --check              validate the config and flags for the command, print "geoctl: config ok",
                       exit 0 (2 if invalid); nothing is started or contacted
  --help               print this help and exit
  --version            print the version and exit

GeoIP schedule default: "${DEFAULT_SCHEDULE}" (Wednesday and Saturday 05:17, after MaxMind's
Tuesday/Friday releases). Environment: GEOCTL_API_KEY, and LOG_LEVEL when --log-level is not
given (both win over the file). Signals: SIGTERM/SIGINT shut down.
Exit codes: 0 ok, 1 runtime failure, 2 invalid configuration or flags, 3 update lock busy.
`;

export type Command = 'serve' | 'geoip-update' | 'migrate';

export interface Cli extends ProgramCli<Overrides> {
  command: Command | undefined;
}

export function parseCli(argv: string[]): Cli {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        ...COMMON_FLAGS,
        listen: { type: 'string' },
        db: { type: 'string' },
        'api-key': { type: 'string' },
        'geoip-dir': { type: 'string' },
        'geodns-address': { type: 'string' },
        'geoip-conf': { type: 'string' },
      },
    });
  } catch (err) {
    throw new ConfigError([`flags: ${(err as Error).message}`]);
  }
  const { values, positionals } = parsed;
  const help = values.help ?? false;
  const version = values.version ?? false;
  const command = commandOf(positionals, help || version);
  return {
    command,
    help,
    check: values.check ?? false,
    version,
    configFile: values.config,
    overrides: {
      listen: values.listen,
      db: values.db,
      apiKey: values['api-key'],
      geoipDir: values['geoip-dir'],
      geoipConf: values['geoip-conf'],
      geodnsAddress: values['geodns-address'],
      logLevel: values['log-level'],
    },
  };
}

function commandOf(pos: string[], optional: boolean): Command | undefined {
  const words = pos.join(' ');
  if (words === 'serve') return 'serve';
  if (words === 'geoip update') return 'geoip-update';
  if (words === 'migrate') return 'migrate';
  if (words === '' && optional) return undefined;
  throw new ConfigError([`command: expected "serve", "geoip update" or "migrate", got ${JSON.stringify(words)} (see geoctl --help)`]);
}
