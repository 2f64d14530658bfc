// geodns against the reference: PowerDNS Authoritative 4.7 (Debian pdns_server,
// `launch=bind,geoip`, enable-lua-records=yes, edns-subnet-processing=yes, the
// geoip backend reading the SAME GeoLite2 City file) serves the same zone of
// LUA records; both are asked by 120 ECS client subnets spread over the six
// inhabited continents (sampled from that file so every one has a location).
// Every function whose semantics PowerDNS 4.7 shares must give the same answer.
//
// Deliberate differences, checked here as such rather than skipped:
//   - pickclosest: PowerDNS ranks candidates by squared differences of degrees
//     (wrong away from the equator, and across the antimeridian westward: it
//     folds a longitude difference above +180 but not below -180); we use great-circle
//     distance, so our pick must be at least as close by great-circle distance
//     as PowerDNS's, and equal when both formulas agree.
//   - pickclosest for a client the database cannot place: PowerDNS measures from
//     0°N 0°E; we answer pickhashed over the same candidates (so here we equal
//     PowerDNS's own pickhashed record for that client).
//   - ECS with source prefix 0 (RFC 7871 §7.1.2: the client wants no subnet
//     used): we locate the packet source, PowerDNS the address 0.0.0.0.
//   - ECS scope: PowerDNS echoes the source prefix on every LUA answer; we send
//     the prefix the answer depends on (GeoIP network prefix, 0 when nothing
//     about the client was read, the source prefix when the address was hashed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GeoIpService } from '@geoedge/geodns';
import { createServer, type Server as NetServer } from 'node:net';
import { startGeodns, tempDir, freePort, PDNS_SERVER, type Geodns, type Pdns } from './helpers/index.js';
import { MMDB, openGeo, sampleClients, startPdnsLua, ecsQuery, greatCircleKm, type Client, type LuaReply } from './helpers/pdns-lua.js';

const ZONE = 'oracle.test';
const POPS = ['8.8.8.8', '81.2.69.142', '1.0.0.1', '200.160.0.8', '196.49.0.1'];
const list = (xs: string[]): string => xs.map((x) => `'${x}'`).join(',');

/** Records answered identically by both servers: name → [type, code]. */
const SAME: Record<string, [string, string]> = {
  hashed: ['A', "pickhashed({'192.0.2.1','192.0.2.2','192.0.2.3','192.0.2.4','192.0.2.5'})"],
  whashed: ['A', "pickwhashed({{15,'192.0.2.1'},{100,'192.0.2.2'},{30,'192.0.2.3'}})"],
  whashed20: ['A', `pickwhashed({${Array.from({ length: 20 }, (_, i) => `{${(i % 3) + 1},'192.0.2.${i + 1}'}`).join(',')}})`],
  octo: ['A', ";if country('US') then return '192.0.2.1' elseif continent('EU') then return '192.0.2.2' end return pickwhashed({{10,'192.0.2.3'},{90,'192.0.2.4'}})"],
  countries: ['A', ";if country({'DE','FR','GB'}) then return '192.0.2.1' elseif continent({'AS','OC'}) then return '192.0.2.2' end return '192.0.2.3'"],
  cc: ['TXT', 'countryCode()'],
  co: ['TXT', 'continentCode()'],
  rc: ['TXT', 'regionCode()'],
  ll: ['TXT', 'latlon()'],
  lo: ['TXT', 'latlonloc()'],
  view: ['A', "view({{{'0.0.0.0/1'},{'192.0.2.1'}},{{'128.0.0.0/2'},{'192.0.2.2'}},{{'0.0.0.0/0'},{'192.0.2.3'}}})"],
  netmask: ['A', ";if netmask({'0.0.0.0/2','128.0.0.0/3'}) then return '192.0.2.1' end return '192.0.2.2'"],
  all: ['A', "all({'192.0.2.1','192.0.2.2'})"],
  bestwho: ['TXT', 'bestwho:toString()'],
  ecswho: ['TXT', 'ecswho:toString()'],
  qname: ['TXT', 'qname:toString()'],
  popshashed: ['A', `pickhashed({${list(POPS)}})`],
  region: ['A', ";if region('ENG') then return '192.0.2.1' elseif region({'CA','TX'}) then return '192.0.2.2' end return '192.0.2.3'"],
  asnum: ['A', ";if asnum({15169, 3320}) then return '192.0.2.1' end return '192.0.2.2'"],
  // A sample of every candidate: random order, the same set.
  sample: ['A', "pickrandomsample(3, {'192.0.2.1','192.0.2.2','192.0.2.3'})"],
  // Content names are absolute with or without the trailing dot.
  alias: ['CNAME', "'target.oracle.test'"],
};
const CLOSEST = `pickclosest({${list(POPS)}})`;
// Where the formulas part: PowerDNS 4.7 ranks by squared degree differences and
// folds the longitude difference only when it is above +180, not below -180.
// Seen from Anchorage, Kamchatka is ~3,300 km away westward across the
// antimeridian and the middle of the US ~4,400 km; PowerDNS computes -308° for
// Kamchatka and picks the US.
const ANCHORAGE = '216.67.109.0';
const KAMCHATKA = '188.191.14.1';
const US_MIDDLE = '8.8.8.8';

let geo: GeoIpService;
let ours: Geodns;
let pdns: Pdns;
let tmp: { dir: string; remove: () => void };
let clients: Client[];
let healthPort: number;
const listeners: NetServer[] = [];

const skip = !existsSync(PDNS_SERVER) && 'pdns_server not installed (scripts/setup-test-deps.sh)';

before(async () => {
  if (skip) return;
  geo = await openGeo();
  clients = sampleClients(geo, 120, 3);
  tmp = tempDir('lua-oracle');
  healthPort = await freePort();
  for (const host of ['127.0.0.1', '127.0.0.2']) {
    const l = createServer((c) => c.on('error', () => {}).end());
    await new Promise<void>((r) => l.listen(healthPort, host, r));
    listeners.push(l);
  }
  writeFileSync(join(tmp.dir, `${ZONE}.zone`), [
    `$ORIGIN ${ZONE}.`, '$TTL 60', `@ IN SOA ns1.${ZONE}. hostmaster.${ZONE}. 1 3600 600 604800 30`, '@ IN NS ns1', 'ns1 IN A 192.0.2.53',
    ...Object.entries(SAME).map(([n, [t, code]]) => `${n} IN LUA ${t} "${code}"`),
    `closest IN LUA A "${CLOSEST}"`,
    'target IN A 192.0.2.99',
    `antimeridian IN LUA A "pickclosest({'${US_MIDDLE}','${KAMCHATKA}'})"`,
    `*.magic IN LUA A "closestMagic()"`,
    `*.fwd IN LUA A "createForward()"`,
    `*.fwd6 IN LUA AAAA "createForward6()"`,
    `health IN LUA A "ifportup(${healthPort}, {'127.0.0.1','127.0.0.2'}, {selector='all', interval=1})"`,
    '',
  ].join('\n'));
  writeFileSync(join(tmp.dir, '2.0.192.in-addr.arpa.zone'), [
    '$ORIGIN 2.0.192.in-addr.arpa.', '$TTL 60', `@ IN SOA ns1.${ZONE}. hostmaster.${ZONE}. 1 3600 600 604800 30`, `@ IN NS ns1.${ZONE}.`,
    `* IN LUA PTR "createReverse('ip-%5%.${ZONE}')"`,
    '',
  ].join('\n'));
  [ours, pdns] = await Promise.all([startGeodns({ zonesDir: tmp.dir, args: ['--geoip', MMDB, '--log-level', 'warn'] }), startPdnsLua({ zonesDir: tmp.dir })]);
});

after(async () => {
  await Promise.all([ours?.stop(), pdns?.stop()]);
  for (const l of listeners) l.close();
  await geo?.close();
  tmp?.remove();
});

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T, R>(items: T[], width: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) { const i = next++; out[i] = await fn(items[i]!); }
  }));
  return out;
}

const show = (r: LuaReply): string => `rcode ${r.rcode} [${r.answers.join(' ')}] scope ${r.scope}`;

test('the sample covers six continents and many countries', { skip }, () => {
  assert.ok(clients.length >= 100, `${clients.length} clients`);
  const continents = new Set(clients.map((c) => c.geo.continent));
  assert.deepEqual([...continents].sort(), ['AF', 'AS', 'EU', 'NA', 'OC', 'SA']);
  assert.ok(new Set(clients.map((c) => c.geo.country)).size >= 30);
});

test('every function PowerDNS 4.7 shares answers the same for each ECS client subnet', { skip }, async (t) => {
  const names = Object.keys(SAME);
  const mismatches: string[] = [];
  let compared = 0;
  await pool(clients, 6, async (c) => {
    for (const n of names) {
      const [type] = SAME[n]!;
      const [a, b] = await Promise.all([ecsQuery(ours, `${n}.${ZONE}`, type, c.subnet), ecsQuery(pdns, `${n}.${ZONE}`, type, c.subnet)]);
      compared++;
      if (a.rcode !== 0) mismatches.push(`${n} ${c.subnet}: geodns ${show(a)}`);
      if (a.rcode !== b.rcode || a.answers.join() !== b.answers.join()) {
        mismatches.push(`${n} for ${c.subnet} (${c.geo.country}): geodns ${show(a)}, PowerDNS ${show(b)}`);
      }
    }
  });
  assert.equal(compared, clients.length * names.length);
  // Answers that say something: a comparison of empty or constant answers proves little.
  const distinct = new Map<string, Set<string>>();
  await pool(clients, 6, async (c) => {
    for (const n of ['cc', 'rc', 'll', 'octo', 'whashed20']) {
      const r = await ecsQuery(ours, `${n}.${ZONE}`, SAME[n]![0], c.subnet);
      if (!distinct.has(n)) distinct.set(n, new Set());
      distinct.get(n)!.add(r.answers.join());
    }
  });
  for (const [n, set] of distinct) assert.ok(set.size >= 3, `${n}: only ${[...set]} over ${clients.length} clients`);
  t.diagnostic([...distinct].map(([n, set]) => `${n}: ${set.size} distinct`).join(', '));
  assert.deepEqual(mismatches, [], `${mismatches.length} of ${compared} answers differ`);
});

test('pickclosest: our pick is never farther by great-circle distance than PowerDNS\'s', { skip }, async (t) => {
  const popGeo = POPS.map((p) => geo.lookup(p)!);
  assert.ok(popGeo.every((g) => g.lat !== undefined), 'every PoP has a location');
  const km = (c: Client, pop: string): number => { const g = popGeo[POPS.indexOf(pop)]!; return greatCircleKm(c.geo.lat, c.geo.lon, g.lat!, g.lon!); };
  let same = 0;
  const worse: string[] = [];
  const replies = await pool(clients, 6, async (c) => [c, await ecsQuery(ours, `closest.${ZONE}`, 'A', c.subnet), await ecsQuery(pdns, `closest.${ZONE}`, 'A', c.subnet)] as const);
  for (const [c, a, b] of replies) {
    assert.equal(a.answers.length, 1, `geodns ${show(a)}`);
    assert.equal(b.answers.length, 1, `PowerDNS ${show(b)}`);
    const [x, y] = [a.answers[0]!, b.answers[0]!];
    // Ours is the great-circle minimum over the candidates.
    const best = Math.min(...POPS.map((p) => km(c, p)));
    assert.ok(km(c, x) <= best + 1e-6, `${c.subnet}: ${x} at ${km(c, x).toFixed(0)} km, best ${best.toFixed(0)} km`);
    if (km(c, x) > km(c, y) + 1e-6) worse.push(`${c.subnet}: ours ${x}, PowerDNS ${y}`);
    if (x === y) same++;
  }
  assert.deepEqual(worse, []);
  t.diagnostic(`${same} of ${clients.length} picks equal PowerDNS's; the others are closer by great-circle distance`);
  // Both formulas agree for most clients; a total disagreement would mean we compare the wrong thing.
  assert.ok(same >= clients.length * 0.7, `only ${same} of ${clients.length} picks agree with PowerDNS`);
});

test('pickclosest for a client without a location: pickhashed, where PowerDNS measures from 0°N 0°E', { skip }, async () => {
  // Documentation and shared address space: in no GeoLite2 database.
  const unknown = ['192.0.2.0', '198.51.100.0', '203.0.113.0', '100.64.1.0', '100.65.7.0'];
  for (const s of unknown) assert.equal(geo.lookup(s)?.lat, undefined, `${s} has no location`);
  for (const s of unknown) {
    const a = await ecsQuery(ours, `closest.${ZONE}`, 'A', s);
    const hashed = await ecsQuery(pdns, `popshashed.${ZONE}`, 'A', s);
    const theirs = await ecsQuery(pdns, `closest.${ZONE}`, 'A', s);
    assert.deepEqual(a.answers, hashed.answers, `${s}: geodns ${show(a)}, PowerDNS pickhashed ${show(hashed)}`);
    assert.equal(theirs.answers.length, 1, `PowerDNS ${show(theirs)}`);
  }
});

test('ECS scope: PowerDNS echoes the source prefix, we send what the answer depends on', { skip }, async () => {
  for (const c of clients.slice(0, 24)) {
    const prefix = geo.lookup(c.subnet)!.prefix;
    for (const [n, want] of [['cc', prefix], ['co', prefix], ['closest', prefix], ['qname', 0], ['hashed', 24], ['bestwho', 24]] as const) {
      const type = n === 'closest' ? 'A' : SAME[n]![0];
      const [a, b] = await Promise.all([ecsQuery(ours, `${n}.${ZONE}`, type, c.subnet), ecsQuery(pdns, `${n}.${ZONE}`, type, c.subnet)]);
      assert.equal(a.scope, want, `geodns ${n} for ${c.subnet}: ${show(a)}`);
      assert.equal(b.scope, 24, `PowerDNS ${n} for ${c.subnet}: ${show(b)}`);
    }
  }
});

test('ECS source prefix 0: we use the packet source; PowerDNS uses the zero address', { skip }, async () => {
  const a = await ecsQuery(ours, `bestwho.${ZONE}`, 'TXT', '0.0.0.0', 0);
  const b = await ecsQuery(pdns, `bestwho.${ZONE}`, 'TXT', '0.0.0.0', 0);
  assert.deepEqual(a.answers, ['127.0.0.1'], show(a));
  assert.deepEqual(b.answers, ['0.0.0.0'], `PowerDNS 4.7 behaviour we document: ${show(b)}`);
});

test('name functions answer like PowerDNS: createReverse, closestMagic (at least as close), ifportup', { skip }, async () => {
  for (const last of [1, 7, 99, 254]) {
    for (const n of [`${last}.2.0.192.in-addr.arpa`]) {
      const [a, b] = await Promise.all([ecsQuery(ours, n, 'PTR'), ecsQuery(pdns, n, 'PTR')]);
      assert.deepEqual(a.answers, b.answers, `${n}: geodns ${show(a)}, PowerDNS ${show(b)}`);
      assert.deepEqual(a.answers, [`ip-192-0-2-${last}.${ZONE}.`]);
    }
  }
  const popGeo = new Map(POPS.map((p) => [p, geo.lookup(p)!]));
  const magic = `${POPS.map((p) => p.replace(/\./g, '-')).join('.')}.magic.${ZONE}`;
  for (const c of clients.slice(0, 30)) {
    const [a, b] = await Promise.all([ecsQuery(ours, magic, 'A', c.subnet), ecsQuery(pdns, magic, 'A', c.subnet)]);
    assert.equal(a.answers.length, 1, show(a));
    const km = (ip: string): number => { const g = popGeo.get(ip)!; return greatCircleKm(c.geo.lat, c.geo.lon, g.lat!, g.lon!); };
    assert.ok(km(a.answers[0]!) <= km(b.answers[0]!) + 1e-6, `closestMagic for ${c.subnet}: geodns ${show(a)}, PowerDNS ${show(b)}`);
  }
  // Health: both ports open, selector 'all'; the first answers come before the first check (backupSelector random).
  const deadline = Date.now() + 10_000;
  let a: LuaReply, b: LuaReply;
  do {
    [a, b] = await Promise.all([ecsQuery(ours, `health.${ZONE}`, 'A'), ecsQuery(pdns, `health.${ZONE}`, 'A')]);
    if (a.answers.length === 2 && b.answers.length === 2) break;
    await new Promise((r) => setTimeout(r, 250));
  } while (Date.now() < deadline);
  assert.deepEqual(a.answers, ['127.0.0.1', '127.0.0.2'], `geodns ${show(a)}`);
  assert.deepEqual(b.answers, a.answers, `PowerDNS ${show(b)}`);
});

// PowerDNS takes the labels of qname relative to the zone apex (not to the
// wildcard's parent); so does lua/reverse.ts.
test('createForward / createForward6 answer like PowerDNS', { skip }, async () => {
  for (const n of [`ip-192-0-2-5.fwd.${ZONE}`, `1.2.3.4.fwd.${ZONE}`, `ip40414243.fwd.${ZONE}`, `garbage.fwd.${ZONE}`]) {
    const [a, b] = await Promise.all([ecsQuery(ours, n, 'A'), ecsQuery(pdns, n, 'A')]);
    assert.deepEqual(a.answers, b.answers, `${n}: geodns ${show(a)}, PowerDNS ${show(b)}`);
  }
  for (const n of [`2001-db8--1.fwd6.${ZONE}`, `20010db8000000000000000000000001.fwd6.${ZONE}`]) {
    const [a, b] = await Promise.all([ecsQuery(ours, n, 'AAAA'), ecsQuery(pdns, n, 'AAAA')]);
    assert.deepEqual(a.answers, b.answers, `${n}: geodns ${show(a)}, PowerDNS ${show(b)}`);
  }
});

test('pickclosest across the antimeridian: we pick the nearer PoP, PowerDNS the one nearer in unfolded degrees', { skip }, async () => {
  const [c, k, u] = [ANCHORAGE, KAMCHATKA, US_MIDDLE].map((x) => geo.lookup(x));
  assert.ok(c?.lon !== undefined && c.lon < -140 && k?.lon !== undefined && k.lon > 150 && u?.country === 'US', 'the database still places the addresses in Alaska, Kamchatka and the US');
  const km = (g: typeof c): number => greatCircleKm(c!.lat!, c!.lon!, g!.lat!, g!.lon!);
  assert.ok(km(k) < km(u) / 1.2, `Kamchatka ${km(k).toFixed(0)} km, US ${km(u).toFixed(0)} km`);
  const [ourPick, theirPick] = await Promise.all([ecsQuery(ours, `antimeridian.${ZONE}`, 'A', ANCHORAGE), ecsQuery(pdns, `antimeridian.${ZONE}`, 'A', ANCHORAGE)]);
  assert.deepEqual(ourPick.answers, [KAMCHATKA], show(ourPick));
  assert.deepEqual(theirPick.answers, [US_MIDDLE], `PowerDNS 4.7's distance: ${show(theirPick)}`);
});
