// The PowerDNS oracle for geoctl's zone API, shared by test/control-pdns-oracle*.test.ts:
// Debian's pdns_server 4.7 with api=yes and launch=gmysql on its own throwaway
// database, geoctl's app (listening on loopback) on another. `same` sends one
// request to both and asserts equal statuses and bodies; `sameRows` compares
// what each wrote to its database.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '@geoedge/shared';
import { migrate, type Db } from '@geoedge/zonedb';
import { scratchDatabase, sharedMariaDb, type ScratchDb } from '@geoedge/zonedb/testing';
import { buildApp, loadConfig, createControlMetrics } from '@geoedge/control';
import { startProcess, freePort, tempDir, type Proc } from './helpers/index.js';

export const KEY = 'oracle-test-key';
export const Z = '/api/v1/servers/localhost/zones';
export const rec = (content: string) => ({ content, disabled: false });

export interface Answer { status: number; body: unknown }
export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** A request as a client sends it: own headers (no X-API-Key unless given), body text as is. */
export interface RawRequest { headers?: Record<string, string>; body?: string; key?: 'header' | 'none' }

export interface Oracle {
  both(method: Method, path: string, body?: unknown): Promise<{ pdns: Answer; ours: Answer }>;
  /** `path` may hold `{KEY}`, replaced by the API key (for ?api-key=). */
  raw(method: Method, path: string, req: RawRequest): Promise<{ pdns: Answer; ours: Answer }>;
  same(method: Method, path: string, body?: unknown): Promise<Answer>;
  sameRows(zone: string): Promise<void>;
  close(): Promise<void>;
}

export async function startOracle(): Promise<Oracle> {
  const [pdnsDb, ourDb] = await Promise.all([scratchDatabase('oracle_pdns'), scratchDatabase('oracle_ours')]);
  assert.ok((await migrate(pdnsDb.db)).ok);
  assert.ok((await migrate(ourDb.db)).ok);
  const tmp = tempDir('pdns-oracle');
  const pdns = await startPdnsApi(pdnsDb, tmp.dir);
  const config = loadConfig(undefined, { apiKey: KEY }, {});
  const app: FastifyInstance = await buildApp({ config, log: createLogger({ name: 'oracle', level: 'silent' }), metrics: createControlMetrics(), updaterProblem: 'none', db: ourDb.db });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const ourBase = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const both = async (method: Method, path: string, body?: unknown) => {
    const [p, o] = await Promise.all([send(pdns.base, method, path, body), send(ourBase, method, path, body)]);
    return { pdns: p, ours: o };
  };
  const raw = async (method: Method, path: string, req: RawRequest) => {
    const [p, o] = await Promise.all([sendRaw(pdns.base, method, path, req), sendRaw(ourBase, method, path, req)]);
    return { pdns: p, ours: o };
  };
  return {
    both,
    raw,
    async same(method, path, body) {
      const r = await both(method, path, body);
      const what = `${method} ${path} ${body === undefined ? '' : JSON.stringify(body).slice(0, 300)}`;
      assert.equal(r.ours.status, r.pdns.status, `${what}\n pdns: ${JSON.stringify(r.pdns.body)}\n ours: ${JSON.stringify(r.ours.body)}`);
      assert.deepEqual(normalize(r.ours.body), normalize(r.pdns.body), what);
      return r.ours;
    },
    async sameRows(zone) {
      const [p, o] = await Promise.all([rowsOf(pdnsDb.db, zone), rowsOf(ourDb.db, zone)]);
      assert.deepEqual(o, p, `stored rows of ${zone}`);
    },
    async close() {
      await app.close();
      await pdns.proc.stop();
      tmp.remove();
      await Promise.all([pdnsDb.drop(), ourDb.drop()]);
    },
  };
}

export async function startPdnsApi(db: ScratchDb, dir: string): Promise<{ proc: Proc; base: string }> {
  const port = await freePort();
  const dnsPort = await freePort();
  const server = await sharedMariaDb();
  const proc = startProcess('/usr/sbin/pdns_server', [
    '--no-config', '--daemon=no', '--guardian=no', `--socket-dir=${dir}`, `--config-dir=${dir}`,
    '--local-address=127.0.0.1', `--local-port=${dnsPort}`, '--launch=gmysql', `--gmysql-host=${server.host}`, `--gmysql-port=${server.port}`,
    '--gmysql-user=root', '--gmysql-password=', `--gmysql-dbname=${db.name}`, '--gmysql-dnssec=yes',
    '--webserver=yes', '--api=yes', `--api-key=${KEY}`, '--webserver-address=127.0.0.1', `--webserver-port=${port}`,
    '--webserver-allow-from=127.0.0.1', '--security-poll-suffix=', '--disable-syslog', '--loglevel=4', '--enable-lua-records=yes',
    // No metadata cache: otherwise a GET right after a PUT of soa_edit computes
    // edited_serial from the old SOA-EDIT for up to a minute; geoctl has no such cache.
    '--zone-metadata-cache-ttl=0',
  ]);
  await proc.waitForLine(/ready to distribute questions/, 15_000);
  return { proc, base: `http://127.0.0.1:${port}` };
}

async function send(base: string, method: Method, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(base + path, {
    method,
    headers: { 'X-API-Key': KEY, Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = text === '' ? '' : JSON.parse(text); } catch { /* plain answers stay text */ }
  return { status: res.status, body: parsed };
}

async function sendRaw(base: string, method: Method, path: string, req: RawRequest): Promise<Answer> {
  const headers = { ...(req.key === 'none' ? {} : { 'X-API-Key': KEY }), ...(req.headers ?? {}) };
  const res = await fetch(base + path.replaceAll('{KEY}', encodeURIComponent(KEY)), { method, headers, ...(req.body !== undefined ? { body: req.body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = text === '' ? '' : JSON.parse(text); } catch { /* plain answers stay text */ }
  return { status: res.status, body: parsed };
}

/** Record order inside an RRset is unspecified in PowerDNS (std::sort is not stable); comment times are "now". */
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v !== 'object' || v === null) return v;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'records' && Array.isArray(x)) o[k] = [...x].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    else if (k === 'modified_at' && typeof x === 'number') o[k] = Math.abs(x - Date.now() / 1000) < 30 ? 'recent' : x;
    else o[k] = normalize(x);
  }
  return o;
}

/** The rows of a zone, without ids. */
async function rowsOf(db: Db, zone: string) {
  const records = await db.query('SELECT r.name, r.type, r.content, r.ttl, r.prio, r.disabled, r.auth, r.ordername FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name = ? ORDER BY r.name, r.type, r.content', [zone]);
  const domain = await db.query('SELECT name, master, type, account, catalog, notified_serial FROM domains WHERE name = ?', [zone]);
  const meta = await db.query('SELECT m.kind, m.content FROM domainmetadata m JOIN domains d ON d.id = m.domain_id WHERE d.name = ? ORDER BY m.kind, m.content', [zone]);
  const comments = await db.query('SELECT c.name, c.type, c.account, c.comment FROM comments c JOIN domains d ON d.id = c.domain_id WHERE d.name = ? ORDER BY c.name, c.type, c.comment', [zone]);
  return { records, domain, meta, comments };
}
