// `mysql://user:pass@host:port/db` → connection settings, and the same URL
// with the password replaced, for logs. Pure: no driver here, so the rules are
// unit-tested without a server. The password leaves this file only inside
// DbSettings, which nothing logs (toString/toJSON hide it).

export interface DbSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** A unix socket path (`?socket=/run/mysqld/mysqld.sock`), used instead of host:port. */
  socket?: string;
  /** The URL with the password masked: safe for logs and errors. */
  display: string;
}

export type ParseDbUrlResult =
  | { ok: true; settings: DbSettings }
  | { ok: false; code: 'ERR_DB_URL'; message: string };

const DEFAULT_PORT = 3306;

export function parseDbUrl(text: string): ParseDbUrlResult {
  const fail = (why: string): ParseDbUrlResult => ({
    ok: false,
    code: 'ERR_DB_URL',
    message: `database URL "${maskPassword(text)}": ${why} (expected mysql://user:pass@host:port/db)`,
  });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('not a URL');
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') return fail(`scheme must be mysql: or mariadb:, not ${url.protocol}`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) return fail('needs exactly one database name as its path');
  if (url.username === '') return fail('needs a user name');
  const socket = url.searchParams.get('socket') ?? undefined;
  if (url.hostname === '' && socket === undefined) return fail('needs a host (or ?socket=/path)');
  const port = url.port === '' ? DEFAULT_PORT : Number(url.port);
  for (const key of url.searchParams.keys()) if (key !== 'socket') return fail(`unknown option "${key}"`);
  const settings: DbSettings = {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost',
    port,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database,
    display: maskPassword(text),
  };
  if (socket !== undefined) settings.socket = socket;
  hidePassword(settings);
  return { ok: true, settings };
}

/**
 * The URL with any password replaced by "***". Greedy up to the last '@', as
 * URL parsers read userinfo, so a password holding '@' is masked whole.
 */
export function maskPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):.*@/i, '$1:***@');
}

// A settings object passed to a logger by mistake prints only the display URL.
function hidePassword(s: DbSettings): void {
  Object.defineProperty(s, 'password', { enumerable: false });
  Object.defineProperty(s, 'toJSON', { enumerable: false, value: () => ({ url: s.display }) });
  Object.defineProperty(s, 'toString', { enumerable: false, value: () => s.display });
}
