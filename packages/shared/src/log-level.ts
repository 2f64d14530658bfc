// The log level, handled alike by the three programs: `--log-level` wins, then
// the LOG_LEVEL environment variable, then the config file's key, then info.
// The environment beats the file so an operator can turn on debug for one run
// (systemctl edit → Environment=LOG_LEVEL=debug) without touching the config.
import { Type } from '@sinclair/typebox';
import { ConfigError } from './errors.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The config key's schema in every program. */
export const LogLevelSchema = Type.Union(LOG_LEVELS.map((l) => Type.Literal(l)), { default: 'info' });

/**
 * What overrides the file's log level: the flag's value, else a valid LOG_LEVEL,
 * else undefined (the file or the default decides). A bad flag value is left to
 * the schema, which names the key; a bad LOG_LEVEL is refused here, by name.
 */
export function logLevelOverride(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag !== undefined) return flag;
  const v = env.LOG_LEVEL;
  if (v === undefined || v === '') return undefined;
  if (!(LOG_LEVELS as readonly string[]).includes(v)) {
    throw new ConfigError([`LOG_LEVEL: expected one of ${LOG_LEVELS.map((l) => JSON.stringify(l)).join(', ')}, got ${JSON.stringify(v)}`]);
  }
  return v;
}
