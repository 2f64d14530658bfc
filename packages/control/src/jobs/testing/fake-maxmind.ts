// Test helper: a loopback HTTP server speaking MaxMind's update protocol as
// geoipupdate v7 expects it (see ../maxmind-http.ts for the exchange), plus a
// second "storage" server on another port that the download redirects to, as
// the real service redirects to its object storage. Faults are scripted per
// request so tests can drive 401/429/500/304/garbage/truncated answers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { maxmindTar, maxmindTarGz } from './tar-writer.js';

export type BodyMode = 'ok' | 'garbage' | 'truncated' | 'truncated-tar' | 'md5-mismatch' | 'not-modified' | 'stall' | 'trickle';

export interface FakeEdition {
  mmdb: Buffer;
  date: string;
  /** What the storage server sends for this edition (default ok). */
  mode?: BodyMode;
  /** MD5 the metadata announces (default: MD5 of mmdb). */
  md5?: string;
  /** 'trickle': one byte of the body every this many ms (default 2000), never idle long enough to time out. */
  trickleMs?: number;
}

export interface Fault {
  status: number;
  body?: string;
}

export interface LoggedRequest {
  server: 'api' | 'storage';
  path: string;
  authorization: string | undefined;
  userAgent: string | undefined;
}

export interface FakeMaxmind {
  /** Base URL for GeoIP.conf's Host. */
  url: string;
  editions: Map<string, FakeEdition>;
  /** Answers given (in order) instead of the normal metadata response. */
  metadataFaults: Fault[];
  /** Answers given (in order) instead of the normal download redirect. */
  downloadFaults: Fault[];
  /** When set, a metadata metadataGate promise is awaited first (to hold a run open). */
  metadataGate?: Promise<void>;
  requests: LoggedRequest[];
  downloads(): number;
  close(): Promise<void>;
}

export const ACCOUNT_ID = 123456;
export const LICENSE_KEY = 'abcDEF_test_license_key';

export const md5hex = (b: Buffer) => createHash('md5').update(b).digest('hex');

export async function startFakeMaxmind(editions: Record<string, FakeEdition>): Promise<FakeMaxmind> {
  const fake: FakeMaxmind = {
    url: '',
    editions: new Map(Object.entries(editions)),
    metadataFaults: [],
    downloadFaults: [],
    requests: [],
    downloads: () => fake.requests.filter((r) => r.server === 'storage').length,
    close: async () => {
      await Promise.all([api, storage].map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
    },
  };
  const log = (server: LoggedRequest['server'], req: IncomingMessage) =>
    fake.requests.push({ server, path: req.url ?? '', authorization: req.headers.authorization, userAgent: req.headers['user-agent'] });

  const storage = createServer((req, res) => {
    log('storage', req);
    const m = /^\/files\/([^/]+)\.tar\.gz$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const ed = m ? fake.editions.get(decodeURIComponent(m[1]!)) : undefined;
    if (!ed || !m) return send(res, 404, 'no such file');
    sendBody(res, decodeURIComponent(m[1]!), ed);
  });
  const storageUrl = await listen(storage);

  const api = createServer(async (req, res) => {
    log('api', req);
    const u = new URL(req.url ?? '/', 'http://x');
    const expect = `Basic ${Buffer.from(`${ACCOUNT_ID}:${LICENSE_KEY}`).toString('base64')}`;
    if (req.headers.authorization !== expect) return json(res, 401, { code: 'AUTHORIZATION_INVALID', error: 'Your account ID or license key could not be authenticated.' });
    if (u.pathname === '/geoip/updates/metadata') {
      if (fake.metadataGate) await fake.metadataGate;
      const fault = fake.metadataFaults.shift();
      if (fault) return send(res, fault.status, fault.body ?? '');
      const id = u.searchParams.get('edition_id') ?? '';
      const ed = fake.editions.get(id);
      if (!ed) return json(res, 400, { code: 'EDITION_ID_UNKNOWN', error: `Invalid product ID or subscription expired for ${id}` });
      return json(res, 200, { databases: [{ edition_id: id, md5: ed.md5 ?? md5hex(ed.mmdb), date: ed.date }] });
    }
    const dl = /^\/geoip\/databases\/([^/]+)\/download$/.exec(u.pathname);
    if (dl) {
      const fault = fake.downloadFaults.shift();
      if (fault) return send(res, fault.status, fault.body ?? '');
      const id = decodeURIComponent(dl[1]!);
      const ed = fake.editions.get(id);
      if (!ed) return json(res, 404, { code: 'NOT_FOUND', error: 'Database edition not found' });
      if (u.searchParams.get('suffix') !== 'tar.gz' || u.searchParams.get('date') !== ed.date.replaceAll('-', '')) {
        return json(res, 400, { code: 'INVALID_DATE', error: `bad date/suffix in ${u.search}` });
      }
      res.writeHead(302, { location: `${storageUrl}/files/${encodeURIComponent(id)}.tar.gz` });
      return res.end();
    }
    send(res, 404, 'not found');
  });
  fake.url = await listen(api);
  return fake;
}

function sendBody(res: ServerResponse, id: string, ed: FakeEdition): void {
  const mode = ed.mode ?? 'ok';
  const headers = { 'content-type': 'application/gzip', 'last-modified': new Date(`${ed.date}T00:00:00Z`).toUTCString() };
  if (mode === 'not-modified') return void res.writeHead(304).end();
  if (mode === 'garbage') return send(res, 200, 'this is <html> not a tarball at all', headers);
  const body = mode === 'md5-mismatch' ? maxmindTarGz(id, Buffer.concat([ed.mmdb, Buffer.from('x')])) : maxmindTarGz(id, ed.mmdb);
  if (mode === 'truncated-tar') {
    // A complete gzip stream whose tar ends in the middle of the .mmdb.
    const t = maxmindTar(id, ed.mmdb);
    return send(res, 200, gzipSync(t.subarray(0, t.length - 1024 - 5000)), headers);
  }
  if (mode === 'truncated') {
    // Headers promise the whole file; the connection dies halfway through.
    res.writeHead(200, { ...headers, 'content-length': body.length });
    res.write(body.subarray(0, Math.floor(body.length / 2)));
    return void setTimeout(() => res.socket?.destroy(), 20);
  }
  if (mode === 'trickle') {
    res.writeHead(200, { ...headers, 'content-length': body.length });
    let i = 0;
    const t = setInterval(() => (i < body.length ? res.write(body.subarray(i, ++i)) : (clearInterval(t), res.end())), ed.trickleMs ?? 2000);
    res.on('close', () => clearInterval(t));
    return;
  }
  if (mode === 'stall') {
    res.writeHead(200, headers);
    return void res.write(body.subarray(0, 100));
  }
  res.writeHead(200, { ...headers, 'content-length': body.length });
  res.end(body);
}

function json(res: ServerResponse, status: number, v: unknown): void {
  send(res, status, JSON.stringify(v), { 'content-type': 'application/json' });
}

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end(body);
}

async function listen(s: Server): Promise<string> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}
