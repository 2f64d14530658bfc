// GeoIP.conf as MaxMind's geoipupdate (v6/v7, internal/geoipupdate/config.go)
// reads it: one "Key value" per line, '#' comments, each key at most once;
// then the GEOIPUPDATE_* environment overrides the file, and explicit settings
// (geoctl's --geoip-dir / config geoip.dir) override both. Unlike geoipupdate,
// every problem names its line and key, and edition IDs are restricted to the
// characters MaxMind uses because they become file names and URL paths.
import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';

export interface GeoipConf {
  accountId: number;
  licenseKey: string;
  editionIds: string[];
  databaseDirectory: string;
  /** Base URL of the update server, e.g. https://updates.maxmind.com */
  url: string;
  proxy?: URL;
  preserveFileTimes: boolean;
  lockFile: string;
  retryForMs: number;
  parallelism: number;
  verbose: boolean;
}

export type ConfResult = { kind: 'ok'; conf: GeoipConf } | { kind: 'error'; problems: string[] };

export const DEFAULT_URL = 'https://updates.maxmind.com';
export const DEFAULT_DATABASE_DIRECTORY = '/usr/share/GeoIP';
const EDITION_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** What the file and the environment may set; validated into GeoipConf at the end. */
interface Draft {
  accountId?: number;
  licenseKey?: string;
  editionIds?: string[];
  databaseDirectory?: string;
  url?: string;
  proxy?: string;
  proxyUserPassword?: string;
  preserveFileTimes?: boolean;
  lockFile?: string;
  retryForMs?: number;
  parallelism?: number;
  verbose?: boolean;
}

type Setter = (d: Draft, value: string) => string | undefined;

const fileKeys: Record<string, Setter> = {
  AccountID: (d, v) => setInt(v, 'must be a number', (n) => (d.accountId = n)),
  LicenseKey: (d, v) => void (d.licenseKey = v),
  EditionIDs: (d, v) => setEditions(d, v),
  DatabaseDirectory: (d, v) => void (d.databaseDirectory = normalize(v)),
  Host: (d, v) => setHost(d, v),
  Proxy: (d, v) => void (d.proxy = v),
  ProxyUserPassword: (d, v) => void (d.proxyUserPassword = v),
  PreserveFileTimes: (d, v) => setBit(v, (b) => (d.preserveFileTimes = b)),
  LockFile: (d, v) => void (d.lockFile = normalize(v)),
  RetryFor: (d, v) => setDuration(d, v),
  Parallelism: (d, v) => setParallelism(d, v),
  // Deprecated keys geoipupdate still accepts and ignores.
  Protocol: () => undefined,
  SkipHostnameVerification: () => undefined,
  SkipPeerVerification: () => undefined,
};
/** Old names; each counts as the same key for the "given twice" check. */
const aliases: Record<string, string> = { UserId: 'AccountID', ProductIds: 'EditionIDs' };

/** Parses GeoIP.conf text; `source` names the file in messages. */
export function parseConfText(text: string, source: string): { draft: Draft; problems: string[] } {
  const draft: Draft = {};
  const problems: string[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${source}:${lineNo}`;
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000e-\u001f]/.test(line)) return void problems.push(`${where}: not a text line (control characters)`);
    const [given, ...rest] = line.split(/\s+/);
    const key = aliases[given!] ?? given!;
    const setter = fileKeys[key];
    if (!setter) return void problems.push(`${where}: unknown option ${JSON.stringify(given)}`);
    if (rest.length === 0) return void problems.push(`${where}: ${given}: missing value`);
    const first = seen.get(key);
    if (first !== undefined) return void problems.push(`${where}: ${given}: given twice (first on line ${first})`);
    seen.set(key, lineNo);
    const err = setter(draft, rest.join(' '));
    if (err) problems.push(`${where}: ${given}: ${err}`);
  });
  return { draft, problems };
}

type ReadText = (path: string) => string;

/** GEOIPUPDATE_* overrides, as geoipupdate 6/7 read them (setConfigFromEnv). */
export function applyEnv(d: Draft, env: NodeJS.ProcessEnv, read: ReadText = (p) => readFileSync(p, 'utf8')): string[] {
  const problems: string[] = [];
  const set = (name: string, fn: Setter) => {
    const v = env[name];
    if (v === undefined) return;
    const err = fn(d, v);
    if (err) problems.push(`${name}: ${err}`);
  };
  const fromFile = (name: string, fn: Setter) => {
    const p = env[name];
    if (!p) return;
    let text: string;
    try {
      text = read(p);
    } catch (err) {
      return void problems.push(`${name}: cannot read ${p}: ${(err as Error).message}`);
    }
    const e = fn(d, text.trim());
    if (e) problems.push(`${name}: ${e}`);
  };
  set('GEOIPUPDATE_ACCOUNT_ID', fileKeys.AccountID!);
  fromFile('GEOIPUPDATE_ACCOUNT_ID_FILE', fileKeys.AccountID!);
  set('GEOIPUPDATE_DB_DIR', fileKeys.DatabaseDirectory!);
  set('GEOIPUPDATE_EDITION_IDS', fileKeys.EditionIDs!);
  set('GEOIPUPDATE_HOST', fileKeys.Host!);
  set('GEOIPUPDATE_LICENSE_KEY', fileKeys.LicenseKey!);
  fromFile('GEOIPUPDATE_LICENSE_KEY_FILE', fileKeys.LicenseKey!);
  set('GEOIPUPDATE_LOCK_FILE', fileKeys.LockFile!);
  set('GEOIPUPDATE_PARALLELISM', fileKeys.Parallelism!);
  set('GEOIPUPDATE_PRESERVE_FILE_TIMES', fileKeys.PreserveFileTimes!);
  set('GEOIPUPDATE_PROXY', fileKeys.Proxy!);
  set('GEOIPUPDATE_PROXY_USER_PASSWORD', fileKeys.ProxyUserPassword!);
  set('GEOIPUPDATE_RETRY_FOR', fileKeys.RetryFor!);
  set('GEOIPUPDATE_VERBOSE', (dr, v) => setBit(v, (b) => (dr.verbose = b)));
  return problems;
}

export interface LoadOptions {
  /** GeoIP.conf path; without it only the environment and overrides count. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Explicit database directory (wins over file and environment). */
  databaseDirectory?: string;
}

export function loadGeoipConf(opts: LoadOptions): ConfResult {
  let draft: Draft = {};
  const problems: string[] = [];
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      return { kind: 'error', problems: [`${opts.file}: cannot read: ${(err as Error).message}`] };
    }
    const parsed = parseConfText(text, opts.file);
    draft = parsed.draft;
    problems.push(...parsed.problems);
  }
  problems.push(...applyEnv(draft, opts.env ?? process.env));
  if (opts.databaseDirectory) draft.databaseDirectory = normalize(opts.databaseDirectory);
  if (problems.length) return { kind: 'error', problems };
  return finish(draft, opts.file ?? 'GeoIP.conf');
}

function finish(d: Draft, source: string): ConfResult {
  const problems: string[] = [];
  if ((d.accountId === undefined || d.accountId === 0 || d.accountId === 999999) && d.licenseKey === '000000000000') {
    problems.push(`${source}: AccountID/LicenseKey: the old free placeholder pair no longer works; use a real account`);
  }
  if (!d.editionIds?.length) problems.push(`${source}: EditionIDs: required`);
  if (!d.accountId) problems.push(`${source}: AccountID: required`);
  if (!d.licenseKey) problems.push(`${source}: LicenseKey: required`);
  const proxy = parseProxy(d.proxy, d.proxyUserPassword);
  if (typeof proxy === 'string') problems.push(`${source}: Proxy: ${proxy}`);
  if (problems.length) return { kind: 'error', problems };
  const dir = d.databaseDirectory ?? DEFAULT_DATABASE_DIRECTORY;
  return {
    kind: 'ok',
    conf: {
      accountId: d.accountId!,
      licenseKey: d.licenseKey!,
      editionIds: d.editionIds!,
      databaseDirectory: dir,
      url: d.url ?? DEFAULT_URL,
      ...(proxy instanceof URL ? { proxy } : {}),
      preserveFileTimes: d.preserveFileTimes ?? false,
      lockFile: d.lockFile ?? join(dir, '.geoipupdate.lock'),
      retryForMs: d.retryForMs ?? 5 * 60_000,
      parallelism: d.parallelism ?? 1,
      verbose: d.verbose ?? false,
    },
  };
}

function setInt(v: string, msg: string, apply: (n: number) => void): string | undefined {
  if (!/^\d{1,9}$/.test(v)) return `${msg}, got ${JSON.stringify(v)}`;
  apply(Number(v));
  return undefined;
}

function setBit(v: string, apply: (b: boolean) => void): string | undefined {
  if (v !== '0' && v !== '1') return `must be 0 or 1, got ${JSON.stringify(v)}`;
  apply(v === '1');
  return undefined;
}

function setEditions(d: Draft, v: string): string | undefined {
  const ids = v.split(/\s+/).filter(Boolean);
  const bad = ids.find((id) => !EDITION_RE.test(id));
  if (bad !== undefined) return `${JSON.stringify(bad)} is not an edition ID (letters, digits, '-', '_', '.')`;
  d.editionIds = ids;
  return undefined;
}

/** geoipupdate 7: Host may be a bare host[:port] (https implied) or a full URL. */
function setHost(d: Draft, v: string): string | undefined {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `https://${v}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return `not a host or URL: ${JSON.stringify(v)}`;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `unsupported scheme ${u.protocol}`;
  d.url = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  return undefined;
}

function setParallelism(d: Draft, v: string): string | undefined {
  if (!/^-?\d+$/.test(v)) return `${JSON.stringify(v)} is not a valid parallelism value`;
  const n = Number(v);
  if (n <= 0 || n > 64) return `must be between 1 and 64, got ${n}`;
  d.parallelism = n;
  return undefined;
}

function setDuration(d: Draft, v: string): string | undefined {
  const ms = parseGoDuration(v);
  if (ms === undefined) return `${JSON.stringify(v)} is not a valid duration (e.g. 5m, 90s, 1h30m)`;
  d.retryForMs = ms;
  return undefined;
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration for non-negative values ("0", "300ms", "1h30m", "1.5h"). */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim().replace(/^\+/, '');
  if (s === '0') return 0;
  if (s === '' || !/^(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/.test(s)) return undefined;
  let total = 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  return Math.round(total);
}

/** geoipupdate's parseProxy: http/https/socks5, http by default, port 1080 by default. */
function parseProxy(proxy: string | undefined, userPass: string | undefined): URL | undefined | string {
  if (!proxy) return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    return `not a URL: ${JSON.stringify(proxy)}`;
  }
  if (u.protocol !== 'http:') return `only http:// proxies are supported (CONNECT), got ${u.protocol}`;
  if (!u.port) u.port = '1080';
  if (!u.username && userPass) {
    const i = userPass.indexOf(':');
    if (i < 0) return 'ProxyUserPassword must be user:password';
    u.username = encodeURIComponent(userPass.slice(0, i));
    u.password = encodeURIComponent(userPass.slice(i + 1));
  }
  return u;
}
