// geodns configuration: one schema, checked at start. The file (YAML or JSON)
// gives the base; command-line flags override it key by key.
import { Type, type Static } from '@sinclair/typebox';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { checkConfig, readConfigFile, parseHostPort, listenConflicts, logLevelOverride, ConfigError, LogLevelSchema } from '@geoedge/shared';
import { parseDbUrl } from '@geoedge/zonedb';
import { parseCidr, type RrlOptions } from './stages/rrl.js';

// `expected` is what a config error says the key accepts (@geoedge/shared checkConfig).
const HostPort = Type.String({ minLength: 3, description: 'host:port, IPv6 as [addr]:port', expected: 'host:port (IPv6 as [addr]:port), such as 127.0.0.1:5300' });

export const ConfigSchema = Type.Object(
  {
    listen: Type.Array(HostPort, { minItems: 1, default: ['127.0.0.1:5300'] }),
    zones: Type.Optional(Type.String({ minLength: 1, description: 'directory of zone files, one per zone' })),
    geoip: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    db: Type.Optional(Type.String({ pattern: '^mysql://', description: 'mysql://user:pass@host:port/db', expected: 'a URL mysql://user:pass@host:port/db', secret: true })),
    dbCache: Type.Optional(Type.String({ minLength: 1, description: 'snapshot cache of the database zones (default: under the state directory)' })),
    metrics: Type.Optional(HostPort),
    /** Key for GET /status/health on the metrics address (status.ts); without it that path is not served. */
    statusKey: Type.Optional(Type.String({ minLength: 8, description: 'X-API-Key for /status/health, or sha256:<64 hex> of it', expected: 'a key of at least 8 characters, or sha256:<64 hex digits> of it', secret: true })),
    logQueries: Type.Boolean({ default: false }),
    logLevel: LogLevelSchema,
    workers: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
    /** UDP through recvmmsg/sendmmsg (@geoedge/linux) instead of node:dgram; falls back with a warning. */
    udpBatch: Type.Boolean({ default: true }),
    /** TCP limits (listen/tcp.ts); per process, so per worker with `workers` > 1. */
    tcp: Type.Object(
      {
        idleTimeoutMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 10_000, description: 'between queries, and for a stalled write' }),
        queryTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 2_000, description: 'from the first byte of a query to its last' }),
        maxConnections: Type.Integer({ minimum: 1, default: 1024 }),
        maxConnectionsPerClient: Type.Integer({ minimum: 1, default: 16, description: 'per IPv4 address / IPv6 /64' }),
        maxPendingBytes: Type.Integer({ minimum: 16_384, maximum: 16 << 20, default: 65_536, description: 'unsent answer bytes before reading stops' }),
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
        enableLuaRecords: Type.Union([Type.Literal('yes'), Type.Literal('no'), Type.Literal('shared')], { default: 'yes', expected: 'one of "yes", "no", "shared"' }),
        instructionLimit: Type.Integer({ minimum: 1000, default: 100_000, description: 'Lua VM instructions per evaluation' }),
        memoryLimit: Type.Integer({ minimum: 65536, maximum: 1 << 30, default: 8 << 20, description: 'bytes one evaluation may allocate' }),
        timeLimitMs: Type.Integer({ minimum: 1, maximum: 10_000, default: 10, description: 'ms per evaluation; past it a VM that keeps running is killed and rebuilt' }),
        codeCacheBytes: Type.Integer({ minimum: 65536, maximum: 1 << 30, default: 8 << 20, description: 'bytes of compiled record code a VM keeps' }),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * DNSSEC keys for zone files (database zones use the cryptokeys table):
     * keyDir/<zone>/<id>.<ksk|zsk|csk>[.inactive|.unpublished].private (zones/key-dir.ts).
     */
    dnssec: Type.Object(
      {
        keyDir: Type.Optional(Type.String({ minLength: 1, description: 'directory with one subdirectory of PowerDNS private-key files per zone' })),
        denial: Type.Union([Type.Literal('nsec'), Type.Literal('compact')], { default: 'nsec', expected: 'one of "nsec" (the zone\'s NSEC chain, as PowerDNS), "compact" (RFC 9824 black lies)' }),
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
    /**
     * ALIAS records (PowerDNS resolver= with expand-alias=yes): A/AAAA at an ALIAS
     * name are the target's, asked of these resolvers in order (RD set, UDP).
     * Empty: ALIAS is served as the record it is and A/AAAA there answer NODATA.
     */
    alias: Type.Object(
      {
        resolver: Type.Array(HostPort, { default: [], maxItems: 8 }),
        timeoutMs: Type.Integer({ minimum: 100, maximum: 30_000, default: 2000 }),
        maxCacheSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 }),
        maxEntries: Type.Integer({ minimum: 100, maximum: 10_000_000, default: 100_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** How many CNAMEs are followed inside our zones before the chain stops. */
    cnameChainLimit: Type.Integer({ minimum: 1, maximum: 64, default: 12 }),
    /** Response rate limiting of UDP answers (stages/rrl.ts; BIND rate-limit, Knot rrl). */
    rrl: Type.Object(
      {
        enabled: Type.Boolean({ default: false }),
        responsesPerSecond: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 20, description: 'answers per second per prefix and name (0 = not limited)' }),
        nodataPerSecond: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'default: responsesPerSecond' })),
        nxdomainsPerSecond: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'default: responsesPerSecond' })),
        referralsPerSecond: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'default: responsesPerSecond' })),
        errorsPerSecond: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'default: responsesPerSecond' })),
        slip: Type.Integer({ minimum: 0, maximum: 10, default: 2, description: 'every Nth refused response is sent with TC=1 (0 = never)' }),
        window: Type.Integer({ minimum: 1, maximum: 3600, default: 15, description: 'seconds over which the rate is averaged' }),
        ipv4PrefixLength: Type.Integer({ minimum: 8, maximum: 32, default: 24 }),
        ipv6PrefixLength: Type.Integer({ minimum: 16, maximum: 128, default: 56 }),
        exempt: Type.Array(Type.String({ minLength: 1, description: 'address or address/prefix' }), { default: [] }),
        logOnly: Type.Boolean({ default: false }),
        tableSize: Type.Integer({ minimum: 1024, maximum: 16_777_216, default: 262_144, description: 'accounts kept (rounded up to a power of two; ~21 bytes each)' }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** DNS Cookies (RFC 7873; RFC 9018 server cookies). */
    cookies: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        secret: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{32}$', description: '16 bytes as 32 hex digits, the same on every server behind the name' })),
        previousSecret: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{32}$', description: 'the secret before the last rotation, still accepted' })),
        secretFile: Type.Optional(Type.String({ minLength: 1, description: 'file with the secret (32 hex digits) on its first line and optionally the previous one on the second; read at start and on SIGHUP' })),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

/** The zone directory shipped with the package: the quick-start's example zone. */
export const DEFAULT_ZONES = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'zones');

/** Flags already parsed into config keys (undefined = not given). */
export type Overrides = Partial<Record<keyof Config, unknown>>;

/** Flags win over LOG_LEVEL, which wins over the file (see @geoedge/shared log-level). */
export function loadConfig(file: string | undefined, overrides: Overrides, env: NodeJS.ProcessEnv = process.env): Config {
  const base = (file ? readConfigFile(file) : {}) as Record<string, unknown>;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) throw new ConfigError([`${file}: top level must be a mapping`]);
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries({ ...overrides, logLevel: logLevelOverride(overrides.logLevel as string | undefined, env) })) if (v !== undefined) merged[k] = v;
  const cfg = checkConfig(ConfigSchema, merged);
  const problems: string[] = [];
  const bound = cfg.listen.flatMap((l, i) => {
    try { return [{ path: `/listen/${i}`, protocols: ['udp', 'tcp'], ...parseHostPort(l) }]; } catch (err) { problems.push(`/listen/${i}: ${(err as Error).message}`); return []; }
  });
  cfg.alias.resolver.forEach((l, i) => {
    try {
      if (isIP(parseHostPort(l).host) === 0) problems.push(`/alias/resolver/${i}: "${l}" must be an IP address and port (the resolver is how names get resolved)`);
    } catch (err) { problems.push(`/alias/resolver/${i}: ${(err as Error).message}`); }
  });
  if (cfg.metrics !== undefined) {
    try { bound.push({ path: '/metrics', protocols: ['tcp'], ...parseHostPort(cfg.metrics) }); } catch (err) { problems.push(`/metrics: ${(err as Error).message}`); }
  }
  problems.push(...listenConflicts(bound));
  if (cfg.statusKey?.startsWith('sha256:') && !/^sha256:[0-9a-fA-F]{64}$/.test(cfg.statusKey)) problems.push('/statusKey: sha256: must be followed by 64 hex digits');
  if (cfg.statusKey !== undefined && cfg.metrics === undefined) problems.push('/statusKey: /status/health is served on the metrics address: set metrics too');
  if (cfg.db !== undefined) {
    const u = parseDbUrl(cfg.db);
    if (!u.ok) problems.push(`/db: ${u.message}`);
  }
  cfg.rrl.exempt.forEach((e, i) => {
    const c = parseCidr(e);
    if (typeof c === 'string') problems.push(`/rrl/exempt/${i}: ${c}`);
  });
  if (cfg.cookies.previousSecret !== undefined && cfg.cookies.secret === undefined) problems.push('/cookies/previousSecret: needs /cookies/secret (the current one) too');
  if (cfg.cookies.secretFile !== undefined && cfg.cookies.secret !== undefined) problems.push('/cookies/secretFile: give the secret either inline (/cookies/secret) or in a file, not both');
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

/** The limiter's options from the checked `rrl` section (exempt entries already validated). */
export function rrlOptions(r: Config['rrl']): RrlOptions {
  const rps = r.responsesPerSecond;
  return {
    rates: { answer: rps, nodata: r.nodataPerSecond ?? rps, nxdomain: r.nxdomainsPerSecond ?? rps, referral: r.referralsPerSecond ?? rps, error: r.errorsPerSecond ?? rps },
    slip: r.slip, window: r.window, ipv4PrefixLength: r.ipv4PrefixLength, ipv6PrefixLength: r.ipv6PrefixLength,
    exempt: r.exempt.map((e) => parseCidr(e) as Exclude<ReturnType<typeof parseCidr>, string>),
    logOnly: r.logOnly, tableSize: r.tableSize,
  };
}

/** Cookie secrets (current, previous) in a file: the first non-comment line is the current one, an optional second the previous one. */
export function readCookieSecretFile(file: string): { secret: Buffer; previous?: Buffer } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`/cookies/secretFile: cannot read ${file}: ${(err as Error).message}`]);
  }
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length < 1 || lines.length > 2 || !lines.every((l) => /^[0-9a-fA-F]{32}$/.test(l))) {
    throw new ConfigError([`/cookies/secretFile: ${file} must hold one or two lines of 32 hex digits (current secret, then the previous one), e.g. from \`openssl rand -hex 16\``]);
  }
  return { secret: Buffer.from(lines[0]!, 'hex'), ...(lines[1] ? { previous: Buffer.from(lines[1], 'hex') } : {}) };
}
