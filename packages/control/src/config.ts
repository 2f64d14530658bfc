// geoctl configuration: one schema, checked at start. The file (YAML or JSON)
// gives the base; command-line flags override it key by key.
import { Type, type Static } from '@sinclair/typebox';
import { checkConfig, readConfigFile, parseHostPort, ConfigError } from '@geoedge/shared';
import { isValidSchedule } from './plugins/scheduler.js';

/** Wednesday and Saturday 05:17: MaxMind publishes GeoLite2 on Tuesdays and Fridays. */
export const DEFAULT_SCHEDULE = '17 5 * * 3,6';

const LogLevel = Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' });

export const ConfigSchema = Type.Object(
  {
    listen: Type.String({ minLength: 3, default: '127.0.0.1:8081', description: 'host:port of the API, IPv6 as [addr]:port' }),
    db: Type.Optional(Type.String({ pattern: '^mysql://', description: 'mysql://user:pass@host:port/db' })),
    apiKey: Type.Optional(Type.String({ minLength: 8, description: 'API key, or sha256:<64 hex> of it' })),
    /** The geodns the web page's LUA preview asks (UDP, with EDNS Client Subnet). */
    geodnsAddress: Type.String({ minLength: 3, default: '127.0.0.1:5300', description: 'host:port of a running geodns' }),
    logLevel: LogLevel,
    /**
     * What …/config reports as enable-lua-records (octoDNS writes LUA records only when
     * it is not "no"). Set it to the geodns fleet's lua.enableLuaRecords (geodns default: yes).
     */
    enableLuaRecords: Type.Union([Type.Literal('yes'), Type.Literal('no'), Type.Literal('shared')], { default: 'yes' }),
    /** Largest request body accepted, bytes. */
    bodyLimit: Type.Integer({ minimum: 1024, maximum: 64 << 20, default: 2 << 20 }),
    /** Failed-auth rate limit per client address. */
    authFailures: Type.Object(
      {
        max: Type.Integer({ minimum: 1, default: 10 }),
        windowMs: Type.Integer({ minimum: 1000, default: 60_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    geoip: Type.Object(
      {
        conf: Type.Optional(Type.String({ minLength: 1, description: 'GeoIP.conf path (geoipupdate format)' })),
        dir: Type.Optional(Type.String({ minLength: 1, description: 'database directory; overrides DatabaseDirectory' })),
        schedule: Type.String({ minLength: 9, default: DEFAULT_SCHEDULE, description: 'cron expression for updates' }),
        enabled: Type.Boolean({ default: true, description: 'run the scheduled updater' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

export interface Overrides {
  listen?: string;
  db?: string;
  apiKey?: string;
  geoipDir?: string;
  geoipConf?: string;
  geodnsAddress?: string;
}

export function loadConfig(file: string | undefined, o: Overrides, env: NodeJS.ProcessEnv = process.env): Config {
  const base = (file ? readConfigFile(file) : {}) as Record<string, unknown>;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) throw new ConfigError([`${file}: top level must be a mapping`]);
  const merged: Record<string, unknown> = { ...base };
  const geoip = { ...(typeof base.geoip === 'object' && base.geoip !== null ? (base.geoip as Record<string, unknown>) : {}) };
  if (o.listen !== undefined) merged.listen = o.listen;
  if (o.db !== undefined) merged.db = o.db;
  if (o.geodnsAddress !== undefined) merged.geodnsAddress = o.geodnsAddress;
  // The environment keeps the key out of `ps`; a flag still wins.
  const key = o.apiKey ?? env.GEOCTL_API_KEY;
  if (key !== undefined) merged.apiKey = key;
  if (o.geoipDir !== undefined) geoip.dir = o.geoipDir;
  if (o.geoipConf !== undefined) geoip.conf = o.geoipConf;
  if (base.geoip !== undefined || Object.keys(geoip).length) merged.geoip = geoip;
  const cfg = checkConfig(ConfigSchema, merged);
  const problems: string[] = [];
  try {
    parseHostPort(cfg.listen);
  } catch (err) {
    problems.push(`/listen: ${(err as Error).message}`);
  }
  try {
    parseHostPort(cfg.geodnsAddress);
  } catch (err) {
    problems.push(`/geodnsAddress: ${(err as Error).message}`);
  }
  if (cfg.apiKey?.startsWith('sha256:') && !/^sha256:[0-9a-fA-F]{64}$/.test(cfg.apiKey)) problems.push('/apiKey: sha256: must be followed by 64 hex digits');
  if (!isValidSchedule(cfg.geoip.schedule)) problems.push(`/geoip/schedule: not a valid cron expression: ${JSON.stringify(cfg.geoip.schedule)}`);
  if (cfg.db !== undefined) {
    try {
      new URL(cfg.db);
    } catch {
      problems.push('/db: not a valid mysql:// URL');
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return cfg;
}
