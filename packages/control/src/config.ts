// geoctl configuration: one schema, checked at start. The file (YAML or JSON)
// gives the base; command-line flags override it key by key.
import { Type, type Static } from '@sinclair/typebox';
import { checkConfig, readConfigFile, parseHostPort, logLevelOverride, ConfigError, LogLevelSchema } from '@geoedge/shared';
import { isValidSchedule } from './plugins/scheduler.js';

/** Wednesday and Saturday 05:17: MaxMind publishes GeoLite2 on Tuesdays and Fridays. */
export const DEFAULT_SCHEDULE = '17 5 * * 3,6';

// `expected` is what a config error says the key accepts (@geoedge/shared checkConfig).
const HOST_PORT = 'host:port (IPv6 as [addr]:port)';

export const ConfigSchema = Type.Object(
  {
    listen: Type.String({ minLength: 3, default: '127.0.0.1:8081', description: 'host:port of the API, IPv6 as [addr]:port', expected: `${HOST_PORT}, such as 127.0.0.1:8081` }),
    db: Type.Optional(Type.String({ pattern: '^mysql://', description: 'mysql://user:pass@host:port/db', expected: 'a URL mysql://user:pass@host:port/db', secret: true })),
    apiKey: Type.Optional(Type.String({ minLength: 8, description: 'API key, or sha256:<64 hex> of it', expected: 'a key of at least 8 characters, or sha256:<64 hex digits> of it', secret: true })),
    /**
     * Named keys (issue 20): each may be limited to some zones and to reading. The
     * history records the name; apiKey above stays a read-write key for every zone named "default".
     */
    apiKeys: Type.Array(
      Type.Object(
        {
          name: Type.String({ pattern: '^[A-Za-z0-9_.@-]{1,64}$', description: 'shown in the change history', expected: 'a name of 1 to 64 letters, digits, _ . @ -' }),
          key: Type.String({ minLength: 8, description: 'the key, or sha256:<64 hex> of it', expected: 'a key of at least 8 characters, or sha256:<64 hex digits> of it', secret: true }),
          zones: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'zones this key may change (all if absent)', expected: 'a list of zone names such as example.org.' })),
          readOnly: Type.Boolean({ default: false, description: 'may only read', expected: 'true or false' }),
        },
        { additionalProperties: false },
      ),
      { default: [], maxItems: 1000, expected: 'a list of {name, key, zones?, readOnly?}' },
    ),
    /** The change history (table geoedge_history): entries older than this are pruned by geoctl serve. */
    history: Type.Object(
      {
        retentionDays: Type.Integer({ minimum: 1, maximum: 36500, default: 365, description: 'days the change history is kept', expected: 'a whole number of days from 1 to 36500' }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** The geodns the web page's LUA preview asks (UDP, with EDNS Client Subnet). */
    geodnsAddress: Type.String({ minLength: 3, default: '127.0.0.1:5300', description: 'host:port of a running geodns', expected: `${HOST_PORT}, such as 127.0.0.1:5300` }),
    /**
     * geodns's health status endpoint (GET /status/health on its metrics address, with its
     * statusKey), read for the web page's health view through GET /api/v1/health.
     */
    geodnsStatus: Type.Optional(Type.Object(
      {
        address: Type.String({ minLength: 3, description: "host:port of geodns's metrics address", expected: `${HOST_PORT}, such as 127.0.0.1:9153` }),
        key: Type.String({ minLength: 8, description: "geodns's statusKey (the plain key: it is sent)", expected: 'the key of at least 8 characters set as statusKey in geodns', secret: true }),
      },
      { additionalProperties: false },
    )),
    /**
     * The GeoIP databases geodns reads (its own `geoip` list), reported as PowerDNS's
     * geoip-database-files in …/config; octoDNS writes dynamic records only when that is set.
     */
    geodnsGeoip: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: "geodns's geoip list (absolute paths)", expected: 'a list of .mmdb file paths' })),
    logLevel: LogLevelSchema,
    /**
     * What …/config reports as enable-lua-records (octoDNS writes LUA records only when
     * it is not "no"). Set it to the geodns fleet's lua.enableLuaRecords (geodns default: yes).
     */
    enableLuaRecords: Type.Union([Type.Literal('yes'), Type.Literal('no'), Type.Literal('shared')], { default: 'yes', expected: 'one of "yes", "no", "shared"' }),
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
        schedule: Type.String({ minLength: 9, default: DEFAULT_SCHEDULE, description: 'cron expression for updates', expected: `a cron expression such as "${DEFAULT_SCHEDULE}"` }),
        enabled: Type.Boolean({ default: true, description: 'run the scheduled updater' }),
        /** Overall time one edition may take, retries included; the idle timeout alone lets a trickling server hold the lock forever. */
        deadlineMs: Type.Integer({ minimum: 1000, maximum: 24 * 3600_000, default: 30 * 60_000, description: 'ms one edition may take in all', expected: 'milliseconds from 1000 to 86400000' }),
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
  logLevel?: string;
}

/** Flags win over the environment (GEOCTL_API_KEY, LOG_LEVEL), which wins over the file. */
export function loadConfig(file: string | undefined, o: Overrides, env: NodeJS.ProcessEnv = process.env): Config {
  const base = (file ? readConfigFile(file) : {}) as Record<string, unknown>;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) throw new ConfigError([`${file}: top level must be a mapping`]);
  const merged: Record<string, unknown> = { ...base };
  const geoip = { ...(typeof base.geoip === 'object' && base.geoip !== null ? (base.geoip as Record<string, unknown>) : {}) };
  if (o.listen !== undefined) merged.listen = o.listen;
  if (o.db !== undefined) merged.db = o.db;
  if (o.geodnsAddress !== undefined) merged.geodnsAddress = o.geodnsAddress;
  const level = logLevelOverride(o.logLevel, env);
  if (level !== undefined) merged.logLevel = level;
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
  if (cfg.geodnsStatus) {
    try {
      parseHostPort(cfg.geodnsStatus.address);
    } catch (err) {
      problems.push(`/geodnsStatus/address: ${(err as Error).message}`);
    }
    if (cfg.geodnsStatus.key.startsWith('sha256:')) problems.push('/geodnsStatus/key: the plain key is needed here (geoctl sends it); sha256: belongs in geodns\'s statusKey');
  }
  cfg.geodnsGeoip?.forEach((p, i) => { if (!p.startsWith('/')) problems.push(`/geodnsGeoip/${i}: must be an absolute path (got ${JSON.stringify(p)})`); });
  if (cfg.apiKey?.startsWith('sha256:') && !/^sha256:[0-9a-fA-F]{64}$/.test(cfg.apiKey)) problems.push('/apiKey: sha256: must be followed by 64 hex digits');
  problems.push(...apiKeyProblems(cfg));
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

/** What the schema cannot say about apiKeys: sha256 form, unique names and keys, zone names. */
function apiKeyProblems(cfg: Config): string[] {
  const problems: string[] = [];
  const names = new Map<string, string>(cfg.apiKey !== undefined ? [[DEFAULT_KEY_NAME, '/apiKey']] : []);
  const keys = new Map<string, string>(cfg.apiKey !== undefined ? [[cfg.apiKey, '/apiKey']] : []);
  cfg.apiKeys.forEach((k, i) => {
    const at = `/apiKeys/${i}`;
    if (k.key.startsWith('sha256:') && !/^sha256:[0-9a-fA-F]{64}$/.test(k.key)) problems.push(`${at}/key: sha256: must be followed by 64 hex digits`);
    const sameName = names.get(k.name);
    if (sameName) problems.push(`${at}/name: "${k.name}" is already the name of ${sameName}${sameName === '/apiKey' ? ' (apiKey is named "default")' : ''}`);
    names.set(k.name, at);
    // Two entries with one key: which name (and rights) would a request get?
    const sameKey = keys.get(k.key);
    if (sameKey) problems.push(`${at}/key: the same key as ${sameKey}`);
    keys.set(k.key, at);
    k.zones?.forEach((z, j) => {
      if (!/^([A-Za-z0-9_*/-]{1,63}\.)*[A-Za-z0-9_/-]{1,63}\.?$/.test(z) && z !== '.') problems.push(`${at}/zones/${j}: not a zone name: ${JSON.stringify(z)}`);
    });
  });
  return problems;
}

/** The name the single `apiKey` has in the change history. */
export const DEFAULT_KEY_NAME = 'default';
