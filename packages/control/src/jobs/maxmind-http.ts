// MaxMind's database update protocol as geoipupdate v7 speaks it
// (client/metadata.go, client/download.go):
//
//   GET {url}/geoip/updates/metadata?edition_id=GeoLite2-City
//       Authorization: Basic base64(account_id:license_key)
//       User-Agent: geoipupdate/<version>
//   200 {"databases":[{"edition_id":"GeoLite2-City","md5":"<hex of the .mmdb>","date":"2024-05-03"}]}
//
//   GET {url}/geoip/databases/GeoLite2-City/download?date=20240503&suffix=tar.gz
//   302 Location: <storage URL>  → 200 body: tar.gz holding .../GeoLite2-City.mmdb,
//       Last-Modified: <RFC 1123 date>
//
// Any non-200 is an HTTPError {status, body}; 5xx, 408 and 429 are retryable,
// every other 4xx is permanent (internal/errors.go IsRetryableError).
// A 304 on the download is the legacy "not modified" answer and means unchanged.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { connect as tlsConnect } from 'node:tls';

export interface ServerContext {
  url: string;
  accountId: number;
  licenseKey: string;
  proxy?: URL;
  userAgent: string;
  /** Idle socket timeout per request. */
  timeoutMs: number;
  /** Aborting it destroys the request in flight, and so its response body (the edition deadline). */
  signal?: AbortSignal;
}

export type Failure =
  | { kind: 'http'; status: number; body: string; retryable: boolean }
  | { kind: 'network'; message: string; retryable: true }
  | { kind: 'protocol'; message: string; retryable: boolean };

export interface EditionMetadata {
  editionId: string;
  md5: string;
  /** YYYY-MM-DD */
  date: string;
}

export type MetadataResult = { kind: 'ok'; meta: EditionMetadata } | Failure;
export type DownloadResult =
  | { kind: 'ok'; body: IncomingMessage; lastModified?: Date }
  | { kind: 'not-modified' }
  | Failure;

const MAX_REDIRECTS = 5;
const MAX_ERROR_BODY = 256;

export async function getMetadata(ctx: ServerContext, editionId: string): Promise<MetadataResult> {
  const url = `${ctx.url}/geoip/updates/metadata?${new URLSearchParams({ edition_id: editionId })}`;
  const res = await request(ctx, url);
  if (res.kind !== 'response') return res;
  const text = await readBody(res.res, 1 << 20);
  if (text === undefined) return { kind: 'network', message: 'metadata response ended early or was too large', retryable: true };
  if (res.res.statusCode !== 200) return httpFailure(res.res.statusCode ?? 0, text);
  return parseMetadata(text, editionId);
}

export function parseMetadata(text: string, editionId: string): MetadataResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'protocol', message: `metadata is not JSON: ${JSON.stringify(text.slice(0, 80))}`, retryable: true };
  }
  const dbs = (json as { databases?: unknown })?.databases;
  if (!Array.isArray(dbs) || dbs.length !== 1) return { kind: 'protocol', message: `response does not contain edition ${editionId}`, retryable: true };
  const d = dbs[0] as Record<string, unknown>;
  const md5 = typeof d.md5 === 'string' ? d.md5.toLowerCase() : '';
  const date = typeof d.date === 'string' ? d.date : '';
  if (d.edition_id !== editionId) return { kind: 'protocol', message: `metadata is for ${String(d.edition_id)}, not ${editionId}`, retryable: true };
  if (!/^[0-9a-f]{32}$/.test(md5)) return { kind: 'protocol', message: `metadata md5 ${JSON.stringify(d.md5)} is not an MD5`, retryable: true };
  if (!/^\d{4}-?\d{2}-?\d{2}$/.test(date)) return { kind: 'protocol', message: `metadata date ${JSON.stringify(d.date)} is not a date`, retryable: true };
  return { kind: 'ok', meta: { editionId, md5, date } };
}

/** Opens the download; the caller must consume or destroy `body`. */
export async function openDownload(ctx: ServerContext, editionId: string, date: string): Promise<DownloadResult> {
  const q = new URLSearchParams({ date: date.replaceAll('-', ''), suffix: 'tar.gz' });
  const url = `${ctx.url}/geoip/databases/${encodeURIComponent(editionId)}/download?${q}`;
  const res = await request(ctx, url);
  if (res.kind !== 'response') return res;
  const status = res.res.statusCode ?? 0;
  if (status === 304) {
    res.res.resume();
    return { kind: 'not-modified' };
  }
  if (status !== 200) return httpFailure(status, (await readBody(res.res, MAX_ERROR_BODY, true)) ?? '');
  const lm = res.res.headers['last-modified'];
  const lastModified = lm ? new Date(lm) : undefined;
  return { kind: 'ok', body: res.res, ...(lastModified && !Number.isNaN(lastModified.getTime()) ? { lastModified } : {}) };
}

function httpFailure(status: number, body: string): Failure {
  const retryable = status >= 500 || status === 408 || status === 429;
  return { kind: 'http', status, body: body.slice(0, MAX_ERROR_BODY), retryable };
}

type Response = { kind: 'response'; res: IncomingMessage };

/** GET with Basic auth, following redirects; credentials only go to the first origin. */
async function request(ctx: ServerContext, first: string): Promise<Response | Failure> {
  let url = new URL(first);
  const origin = url.origin;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { 'user-agent': ctx.userAgent, accept: '*/*' };
    if (url.origin === origin) headers.authorization = `Basic ${Buffer.from(`${ctx.accountId}:${ctx.licenseKey}`).toString('base64')}`;
    let res: IncomingMessage;
    try {
      res = await get(ctx, url, headers);
    } catch (err) {
      return { kind: 'network', message: `${url.host}: ${(err as Error).message}`, retryable: true };
    }
    const status = res.statusCode ?? 0;
    const loc = res.headers.location;
    if (![301, 302, 303, 307, 308].includes(status) || !loc) return { kind: 'response', res };
    res.resume();
    try {
      url = new URL(loc, url);
    } catch {
      return { kind: 'protocol', message: `bad redirect Location ${JSON.stringify(loc)}`, retryable: true };
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return { kind: 'protocol', message: `redirect to ${url.protocol} refused`, retryable: false };
  }
  return { kind: 'protocol', message: `more than ${MAX_REDIRECTS} redirects`, retryable: true };
}

function get(ctx: ServerContext, url: URL, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const onRes = (res: IncomingMessage) => resolve(res);
    const proxied = ctx.proxy ? proxyOptions(ctx.proxy, url, headers) : undefined;
    const req = proxied
      ? proxied.then((o) => (url.protocol === 'https:' ? https : http).get(o, onRes))
      : Promise.resolve((url.protocol === 'https:' ? https : http).get(url, { headers }, onRes));
    req.then(
      (r) => {
        r.setTimeout(ctx.timeoutMs, () => r.destroy(new Error(`no answer within ${ctx.timeoutMs} ms`)));
        r.on('error', reject);
        const signal = ctx.signal;
        if (signal) {
          const abort = () => r.destroy(new Error('edition deadline passed'));
          if (signal.aborted) abort();
          signal.addEventListener('abort', abort, { once: true });
          r.once('close', () => signal.removeEventListener('abort', abort));
        }
      },
      reject,
    );
  });
}

/**
 * Through an HTTP proxy: plain http targets are fetched by absolute URI; https
 * targets go through a CONNECT tunnel, TLS end to end.
 */
async function proxyOptions(proxy: URL, url: URL, headers: Record<string, string>): Promise<http.RequestOptions> {
  const auth = proxy.username ? { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` } : {};
  if (url.protocol === 'http:') {
    return { host: proxy.hostname, port: Number(proxy.port), path: url.href, headers: { ...headers, host: url.host, ...auth } };
  }
  const target = `${url.hostname}:${url.port || 443}`;
  const socket = await new Promise<import('node:net').Socket>((resolve, reject) => {
    const req = http.request({ host: proxy.hostname, port: Number(proxy.port), method: 'CONNECT', path: target, headers: { host: target, ...auth } });
    req.once('connect', (res, sock) => (res.statusCode === 200 ? resolve(sock) : (sock.destroy(), reject(new Error(`proxy CONNECT answered ${res.statusCode}`)))));
    req.once('error', reject);
    req.end();
  });
  const tls = tlsConnect({ socket, servername: url.hostname });
  // No agent: with createConnection set, Node uses the tunnel socket for this one request.
  return { host: url.hostname, port: Number(url.port || 443), path: url.pathname + url.search, headers, createConnection: () => tls } as http.RequestOptions;
}

/** Reads a whole (small) body; undefined if it ends in an error or exceeds `max` (unless truncate). */
async function readBody(res: IncomingMessage, max: number, truncate = false): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of res as AsyncIterable<Buffer>) {
      chunks.push(c);
      n += c.length;
      if (n > max) {
        res.destroy();
        return truncate ? Buffer.concat(chunks).toString('utf8', 0, max) : undefined;
      }
    }
  } catch {
    return truncate ? Buffer.concat(chunks).toString('utf8') : undefined;
  }
  return Buffer.concat(chunks).toString('utf8');
}
