// geoctl's zone API against PowerDNS itself. Debian's pdns_server 4.7 runs
// with api=yes and launch=gmysql on its own throwaway database; geoctl's app
// runs on another. Each test replays the requests a real client sends (as
// their public source builds them) to both, and compares status codes,
// bodies field by field (serials after SOA-EDIT-API bumps included) and then
// the rows each wrote: the same storage form, so PowerDNS can serve what we write.
//
// Deliberate differences (each asserted below, so a change on either side shows):
//   - unknown zone: PowerDNS 4.7 says {"error": "Not Found"}; we say
//     {"error": "Could not find domain '<zone>'"} (PowerDNS's own message text, as 4.8+ returns it);
//   - malformed JSON: both 400; the error text differs;
//   - EXTEND / PRUNE: PowerDNS 4.7 answers 422 "Changetype not understood"; we apply them as 4.9+ does;
//   - LUA content with a Lua syntax error: 4.7 stores it (and fails at query time), we refuse it (422);
//   - metadata kind ENABLE-LUA-RECORDS: 4.7's API refuses it (422, pdnsutil only); we allow it, since
//     geodns turns LUA records on per zone with it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '@geoedge/shared';
import { migrate, type Db } from '@geoedge/zonedb';
import { scratchDatabase, type ScratchDb } from '@geoedge/zonedb/testing';
import { buildApp, loadConfig, createControlMetrics } from '@geoedge/control';
import { startProcess, freePort, tempDir, type Proc } from './helpers/index.js';

const KEY = 'oracle-test-key';
let pdnsDb: ScratchDb;
let ourDb: ScratchDb;
let pdns: Proc;
let tmp: { dir: string; remove: () => void };
let app: FastifyInstance;
let pdnsBase = '';
let ourBase = '';

before(async () => {
  [pdnsDb, ourDb] = await Promise.all([scratchDatabase('oracle_pdns'), scratchDatabase('oracle_ours')]);
  assert.ok((await migrate(pdnsDb.db)).ok);
  assert.ok((await migrate(ourDb.db)).ok);
  tmp = tempDir('pdns-oracle');
  const port = await freePort();
  const dnsPort = await freePort();
  pdns = startProcess('/usr/sbin/pdns_server', [
    '--no-config', '--daemon=no', '--guardian=no', `--socket-dir=${tmp.dir}`, `--config-dir=${tmp.dir}`,
    '--local-address=127.0.0.1', `--local-port=${dnsPort}`, '--launch=gmysql', '--gmysql-host=127.0.0.1', '--gmysql-port=3306',
    '--gmysql-user=root', '--gmysql-password=', `--gmysql-dbname=${pdnsDb.name}`, '--gmysql-dnssec=yes',
    '--webserver=yes', '--api=yes', `--api-key=${KEY}`, '--webserver-address=127.0.0.1', `--webserver-port=${port}`,
    '--webserver-allow-from=127.0.0.1', '--security-poll-suffix=', '--disable-syslog', '--loglevel=4', '--enable-lua-records=yes',
  ]);
  await pdns.waitForLine(/ready to distribute questions/, 15_000);
  pdnsBase = `http://127.0.0.1:${port}`;
  const config = loadConfig(undefined, { apiKey: KEY }, {});
  app = await buildApp({ config, log: createLogger({ name: 'oracle', level: 'silent' }), metrics: createControlMetrics(), updaterProblem: 'none', db: ourDb.db });
  await app.listen({ host: '127.0.0.1', port: 0 });
  ourBase = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
after(async () => {
  await app?.close();
  await pdns?.stop();
  tmp?.remove();
  await Promise.all([pdnsDb?.drop(), ourDb?.drop()]);
});

interface Answer { status: number; body: unknown }
type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

async function send(base: string, method: Method, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(base + path, {
    method,
    headers: { 'X-API-Key': KEY, Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = text === '' ? '' : JSON.parse(text); } catch { /* zone export and plain answers stay text */ }
  return { status: res.status, body: parsed };
}

async function both(method: Method, path: string, body?: unknown): Promise<{ pdns: Answer; ours: Answer }> {
  const [p, o] = await Promise.all([send(pdnsBase, method, path, body), send(ourBase, method, path, body)]);
  return { pdns: p, ours: o };
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

/** Sends to both and asserts the same status and the same body. */
async function same(method: Method, path: string, body?: unknown): Promise<Answer> {
  const r = await both(method, path, body);
  const what = `${method} ${path} ${body === undefined ? '' : JSON.stringify(body).slice(0, 300)}`;
  assert.equal(r.ours.status, r.pdns.status, `${what}\n pdns: ${JSON.stringify(r.pdns.body)}\n ours: ${JSON.stringify(r.ours.body)}`);
  assert.deepEqual(normalize(r.ours.body), normalize(r.pdns.body), what);
  return r.ours;
}

/** The rows of a zone in each database, without ids. */
async function rowsOf(db: Db, zone: string) {
  const records = await db.query('SELECT r.name, r.type, r.content, r.ttl, r.prio, r.disabled, r.auth, r.ordername FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name = ? ORDER BY r.name, r.type, r.content', [zone]);
  const domain = await db.query('SELECT name, master, type, account, catalog, notified_serial FROM domains WHERE name = ?', [zone]);
  const meta = await db.query('SELECT m.kind, m.content FROM domainmetadata m JOIN domains d ON d.id = m.domain_id WHERE d.name = ? ORDER BY m.kind, m.content', [zone]);
  const comments = await db.query('SELECT c.name, c.type, c.account, c.comment FROM comments c JOIN domains d ON d.id = c.domain_id WHERE d.name = ? ORDER BY c.name, c.type, c.comment', [zone]);
  return { records, domain, meta, comments };
}

async function sameRows(zone: string): Promise<void> {
  const [p, o] = await Promise.all([rowsOf(pdnsDb.db, zone), rowsOf(ourDb.db, zone)]);
  assert.deepEqual(o, p, `stored rows of ${zone}`);
}

const Z = '/api/v1/servers/localhost/zones';
const rec = (content: string) => ({ content, disabled: false });

test('server resources octoDNS and PowerDNS-Admin read', async () => {
  const r = await both('GET', '/api/v1/servers/localhost');
  assert.equal(r.ours.status, 200);
  const pick = (b: unknown) => { const { type, id, daemon_type, version, url, zones_url } = b as Record<string, string>; return { type, id, daemon_type, version, url, zones_url }; };
  assert.deepEqual(pick(r.ours.body), pick(r.pdns.body));
  const cfg = await both('GET', '/api/v1/servers/localhost/config');
  const lua = (b: unknown) => (b as Array<{ name: string; value: string }>).find((s) => s.name === 'enable-lua-records');
  assert.deepEqual(lua(cfg.ours.body), lua(cfg.pdns.body));
});

test('Terraform provider: POST zone, GET, PATCH rrsets, PATCH DELETE, DELETE zone', async () => {
  await same('POST', Z, { name: 'tf.test.', kind: 'Native', nameservers: ['ns1.tf.test.', 'ns2.tf.test.'], masters: [], soa_edit_api: 'DEFAULT', account: '' });
  await sameRows('tf.test');
  await same('GET', `${Z}/tf.test.`);
  await same('PATCH', `${Z}/tf.test.`, { rrsets: [{ name: 'www.tf.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.1'), rec('192.0.2.2')] }] });
  await same('PATCH', `${Z}/tf.test.`, { rrsets: [{ name: 'tf.test.', type: 'MX', ttl: 3600, changetype: 'REPLACE', records: [rec('10 mail.tf.test.'), rec('20 mail2.tf.test.')] }] });
  await same('PATCH', `${Z}/tf.test.`, { rrsets: [{ name: '_sip._tcp.tf.test.', type: 'SRV', ttl: 3600, changetype: 'REPLACE', records: [rec('10 20 5060 sip.tf.test.')] }] });
  await same('PATCH', `${Z}/tf.test.`, { rrsets: [{ name: 'sub.tf.test.', type: 'NS', ttl: 3600, changetype: 'REPLACE', records: [rec('ns.sub.tf.test.')] }, { name: 'ns.sub.tf.test.', type: 'A', ttl: 3600, changetype: 'REPLACE', records: [rec('192.0.2.53')] }] });
  await same('GET', `${Z}/tf.test.`);
  await sameRows('tf.test');
  await same('PATCH', `${Z}/tf.test.`, { rrsets: [{ name: 'www.tf.test.', type: 'A', changetype: 'DELETE' }] });
  await same('GET', `${Z}/tf.test.`);
  await same('GET', `${Z}/tf.test./export`);
  await sameRows('tf.test');
  await same('DELETE', `${Z}/tf.test.`);
  assert.equal((await both('GET', `${Z}/tf.test.`)).ours.status, 404);
  await sameRows('tf.test');
});

test('external-dns (pdns provider): list zones, get zone, PATCH REPLACE with TXT ownership records, PATCH DELETE', async () => {
  await same('POST', Z, { name: 'edns.test.', kind: 'Native', nameservers: ['ns1.edns.test.'] });
  await same('GET', Z);
  await same('GET', `${Z}/edns.test.`);
  const owner = '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/app"';
  const create = { rrsets: [
    { name: 'app.edns.test.', type: 'A', ttl: 300, changetype: 'REPLACE', records: [{ content: '192.0.2.10', disabled: false, 'set-ptr': false }] },
    { name: 'app.edns.test.', type: 'TXT', ttl: 300, changetype: 'REPLACE', records: [{ content: owner, disabled: false, 'set-ptr': false }] },
    { name: 'a-app.edns.test.', type: 'TXT', ttl: 300, changetype: 'REPLACE', records: [{ content: owner, disabled: false, 'set-ptr': false }] },
  ] };
  await same('PATCH', `${Z}/edns.test.`, create);
  await same('GET', `${Z}/edns.test.`);
  await sameRows('edns.test');
  await same('PATCH', `${Z}/edns.test.`, { rrsets: create.rrsets.map((r) => ({ ...r, changetype: 'DELETE' })) });
  await same('GET', `${Z}/edns.test.`);
  await sameRows('edns.test');
});

test('lego (pdns provider): GET zone, PATCH REPLACE _acme-challenge TXT, notify, PATCH DELETE', async () => {
  await same('POST', Z, { name: 'lego.test.', kind: 'Native', nameservers: ['ns1.lego.test.'] });
  await same('GET', `${Z}/lego.test.`);
  await same('PATCH', `${Z}/lego.test.`, { rrsets: [{ name: '_acme-challenge.lego.test.', type: 'TXT', ttl: 120, changetype: 'REPLACE', records: [{ content: '"LHDhK3oGRvkiefQnx7OOczTY5Tic_xZ6HcMOc_gmtoM"', disabled: false }] }] });
  await same('GET', `${Z}/lego.test.`);
  await sameRows('lego.test');
  await same('PUT', `${Z}/lego.test./notify`);
  await same('PATCH', `${Z}/lego.test.`, { rrsets: [{ name: '_acme-challenge.lego.test.', type: 'TXT', changetype: 'DELETE', records: [] }] });
  await same('GET', `${Z}/lego.test.`);
  await sameRows('lego.test');
});

test('octoDNS (octodns-powerdns): 404 probe, POST Master zone with rrsets, PATCH with LUA records, comments', async () => {
  assert.equal((await both('GET', `${Z}/octo.test.`)).ours.status, 404);
  const script = `A ";local pools = {['eu'] = {'192.0.2.1'}, ['default'] = {'192.0.2.2'}} local c = continent() if pools[c] then return pools[c] end return pools['default']"`;
  await same('POST', Z, {
    name: 'octo.test.', kind: 'Master', masters: [], nameservers: [], soa_edit_api: 'INCEPTION-INCREMENT',
    rrsets: [
      { name: 'octo.test.', type: 'SOA', ttl: 3600, records: [rec('ns1.octo.test. hostmaster.octo.test. 1 10800 3600 604800 3600')] },
      { name: 'octo.test.', type: 'NS', ttl: 3600, records: [rec('ns1.octo.test.'), rec('ns2.octo.test.')] },
      { name: 'www.octo.test.', type: 'A', ttl: 300, records: [rec('192.0.2.3')] },
    ],
  });
  await same('PATCH', `${Z}/octo.test.`, { rrsets: [
    { name: 'geo.octo.test.', type: 'LUA', ttl: 60, changetype: 'REPLACE', records: [rec(script)] },
    { name: 'pick.octo.test.', type: 'LUA', ttl: 60, changetype: 'REPLACE', records: [rec(`A "pickclosest({'192.0.2.1','192.0.2.2'})"`), rec(`AAAA "ifportup(443, {'2001:db8::1'})"`)] },
    { name: 'www.octo.test.', type: 'A', ttl: 300, changetype: 'REPLACE', records: [rec('192.0.2.4')], comments: [{ content: "managed by octoDNS; it's fine", account: 'octodns' }] },
    { name: 'caa.octo.test.', type: 'CAA', ttl: 300, changetype: 'REPLACE', records: [rec('0 issue "letsencrypt.org"')] },
  ] });
  await same('GET', `${Z}/octo.test.`);
  await same('GET', `${Z}/octo.test./export`);
  await sameRows('octo.test');
  await same('GET', `${Z}/octo.test./metadata`);
});

test('SOA serials: DEFAULT on a client-written SOA, INCREASE and EPOCH via PUT, empty PATCH', async () => {
  await same('POST', Z, { name: 'serial.test.', kind: 'Native', nameservers: ['ns1.serial.test.'] });
  const soa = (serial: number) => ({ rrsets: [{ name: 'serial.test.', type: 'SOA', ttl: 3600, changetype: 'REPLACE', records: [rec(`ns1.serial.test. h.serial.test. ${serial} 10800 3600 604800 3600`)] }] });
  await same('PATCH', `${Z}/serial.test.`, soa(5));
  await same('GET', `${Z}/serial.test.?rrsets=false`);
  await same('PATCH', `${Z}/serial.test.`, soa(2099010199));
  await same('GET', `${Z}/serial.test.?rrsets=false`);
  await same('PATCH', `${Z}/serial.test.`, { rrsets: [] });
  await same('GET', `${Z}/serial.test.?rrsets=false`);
  await same('PUT', `${Z}/serial.test.`, { soa_edit_api: 'INCREASE' });
  await same('PATCH', `${Z}/serial.test.`, { rrsets: [{ name: 'a.serial.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.1')] }] });
  await same('GET', `${Z}/serial.test.`);
  await sameRows('serial.test');
});

test('errors PowerDNS and we answer alike', async () => {
  await same('POST', Z, { name: 'err.test.', kind: 'Native', nameservers: ['ns1.err.test.'] });
  await same('POST', Z, { name: 'err.test.', kind: 'Native', nameservers: ['ns1.err.test.'] });
  const one = (r: Record<string, unknown>) => ({ rrsets: [{ ttl: 300, changetype: 'REPLACE', ...r }] });
  for (const body of [
    one({ name: 'www.other.test.', type: 'A', records: [rec('192.0.2.1')] }),
    one({ name: 'www.err.test', type: 'A', records: [rec('192.0.2.1')] }),
    one({ name: 'www.err.test.', type: 'BLAH', records: [rec('1')] }),
    one({ name: 'www.err.test.', type: 'A', changetype: 'FOO', records: [] }),
    { rrsets: [{ name: 'www.err.test.', type: 'A', changetype: 'REPLACE', records: [rec('192.0.2.1')] }] },
    one({ name: 'www.err.test.', type: 'A', records: [rec('192.0.2.1'), rec('192.0.2.1')] }),
    one({ name: 't.err.test.', type: 'TXT', records: [rec('unquoted')] }),
    one({ name: 'm.err.test.', type: 'MX', records: [rec('10 mail.err.test')] }),
  ]) {
    await same('PATCH', `${Z}/err.test.`, body);
  }
  // Content that does not parse: same status and prefix; the parser's own words differ.
  const parse = await both('PATCH', `${Z}/err.test.`, one({ name: 'www.err.test.', type: 'A', records: [rec('192.0.2')] }));
  assert.equal(parse.ours.status, parse.pdns.status);
  const prefix = "Record www.err.test./A '192.0.2': Parsing record content (try 'pdnsutil check-zone'): ";
  assert.ok((parse.pdns.body as { error: string }).error.startsWith(prefix));
  assert.ok((parse.ours.body as { error: string }).error.startsWith(prefix), JSON.stringify(parse.ours.body));
  await same('PATCH', `${Z}/err.test.`, one({ name: 'c.err.test.', type: 'A', records: [rec('192.0.2.1')] }));
  await same('PATCH', `${Z}/err.test.`, one({ name: 'c.err.test.', type: 'CNAME', records: [rec('x.err.test.')] }));
  // One RRset twice with one changetype is refused; with different changetypes both apply in order.
  const dup = { rrsets: [0, 1].map((i) => ({ name: 'd.err.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec(`192.0.2.${i}`)] })) };
  await same('PATCH', `${Z}/err.test.`, dup);
  await same('PATCH', `${Z}/err.test.`, { rrsets: [dup.rrsets[0], { name: 'd.err.test.', type: 'A', changetype: 'DELETE' }] });
  await same('GET', `${Z}/err.test.`);
  await sameRows('err.test');
});

test('deliberate differences, each as documented at the top of this file', async () => {
  const missing = await both('GET', `${Z}/missing.test.`);
  assert.deepEqual([missing.pdns.status, missing.pdns.body], [404, { error: 'Not Found' }]);
  assert.deepEqual([missing.ours.status, missing.ours.body], [404, { error: "Could not find domain 'missing.test.'" }]);

  await same('POST', Z, { name: 'diff.test.', kind: 'Native', nameservers: ['ns1.diff.test.'] });
  const bad = await both('PATCH', `${Z}/diff.test.`, '{"rrsets": [');
  assert.equal(bad.pdns.status, 400);
  assert.equal(bad.ours.status, 400);
  assert.match((bad.ours.body as { error: string }).error, /JSON/);

  const extend = await both('PATCH', `${Z}/diff.test.`, { rrsets: [{ name: 'e.diff.test.', type: 'A', ttl: 60, changetype: 'EXTEND', records: [rec('192.0.2.1')] }] });
  assert.deepEqual([extend.pdns.status, extend.pdns.body], [422, { error: 'Changetype not understood' }]);
  assert.equal(extend.ours.status, 204, JSON.stringify(extend.ours.body));


  const lua = await both('PATCH', `${Z}/diff.test.`, { rrsets: [{ name: 'l.diff.test.', type: 'LUA', ttl: 60, changetype: 'REPLACE', records: [rec(`A "ifportup(443, {"`)] }] });
  assert.equal(lua.pdns.status, 204);
  assert.equal(lua.ours.status, 422);
  assert.match((lua.ours.body as { error: string }).error, /^Record l\.diff\.test\.\/LUA 'A "ifportup\(443, \{"': Lua syntax error/);

  const meta = await both('PUT', `${Z}/diff.test./metadata/ENABLE-LUA-RECORDS`, { metadata: ['1'] });
  assert.deepEqual([meta.pdns.status, meta.pdns.body], [422, { error: "Unsupported metadata kind 'ENABLE-LUA-RECORDS'" }]);
  assert.deepEqual([meta.ours.status, meta.ours.body], [200, { kind: 'ENABLE-LUA-RECORDS', metadata: ['1'], type: 'Metadata' }]);
});

test('zone ids (=2F, no trailing dot, other case), rrsets=false, rrset_name/rrset_type, PUT zone, metadata', async () => {
  await same('POST', Z, { name: '0/26.2.0.192.in-addr.arpa.', kind: 'Native', nameservers: ['ns1.example.net.'] });
  await same('PATCH', `${Z}/0=2F26.2.0.192.in-addr.arpa.`, { rrsets: [{ name: '5.0/26.2.0.192.in-addr.arpa.', type: 'PTR', ttl: 60, changetype: 'REPLACE', records: [rec('host.example.net.')] }] });
  await same('GET', `${Z}/0=2F26.2.0.192.in-addr.arpa.`);
  await sameRows('0/26.2.0.192.in-addr.arpa');
  await same('POST', Z, { name: 'ids.test.', kind: 'Native', nameservers: ['ns1.ids.test.'] });
  await same('PATCH', `${Z}/ids.test.`, { rrsets: [{ name: 'www.ids.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.1')] }, { name: 'www.ids.test.', type: 'AAAA', ttl: 60, changetype: 'REPLACE', records: [rec('2001:db8::1')] }] });
  await same('GET', `${Z}/ids.test`);
  await same('GET', `${Z}/IDS.Test.`);
  await same('GET', `${Z}/ids.test.?rrsets=false`);
  await same('GET', `${Z}/ids.test.?rrset_name=www.ids.test.`);
  await same('GET', `${Z}/ids.test.?rrset_name=www.ids.test.&rrset_type=AAAA`);
  await same('PUT', `${Z}/ids.test.`, { kind: 'Master', account: 'team-a', masters: [], soa_edit: 'INCEPTION-INCREMENT', soa_edit_api: 'SOA-EDIT-INCREASE' });
  await same('GET', `${Z}/ids.test.?rrsets=false`);
  await same('PATCH', `${Z}/ids.test.`, { rrsets: [{ name: 'www.ids.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.2')] }] });
  await same('GET', `${Z}/ids.test.?rrsets=false`);
  await same('PUT', `${Z}/ids.test./metadata/ALSO-NOTIFY`, { metadata: ['192.0.2.53', '192.0.2.54:5300'] });
  await same('POST', `${Z}/ids.test./metadata`, { kind: 'X-GEOEDGE-NOTE', metadata: ["it's; DROP TABLE domains; --"] });
  await same('GET', `${Z}/ids.test./metadata`);
  await same('GET', `${Z}/ids.test./metadata/ALSO-NOTIFY`);
  await same('PUT', `${Z}/ids.test./metadata/NSEC3PARAM`, { metadata: ['1 0 1 ab'] });
  await sameRows('ids.test');
});

test('PowerDNS-Admin: create with account and no nameservers, PATCH with comments and disabled records, list', async () => {
  await same('POST', Z, { name: 'pda.test.', kind: 'Native', masters: [], nameservers: [], soa_edit_api: 'DEFAULT', account: 'admins' });
  await same('PATCH', `${Z}/pda.test.`, { rrsets: [
    { name: 'pda.test.', type: 'NS', ttl: 3600, changetype: 'REPLACE', records: [rec('ns1.pda.test.')], comments: [] },
    { name: 'mail.pda.test.', type: 'A', ttl: 3600, changetype: 'REPLACE', records: [{ content: '192.0.2.25', disabled: true }], comments: [{ content: 'old mail host', account: 'alice', modified_at: 1700000000 }] },
    { name: 'pda.test.', type: 'TXT', ttl: 3600, changetype: 'REPLACE', records: [rec('"v=spf1 mx -all"'), rec('"google-site-verification=abc"')], comments: [] },
  ] });
  await same('GET', `${Z}/pda.test.`);
  await same('GET', `${Z}/pda.test./export`);
  await sameRows('pda.test');
  await same('GET', Z);
});

test('edge cases: comment-only REPLACE, REPLACE with no records, A beside a CNAME, apex CNAME, null MX, escapes, TTL change', async () => {
  await same('POST', Z, { name: 'edge.test.', kind: 'Native', nameservers: ['ns1.edge.test.'] });
  const P = `${Z}/edge.test.`;
  const one = (r: Record<string, unknown>) => ({ rrsets: [{ ttl: 300, changetype: 'REPLACE', ...r }] });
  await same('PATCH', P, one({ name: 'w.edge.test.', type: 'A', records: [rec('192.0.2.1')] }));
  await same('PATCH', P, one({ name: 'w.edge.test.', type: 'A', comments: [{ content: 'only a comment', account: '' }] }));
  await same('GET', P);
  await same('PATCH', P, one({ name: 'w.edge.test.', type: 'A', ttl: 900, records: [rec('192.0.2.1'), rec('192.0.2.2')] }));
  await same('PATCH', P, one({ name: 'c.edge.test.', type: 'CNAME', records: [rec('w.edge.test.')] }));
  await same('PATCH', P, one({ name: 'c.edge.test.', type: 'A', records: [rec('192.0.2.1')] }));
  await same('PATCH', P, one({ name: 'edge.test.', type: 'CNAME', records: [rec('w.edge.test.')] }));
  await same('PATCH', P, one({ name: 'c.edge.test.', type: 'CNAME', records: [rec('a.edge.test.'), rec('b.edge.test.')] }));
  await same('PATCH', P, one({ name: 'edge.test.', type: 'MX', records: [rec('0 .')] }));
  await same('PATCH', P, one({ name: 't.edge.test.', type: 'TXT', records: [rec('"semi;colon" "quote\\"d" "tab\\009"')] }));
  await same('PATCH', P, one({ name: 'w.edge.test.', type: 'A', records: [] }));
  await same('PATCH', P, one({ name: '*.wild.edge.test.', type: 'A', records: [{ content: '192.0.2.99', disabled: true }] }));
  await same('PATCH', P, one({ name: 'six.edge.test.', type: 'AAAA', records: [rec('2001:DB8:0:0:0:0:0:1')] }));
  await same('GET', P);
  await same('GET', `${P}/export`);
  await sameRows('edge.test');
});

test('POST variants: kinds, masters, uppercase and bad names, nameserver mistakes, rrsets with nameservers', async () => {
  await same('POST', Z, { name: 'nokind.test.', nameservers: ['ns1.nokind.test.'] });
  await same('POST', Z, { name: 'lower.test.', kind: 'native', nameservers: ['ns1.lower.test.'] });
  await same('POST', Z, { name: 'Upper.TEST.', kind: 'Native', nameservers: ['NS1.upper.test.'] });
  await same('GET', `${Z}/upper.test.`);
  await sameRows('upper.test');
  await same('POST', Z, { name: 'slave.test.', kind: 'Slave', masters: ['192.0.2.1', '192.0.2.2:5300'], nameservers: [] });
  await same('GET', `${Z}/slave.test.`);
  await sameRows('slave.test');
  await same('POST', Z, { name: 'nodot.test', kind: 'Native', nameservers: [] });
  await same('POST', Z, { name: 'badns.test.', kind: 'Native', nameservers: ['ns1.badns.test'] });
  await same('POST', Z, { name: 'mixed.test.', kind: 'Native', nameservers: ['ns1.mixed.test.'], rrsets: [{ name: 'mixed.test.', type: 'NS', ttl: 3600, records: [rec('ns2.mixed.test.')] }] });
  await same('POST', Z, { name: 'serial.given.test.', kind: 'Native', nameservers: ['ns1.serial.given.test.'], serial: 2020010101 });
  await same('GET', `${Z}/serial.given.test.`);
  await same('DELETE', `${Z}/serial.given.test.`);
  for (const kind of ['SOA-EDIT-API', 'API-RECTIFY', 'SOA-EDIT', 'ALSO-NOTIFY', 'X-ANY', 'x-lower', 'also-notify', 'GSS-ACCEPTOR-PRINCIPAL', 'LUA-AXFR-SCRIPT', 'PUBLISH-CDS', 'TSIG-ALLOW-AXFR']) {
    await same('GET', `${Z}/slave.test./metadata/${kind}`);
    await same('PUT', `${Z}/slave.test./metadata/${kind}`, { metadata: ['1'] });
  }
  await same('GET', `${Z}/slave.test./metadata`);
  await same('GET', `${Z}/slave.test.?rrsets=false`);
});

test('malformed shapes get PowerDNS\'s own messages', async () => {
  await same('POST', Z, { name: 'shape.test.', kind: 'Native', nameservers: ['ns1.shape.test.'] });
  const P = `${Z}/shape.test.`;
  const a = (extra: Record<string, unknown>) => ({ rrsets: [{ name: 'a.shape.test.', type: 'A', ttl: 60, changetype: 'REPLACE', ...extra }] });
  for (const body of [[], {}, { rrsets: null }, { rrsets: {} }, { rrsets: [null] }, { rrsets: [{ name: 'a.shape.test.' }] },
    { rrsets: [{ changetype: 'REPLACE', type: 'A' }] }, { rrsets: [{ changetype: 'REPLACE', name: 'a.shape.test.' }] },
    a({ records: 'x' }), a({}), a({ records: [{ content: 5 }] }), a({ records: [{ content: '192.0.2.1', disabled: 'no' }] }),
    a({ comments: [{ content: 5, account: '' }] }), a({ comments: [{ content: 'x' }] }), a({ name: 'a..shape.test.', records: [] }),
    a({ name: 'x.shape.test.', type: 'SOA', records: [rec('a. b. 1 2 3 4 5')] }),
    a({ changetype: 'DELETE', records: [{ content: 'not even an address' }] })]) {
    await same('PATCH', P, body);
  }
  await same('PUT', P, { masters: ['x'] });
  await same('POST', Z, { name: 'm.shape.test.', kind: 'Native', masters: ['x'] });
  await same('POST', Z, { name: 'ns.shape.test.', kind: 'Native', nameservers: 'x' });
  await same('POST', Z, { name: 5, kind: 'Native' });
  await same('POST', Z, { name: 'k.shape.test.', kind: 'Hyper', nameservers: [] });
  await sameRows('shape.test');
  await sameRows('k.shape.test');
});
