// LUA records end to end: the real geodns process serves a zone of PowerDNS
// LUA records (`geodns --zones DIR --geoip FILE`) and dig asks it with ECS
// client subnets placed by the same GeoLite2 City file. Covers the record
// forms (expression, `;` statement, several quoted chunks, wildcard owner,
// CNAME chased, ANY), failures (error, instruction limit, empty result, type
// LUA never leaving the server), health checks against loopback ports this
// test opens and closes, and the answer cache as a resolver sees it: one
// answer per GeoIP network with ECS scope = that network's prefix, scope 0
// when nothing about the client was read, source prefix for random answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { GeoIpService } from '@geoedge/geodns';
import { dig, datas, startGeodns, tempDir, freePort, udpExchange, buildQuery, parseMessage, type Geodns, type DigReply } from './helpers/index.js';
import { MMDB, openGeo, sampleClients, greatCircleKm, type Client } from './helpers/pdns-lua.js';

const ZONE = 'lua.test';
let srv: Geodns;
let geo: GeoIpService;
let tmp: { dir: string; remove: () => void };
let pops: Client[];          // five PoPs, one per continent; their addresses are `.1` of the subnet
let clients: Client[];
let healthPort: number;
const listeners: { srv: NetServer; sockets: Set<Socket> }[] = [];

const popAddr = (c: Client): string => c.subnet.replace(/\.0$/, '.1');

function zoneText(): string {
  const list = pops.map((p) => `'${popAddr(p)}'`);
  return [
    `$ORIGIN ${ZONE}.`, '$TTL 60',
    `@ IN SOA ns1.${ZONE}. hostmaster.${ZONE}. 1 3600 600 604800 30`, '@ IN NS ns1', 'ns1 IN A 192.0.2.53',
    `closest 30 IN LUA A "pickclosest({${list.join(',')}})"`,
    // As octoDNS writes it: statement form, branches on GeoIP, hashed fallback.
    `octo 30 IN LUA A ";if country('US') then return '192.0.2.1' elseif continent('EU') then return '192.0.2.2' end return pickwhashed({{10,'192.0.2.3'},{90,'192.0.2.4'}})"`,
    `random IN LUA A "pickrandom({'192.0.2.11','192.0.2.12','192.0.2.13','192.0.2.14','192.0.2.15','192.0.2.16'})"`,
    `health 2 IN LUA A "ifportup(${healthPort}, {'127.0.0.1','127.0.0.2'}, {selector='all', interval=1, timeout=1})"`,
    `*.wild IN LUA TXT "qname:toString()"`,
    `alias IN LUA CNAME "'target.${ZONE}.'"`, 'target IN A 192.0.2.99',
    `stmt IN LUA A ";local prefix = '192.0.2.' return prefix .. '21'"`,
    `expr IN LUA A "'192.0.2.' .. '22'"`,
    `multi IN LUA A "pickclosest({${list.slice(0, 2).join(',')}," " ${list.slice(2).join(',')}})"`,
    `broken IN LUA A "error('boom')"`,
    `loop IN LUA A ";while true do end"`,
    `empty IN LUA A ";return {}"`,
    `mixed IN LUA A "'192.0.2.31'"`, 'mixed IN TXT "static text"',
    `who IN LUA TXT "bestwho:toString()"`,
    `cc IN LUA TXT "countryCode()"`,
    // Garbage a zone author can write: each must give SERVFAIL for its name only.
    `syntax IN LUA A "this is not ( lua"`,
    `notaddr IN LUA A "'not-an-address'"`,
    `number IN LUA A "42"`,
    `membomb IN LUA A ";local s = 'x' for i = 1, 40 do s = s .. s end return s"`,
    `nofunc IN LUA A "nosuchfunction('x')"`,
    `escape IN LUA A ";return os.execute('touch /tmp/geoedge-lua-escaped')"`,
    '',
  ].join('\n');
}

async function listen(host: string, port: number): Promise<void> {
  const sockets = new Set<Socket>();
  const s = createServer((c) => { sockets.add(c); c.on('close', () => sockets.delete(c)); c.on('error', () => {}); });
  await new Promise<void>((r, j) => { s.once('error', j); s.listen(port, host, r); });
  listeners.push({ srv: s, sockets });
}

async function closeListener(i: number): Promise<void> {
  const l = listeners[i]!;
  for (const c of l.sockets) c.destroy();
  await new Promise((r) => l.srv.close(r));
}

before(async () => {
  geo = await openGeo();
  // PoPs on five continents; clients from all six, none inside a PoP's network.
  const sample = sampleClients(geo, 60, 11);
  pops = ['NA', 'EU', 'AS', 'SA', 'OC'].map((c) => sample.find((s) => s.geo.continent === c)!);
  clients = sample.filter((s) => !pops.includes(s));
  healthPort = await freePort();
  await listen('127.0.0.1', healthPort);
  await listen('127.0.0.2', healthPort);
  tmp = tempDir('lua-zones');
  writeFileSync(join(tmp.dir, `${ZONE}.zone`), zoneText());
  srv = await startGeodns({ zonesDir: tmp.dir, args: ['--geoip', MMDB] });
});

after(async () => {
  await srv?.stop();
  for (const l of listeners) if (l.srv.listening) { for (const c of l.sockets) c.destroy(); l.srv.close(); }
  await geo?.close();
  tmp?.remove();
});

const q = (...args: string[]): Promise<DigReply> => dig(srv, args);
const name = (n: string): string => `${n}.${ZONE}`;
/** The ECS scope prefix of a reply ("a.b.c.d/source/scope"). */
const scopeOf = (r: DigReply): number | undefined => (r.opt?.ecs ? Number(r.opt.ecs.split('/')[2]) : undefined);

test('pickclosest answers each client with the PoP nearest by great-circle distance', async () => {
  for (const p of pops) {
    const r = await q(name('closest'), 'A', `+subnet=${p.subnet}/24`);
    assert.deepEqual(datas(r.answer, 'A'), [popAddr(p)], `a client inside ${p.geo.continent} PoP ${popAddr(p)}'s network\n${r.text}`);
    assert.equal(r.answer[0]!.ttl, 30, 'the LUA record TTL');
  }
  for (const c of clients.slice(0, 12)) {
    const r = await q(name('closest'), 'A', `+subnet=${c.subnet}/24`);
    const km = (p: Client): number => greatCircleKm(c.geo.lat, c.geo.lon, p.geo.lat, p.geo.lon);
    const best = [...pops].sort((a, b) => km(a) - km(b))[0]!;
    assert.deepEqual(datas(r.answer, 'A'), [popAddr(best)], `client ${c.subnet} in ${c.geo.country}\n${r.text}`);
    assert.equal(r.opt?.ecs !== undefined && scopeOf(r), geo.lookup(c.subnet)!.prefix, 'scope = the GeoIP network prefix');
  }
});

test('octoDNS-style country/continent script', async () => {
  const us = clients.find((c) => c.geo.country === 'US')!;
  const eu = clients.find((c) => c.geo.continent === 'EU')!;
  const other = clients.filter((c) => c.geo.country !== 'US' && c.geo.continent !== 'EU');
  assert.ok(us && eu && other.length > 5, 'the sample has US, EU and other clients');
  assert.deepEqual(datas((await q(name('octo'), 'A', `+subnet=${us.subnet}/24`)).answer, 'A'), ['192.0.2.1']);
  assert.deepEqual(datas((await q(name('octo'), 'A', `+subnet=${eu.subnet}/24`)).answer, 'A'), ['192.0.2.2']);
  const seen = new Set<string>();
  for (const c of other.slice(0, 12)) {
    const a = datas((await q(name('octo'), 'A', `+subnet=${c.subnet}/24`)).answer, 'A');
    assert.equal(a.length, 1);
    assert.ok(['192.0.2.3', '192.0.2.4'].includes(a[0]!), `hashed fallback for ${c.subnet}: ${a}`);
    seen.add(a[0]!);
    // Hashed on the client: the same client always gets the same answer.
    assert.deepEqual(datas((await q(name('octo'), 'A', `+subnet=${c.subnet}/24`)).answer, 'A'), a);
  }
});

test('expression form, statement form and several quoted chunks', async () => {
  assert.deepEqual(datas((await q(name('expr'), 'A')).answer, 'A'), ['192.0.2.22']);
  assert.deepEqual(datas((await q(name('stmt'), 'A')).answer, 'A'), ['192.0.2.21']);
  // "multi" is the closest script split over two chunks: same answers.
  for (const c of [...pops, ...clients.slice(0, 4)]) {
    const a = await q(name('multi'), 'A', `+subnet=${c.subnet}/24`);
    const b = await q(name('closest'), 'A', `+subnet=${c.subnet}/24`);
    assert.deepEqual(datas(a.answer, 'A'), datas(b.answer, 'A'), a.text);
  }
});

test('a wildcard LUA owner evaluates for the name asked, with ECS scope 0 (only qname read)', async () => {
  const r = await q('some-host.wild.lua.test', 'TXT', `+subnet=${clients[0]!.subnet}/24`);
  assert.equal(r.status, 'NOERROR', r.text);
  assert.deepEqual(datas(r.answer, 'TXT'), ['"some-host.wild.lua.test."'], r.text);
  assert.equal(r.answer[0]!.name, 'some-host.wild.lua.test.');
  assert.equal(scopeOf(r), 0, `nothing about the client was read:\n${r.text}`);
  const other = await q('other.wild.lua.test', 'TXT', `+subnet=${clients[1]!.subnet}/24`);
  assert.deepEqual(datas(other.answer, 'TXT'), ['"other.wild.lua.test."']);
});

test('a LUA CNAME is evaluated and chased to the target', async () => {
  const r = await q(name('alias'), 'A');
  assert.equal(r.status, 'NOERROR', r.text);
  assert.deepEqual(datas(r.answer, 'CNAME'), ['target.lua.test.']);
  assert.deepEqual(datas(r.answer, 'A'), ['192.0.2.99']);
  assert.equal(r.answer[0]!.type, 'CNAME', 'CNAME first');
});

test('a failing script gives SERVFAIL and a log line naming the record', async () => {
  const r = await q(name('broken'), 'A');
  assert.equal(r.status, 'SERVFAIL', r.text);
  const line = await srv.waitForLog((l) => /LUA record failed/.test(l.msg) && l.record === 'broken.lua.test.');
  assert.match(String(line.err), /boom/);
});

test('an endless loop hits the instruction limit: SERVFAIL at once, the server keeps answering', async () => {
  // One datagram, one 2 s wait, no retry: the answer must come back promptly.
  const [loop, other] = await Promise.all([
    udpExchange(srv, buildQuery({ name: name('loop'), type: 'A' }), 2000),
    udpExchange(srv, buildQuery({ name: name('expr'), type: 'A' }), 2000),
  ]);
  assert.ok(loop, 'no answer within 2 s');
  assert.equal(parseMessage(loop).rcode, 2, 'SERVFAIL');
  assert.ok(other);
  assert.equal(parseMessage(other).rcode, 0);
  for (let i = 0; i < 3; i++) assert.equal((await q(name('loop'), 'A')).status, 'SERVFAIL');
  assert.deepEqual(datas((await q(name('expr'), 'A')).answer, 'A'), ['192.0.2.22']);
  assert.ok(srv.proc.alive());
});

test('an empty result is NODATA with the SOA', async () => {
  const r = await q(name('empty'), 'A');
  assert.equal(r.status, 'NOERROR', r.text);
  assert.deepEqual(r.answer, []);
  assert.deepEqual(r.authority.map((x) => x.type), ['SOA'], r.text);
  assert.equal(r.authority[0]!.ttl, 30, 'SOA minimum');
});

test('ANY holds the evaluated record; type LUA is never sent (TYPE65402 → NODATA)', async () => {
  const any = await q(name('mixed'), 'ANY', '+tcp');
  assert.equal(any.status, 'NOERROR', any.text);
  assert.deepEqual(datas(any.answer, 'A'), ['192.0.2.31'], any.text);
  assert.deepEqual(datas(any.answer, 'TXT'), ['"static text"']);
  assert.ok(any.answer.every((r) => r.type !== 'TYPE65402' && r.type !== 'LUA'), any.text);
  const lua = await q(name('mixed'), 'TYPE65402');
  assert.equal(lua.status, 'NOERROR', lua.text);
  assert.deepEqual(lua.answer, []);
  assert.deepEqual(lua.authority.map((x) => x.type), ['SOA']);
  const udpAny = await q(name('closest'), 'ANY', `+subnet=${pops[0]!.subnet}/24`);
  assert.deepEqual(datas(udpAny.answer, 'A'), [popAddr(pops[0]!)], udpAny.text);
});

test('clients in one GeoIP network share an answer whose ECS scope is that network prefix', async () => {
  // A network wide enough to hold two different /24 subnets.
  const wide = sampleClients(geo, 300, 5).find((c) => { const g = geo.lookup(c.subnet)!; return g.prefix <= 22; });
  assert.ok(wide, 'the sample has a network of /22 or wider');
  const g = geo.lookup(wide.subnet)!;
  const base = g.network.split('.').map(Number);
  const second = `${base[0]}.${base[1]}.${base[2]! + 1}.0`;
  assert.equal(geo.lookup(second)!.network, g.network, 'both subnets are in the same network');
  // octo reads only GeoIP data for US and EU clients; elsewhere pickwhashed hashes the address.
  const octoGeoOnly = g.country === 'US' || g.continent === 'EU';
  for (const rec of octoGeoOnly ? ['cc', 'octo', 'closest'] : ['cc', 'closest']) {
    const a = await q(name(rec), rec === 'cc' ? 'TXT' : 'A', `+subnet=${g.network}/24`);
    const b = await q(name(rec), rec === 'cc' ? 'TXT' : 'A', `+subnet=${second}/24`);
    assert.deepEqual(rrs(a), rrs(b), `${rec}: the same answer for ${g.network}/24 and ${second}/24`);
    assert.equal(scopeOf(a), g.prefix, `${rec}: scope = ${g.network}/${g.prefix}\n${a.text}`);
    assert.equal(scopeOf(b), g.prefix);
  }
  assert.deepEqual(datas((await q(name('cc'), 'TXT', `+subnet=${second}/24`)).answer, 'TXT'), [`"${g.country!.toLowerCase()}"`]);
  if (!octoGeoOnly) {
    const o = await q(name('octo'), 'A', `+subnet=${second}/24`);
    assert.equal(scopeOf(o), 24, `octo hashed the address: scope = source prefix\n${o.text}`);
  }
});

const rrs = (r: DigReply): string[] => r.answer.map((x) => `${x.type} ${x.data}`).sort();

test('answers cached per GeoIP data record: another network with the same record gets it under its own scope; a client placed elsewhere never does', async () => {
  // Two /24s in different GeoIP networks that reach the same data record (the same
  // place), and clients whose records differ, asked one after the other.
  const sample = sampleClients(geo, 400, 23);
  let pair: [Client, string] | undefined;
  for (const c of sample) {
    const spot = { ...geo.locate(c.subnet)! };
    const base = c.subnet.split('.').map(Number);
    for (let d = 1; d < 64 && !pair; d++) {
      const other = `${base[0]}.${(base[1]! + d) & 255}.${base[2]}.0`;
      const o = geo.locate(other);
      if (o && o.record === spot.record && geo.lookup(other)!.network !== c.geo.network) pair = [c, other];
    }
    if (pair) break;
  }
  assert.ok(pair, 'the sample has two networks of one record');
  const [c, other] = pair;
  const og = geo.lookup(other)!;
  const a = await q(name('cc'), 'TXT', `+subnet=${c.subnet}/24`);
  const b = await q(name('cc'), 'TXT', `+subnet=${other}/24`);
  assert.deepEqual(rrs(b), rrs(a), `${c.subnet} and ${other}: one record, one answer`);
  assert.equal(scopeOf(a), c.geo.prefix, `scope of ${c.subnet}: its network ${c.geo.network}/${c.geo.prefix}`);
  assert.equal(scopeOf(b), og.prefix, `scope of ${other}: its own network ${og.network}/${og.prefix}, not the first client's`);
  // Every sampled client (other records, other places), after the answers above were cached:
  // its own country, and its own nearest PoP.
  for (const x of sample.slice(0, 40)) {
    const t = await q(name('cc'), 'TXT', `+subnet=${x.subnet}/24`);
    assert.deepEqual(datas(t.answer, 'TXT'), [`"${x.geo.country.toLowerCase()}"`], `${x.subnet} in ${x.geo.country}\n${t.text}`);
    assert.equal(scopeOf(t), x.geo.prefix);
    const r = await q(name('closest'), 'A', `+subnet=${x.subnet}/24`);
    const km = (p: Client): number => greatCircleKm(x.geo.lat, x.geo.lon, p.geo.lat, p.geo.lon);
    assert.deepEqual(datas(r.answer, 'A'), [popAddr([...pops].sort((m, n) => km(m) - km(n))[0]!)], `${x.subnet} in ${x.geo.country}\n${r.text}`);
  }
});

test('pickrandom answers vary and carry the source prefix as scope', async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 30; i++) {
    const r = await q(name('random'), 'A', `+subnet=${clients[0]!.subnet}/24`);
    assert.equal(r.answer.length, 1);
    seen.add(r.answer[0]!.data);
    assert.equal(scopeOf(r), 24, r.text);
  }
  assert.ok(seen.size >= 2, `30 answers from one client, all ${[...seen]}: not random (or served from a cache)`);
});

test('ECS with source prefix 0 falls back to the packet source', async () => {
  const r = await q(name('who'), 'TXT', '+subnet=0.0.0.0/0');
  assert.deepEqual(datas(r.answer, 'TXT'), ['"127.0.0.1"'], r.text);
  const e = await q(name('who'), 'TXT', `+subnet=${clients[0]!.subnet}/24`);
  assert.deepEqual(datas(e.answer, 'TXT'), [`"${clients[0]!.subnet}"`], e.text);
  assert.equal(scopeOf(e), 24, 'bestwho read: scope = source prefix');
});

test('ifportup follows the ports, and a cached answer does not outlive a health change', async () => {
  const ecs = `+subnet=${clients[0]!.subnet}/24`;
  const until = async (want: string[], ms: number): Promise<number> => {
    const t0 = Date.now();
    let last: string[] = [];
    while (Date.now() - t0 < ms) {
      last = datas((await q(name('health'), 'A', ecs)).answer, 'A');
      if (last.join() === want.join()) return Date.now() - t0;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail(`health answer still ${last} after ${ms} ms, want ${want}`);
  };
  // First query starts the checks; both ports are open.
  await until(['127.0.0.1', '127.0.0.2'], 8000);
  // Served again (from the cache now), unchanged.
  assert.deepEqual(datas((await q(name('health'), 'A', ecs)).answer, 'A'), ['127.0.0.1', '127.0.0.2']);
  await closeListener(1);
  // interval 1 s + connect refused at once + TTL 2 s, with slack for a loaded machine.
  await until(['127.0.0.1'], 8000);
  const down = await srv.waitForLog((l) => l.msg === 'health check DOWN', 2000);
  assert.match(String(down.check), /127\.0\.0\.2/, 'the log names the check that went down');
});

test('garbage scripts (syntax error, non-address result, memory bomb, unknown function, sandbox escape) give SERVFAIL; the zone keeps answering', async () => {
  for (const n of ['syntax', 'notaddr', 'number', 'membomb', 'nofunc', 'escape']) {
    const r = await q(name(n), 'A', `+subnet=${clients[0]!.subnet}/24`);
    assert.equal(r.status, 'SERVFAIL', `${n}:\n${r.text}`);
    assert.deepEqual(r.answer, []);
  }
  assert.equal(existsSync('/tmp/geoedge-lua-escaped'), false, 'os.execute is not reachable');
  assert.deepEqual(datas((await q(name('expr'), 'A')).answer, 'A'), ['192.0.2.22']);
  assert.ok(srv.proc.alive());
});

test('IPv6 ECS clients are located too; malformed ECS on a LUA name is refused, never crashes', async () => {
  const v6 = await q(name('cc'), 'TXT', '+subnet=2a02:c7f::/48');
  assert.equal(v6.status, 'NOERROR', v6.text);
  const g = geo.lookup('2a02:c7f::');
  assert.ok(g?.country, 'the database places 2a02:c7f::/48');
  assert.deepEqual(datas(v6.answer, 'TXT'), [`"${(g?.country ?? '').toLowerCase()}"`], v6.text);
  assert.equal(scopeOf(v6), g.prefix, 'scope = the IPv6 GeoIP network prefix');
  const closest = await q(name('closest'), 'A', '+subnet=2a02:c7f::/48');
  assert.equal(closest.answer.length, 1, closest.text);
  assert.ok(pops.map(popAddr).includes(closest.answer[0]!.data));
  // Option bodies RFC 7871 §6 forbids: bad family, prefix past the family's length, address bits past the prefix, short.
  const bad = [
    Buffer.from([0, 3, 24, 0, 1, 2, 3]), Buffer.from([0, 1, 33, 0, 1, 2, 3, 4, 5]), Buffer.from([0, 1, 8, 0, 1, 2]),
    Buffer.from([0, 1, 24]), Buffer.from([0, 2, 129, 0, ...Array(17).fill(1)]), Buffer.from([0, 1, 24, 30, 1, 2, 3]),
  ];
  for (const data of bad) {
    const reply = await udpExchange(srv, buildQuery({ name: name('closest'), type: 'A', edns: { options: [{ code: 8, data }] } }), 2000);
    assert.ok(reply, `no answer to ECS ${data.toString('hex')}`);
    const m = parseMessage(reply);
    assert.equal(m.rcode, 1, `FORMERR for ECS ${data.toString('hex')}, got rcode ${m.rcode}`);
  }
  assert.deepEqual(datas((await q(name('expr'), 'A')).answer, 'A'), ['192.0.2.22']);
  assert.ok(srv.proc.alive());
});
