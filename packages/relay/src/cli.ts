// Command-line flags, parsed as geodns and geoctl parse theirs (node:util
// parseArgs, strict). Each flag but --config/--check overrides the config key of
// the same name; flags win over the file, and over LOG_LEVEL for --log-level.
import { parseArgs } from 'node:util';
import { COMMON_FLAGS, ConfigError, logLevelOverride, type ProgramCli } from '@geoedge/shared';
import type { Overrides } from './config.js';

export const HELP = `edge-relay: SNI/TCP/UDP edge relay with PROXY protocol and transparent mode

Usage: edge-relay --config FILE [flags]

Flags (each overrides the config key named in brackets):
  --config FILE         relay configuration, YAML (JSON when the name ends in .json); required
  --admin HOST:PORT     serve /metrics and /healthz here [admin]; IPv6 as [::1]:9301
  --workers N           worker processes sharing the listeners [workers] (default 1)
  --data-plane MODE     engine or streams [data_plane] (default engine)
  --drain-timeout DUR   how long SIGTERM lets open connections finish, such as 20s [drain_timeout]
  --log-level LEVEL     fatal, error, warn, info, debug, trace or silent [log_level] (default info)
  --check               validate the configuration and flags, print every problem by path and
                        every warning, exit 0 (2 if invalid); nothing is bound or contacted
  --help                print this help and exit
  --version             print the version and exit

Environment: LOG_LEVEL sets the log level when --log-level is not given; it wins over the file.
Signals: SIGHUP reloads the configuration (a bad one is rejected, the old one stays; flags still
win); SIGTERM/SIGINT stop accepting and drain open connections until drain_timeout.
Exit codes: 0 normal, 1 runtime failure, 2 invalid configuration or flags.
`;

export type Cli = ProgramCli<Overrides>;

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Cli {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...COMMON_FLAGS,
        config: { type: 'string', short: 'c' },
        admin: { type: 'string' },
        workers: { type: 'string' },
        'data-plane': { type: 'string' },
        'drain-timeout': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new ConfigError([`flags: ${(err as Error).message}`]);
  }
  const help = values.help ?? false;
  const version = values.version ?? false;
  if (!help && !version && values.config === undefined) throw new ConfigError(['flags: --config FILE is required (see edge-relay --help)']);
  const workers = values.workers !== undefined && /^\d+$/.test(values.workers) ? Number(values.workers) : values.workers;
  return {
    help,
    check: values.check ?? false,
    version,
    ...(values.config !== undefined ? { configFile: values.config } : {}),
    overrides: {
      admin: values.admin,
      workers,
      data_plane: values['data-plane'],
      drain_timeout: values['drain-timeout'],
      // Read only when the program runs: --help and --version never fail on the environment.
      log_level: help || version ? undefined : logLevelOverride(values['log-level'], env),
    },
  };
}
