// What the three programs' command lines have in common: the flags every one of
// them takes (node:util parseArgs options) and the shape of a parsed command
// line. Each program adds its own flags and turns them into config overrides.

/** --config, --log-level, --check, --help and --version, alike in edge-relay, geodns and geoctl. */
export const COMMON_FLAGS = {
  config: { type: 'string' },
  'log-level': { type: 'string' },
  check: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

export interface ProgramCli<Overrides> {
  help: boolean;
  /** Validate and exit (systemd ExecStartPre, deploy checks), as `nginx -t`. */
  check: boolean;
  version: boolean;
  configFile?: string;
  overrides: Overrides;
}
