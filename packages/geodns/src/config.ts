// geodns configuration: one schema, checked at start. The file (YAML or JSON)
// gives the base; command-line flags override it key by key.
import { Type, type Static } from '@sinclair/typebox';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { checkConfig, readConfigFile, parseHostPort, ConfigError } from '@geoedge/shared';
import { parseDbUrl } from '@geoedge/zonedb';

const HostPort = Type.String({ minLength: 3, description: 'host:port, IPv6 as [addr]:port' });

export const ConfigSchema = Type.Object(
  {
    listen: Type.Array(HostPort, { minItems: 1, default: ['127.0.0.1:5300'] }),
    zones: Type.Optional(Type.String({ minLength: 1, description: 'directory of zone files, one per zone' })),
    geoip: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    db: Type.Optional(Type.String({ pattern: '^mysql://', description: 'mysql://user:pass@host:port/db' })),
    dbCache: Type.Optional(Type.String({ minLength: 1, description: 'snapshot cache of the database zones (default: under the state directory)' })),
    metrics: Type.Optional(HostPort),
    logQueries: Type.Boolean({ default: false }),
    logLevel: Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')], { default: 'info' }),
    workers: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
    /** UDP through recvmmsg/sendmmsg (koffi, Linux) instead of node:dgram; falls back with a warning. */
    udpBatch: Type.Boolean({ default: true }),
    tcp: Type.Object(
      {
        idleTimeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
        maxConnections: Type.Integer({ minimum: 1, default: 1024 }),
      },
      { additionalProperties: false, default: {} },
    ),
    edns: Type.Object(
      { payload: Type.Integer({ minimum: 512, maximum: 4096, default: 1232 }) },
      { additionalProperties: false, default: {} },
    ),
    /** LUA records: whether they are served (PowerDNS enable-lua-records), limits per evaluation. */
    lua: Type.Object(
      {
        /**
         * PowerDNS enable-lua-records. yes: every zone serves its LUA records unless its
         * ENABLE-LUA-RECORDS metadata is 0; no: only zones whose metadata is 1 do (zone
         * files: none); shared: as yes (every evaluation still gets its own environment).
         */
        enableLuaRecords: Type.Union([Type.Literal('yes'), Type.Literal('no'), Type.Literal('shared')], { default: 'yes' }),
        instructionLimit: Type.Integer({ minimum: 1000, default: 100_000 }),
        memoryLimit: Type.Integer({ minimum: 65536, default: 16 << 20, description: 'bytes one evaluation may allocate' }),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * Compiled static answers kept (PowerDNS max-packet-cache-entries, same default):
     * a working set larger than this is answered by the slower resolve-and-encode path.
     */
    answerCache: Type.Object(
      { entries: Type.Integer({ minimum: 1000, maximum: 50_000_000, default: 1_000_000 }) },
      { additionalProperties: false, default: {} },
    ),
    /** How many CNAMEs are followed inside our zones before the chain stops. */
    cnameChainLimit: Type.Integer({ minimum: 1, maximum: 64, default: 12 }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

/** The zone directory shipped with the package: the quick-start's example zone. */
export const DEFAULT_ZONES = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'zones');

/** Flags already parsed into config keys (undefined = not given). */
export type Overrides = Partial<Record<keyof Config, unknown>>;

export function loadConfig(file: string | undefined, overrides: Overrides): Config {
  const base = (file ? readConfigFile(file) : {}) as Record<string, unknown>;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) throw new ConfigError([`${file}: top level must be a mapping`]);
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = v;
  const cfg = checkConfig(ConfigSchema, merged);
  const problems: string[] = [];
  cfg.listen.forEach((l, i) => {
    try { parseHostPort(l); } catch (err) { problems.push(`/listen/${i}: ${(err as Error).message}`); }
  });
  if (cfg.metrics !== undefined) {
    try { parseHostPort(cfg.metrics); } catch (err) { problems.push(`/metrics: ${(err as Error).message}`); }
  }
  if (cfg.db !== undefined) {
    const u = parseDbUrl(cfg.db);
    if (!u.ok) problems.push(`/db: ${u.message}`);
  }
  if (problems.length) throw new ConfigError(problems);
  // Without a database, the shipped example zone keeps `geodns` useful out of the box.
  if (cfg.zones === undefined && cfg.db === undefined) cfg.zones = DEFAULT_ZONES;
  if (cfg.db !== undefined && cfg.dbCache === undefined) cfg.dbCache = defaultDbCache(cfg.db);
  return cfg;
}

/**
 * Where the database zone cache goes when `dbCache` is not set: systemd's
 * $STATE_DIRECTORY (StateDirectory=geodns), else $XDG_STATE_HOME/geodns, else
 * ~/.local/state/geodns; one file per database URL, so two geodns serving
 * different databases never read each other's cache.
 */
export function defaultDbCache(db: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.STATE_DIRECTORY?.split(':')[0] || (env.XDG_STATE_HOME ? join(env.XDG_STATE_HOME, 'geodns') : join(homedir(), '.local', 'state', 'geodns'));
  const tag = createHash('sha256').update(db).digest('hex').slice(0, 12);
  return join(dir, `db-cache-${tag}.jsonl`);
}
