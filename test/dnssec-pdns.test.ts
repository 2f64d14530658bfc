// A zone secured by PowerDNS's own tools, served by geodns unchanged: on a
// gmysql database, `pdnsutil secure-zone` makes the keys (and `set-nsec3 …
// narrow` asks for NSEC3 on a second zone); geodns and pdns_server 4.7 both
// serve the database, and two unbound instances, one stubbed to each, with the
// DS that `pdnsutil show-zone` prints as trust anchor, must set AD on both
// servers' answers (positive, wildcard, NODATA, NXDOMAIN). Signature windows
// match PowerDNS's (the same inception and expiration in the same week).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { migrate } from '@geoedge/zonedb';
import { scratchDatabase, sharedMariaDb, insertZone, basicZone, pdnsutilFor, type Pdnsutil, type ScratchDb } from './helpers/zonedb.js';
import { dig, freePort, startGeodns, startProcess, startUnbound, waitForAnswer, type Geodns, type Unbound, type DigReply, type Proc } from './helpers/index.js';

let s: ScratchDb;
let pu: Pdnsutil;
let g: Geodns;
let pdns: Proc;
let pdnsPort: number;
let viaOurs: Unbound;
let viaPdns: Unbound;
const ZONES = ['pdns-secured.test', 'pdns-nsec3.test'];

const pdnsutil = (...args: string[]): Promise<string> => pu.run(...args);

before(async () => {
  const server = await sharedMariaDb();
  s = await scratchDatabase('dnssec_pdns');
  assert.ok((await migrate(s.db)).ok);
  pu = await pdnsutilFor(server, s.name, 'geoedge-dnssec-pdns-');
  for (const z of ZONES) {
    // empty.<zone> TXT '': content only SQL writes (the API and pdnsutil refuse it); PowerDNS serves "".
    await insertZone(s.db, z, [...basicZone(z), { name: `*.wild.${z}`, type: 'A', content: '192.0.2.77' }, { name: `www.${z}`, type: 'AAAA', content: '2001:db8::10' }, { name: `empty.${z}`, type: 'TXT', content: '' }]);
    await pdnsutil('secure-zone', z);
  }
  await pdnsutil('set-nsec3', 'pdns-nsec3.test', '1 0 0 -', 'narrow');
  // RFC 8078 delete records on one zone (before pdns_server starts: it caches metadata for a minute).
  await pdnsutil('set-publish-cds', 'pdns-nsec3.test', '0');
  await pdnsutil('set-publish-cdnskey', 'pdns-nsec3.test', 'delete');
  for (const z of ZONES) await pdnsutil('rectify-zone', z);
  const anchors: string[] = [];
  for (const z of ZONES) {
    const show = await pdnsutil('show-zone', z);
    const m = /DS = (\S+) IN DS (\d+ \d+ 2 [0-9a-f]+)/.exec(show);
    assert.ok(m, show);
    anchors.push(`${m[1]} DS ${m[2]}`);
  }
  g = await startGeodns({ args: ['--db', s.url] });
  await g.waitForLog((l) => l.msg === 'zones loaded from the database', 20_000);
  pdnsPort = await freePort();
  pdns = startProcess('/usr/sbin/pdns_server', [
    '--no-config', '--daemon=no', '--guardian=no', `--socket-dir=${pu.dir}`, `--config-dir=${pu.dir}`,
    '--local-address=127.0.0.1', `--local-port=${pdnsPort}`, '--launch=gmysql', ...pu.gmysql.map((l) => `--${l}`),
    '--security-poll-suffix=', '--disable-syslog', '--loglevel=4', '--webserver=no', '--api=no',
  ]);
  await pdns.waitForLine(/ready to distribute questions/, 15_000);
  await waitForAnswer({ host: '127.0.0.1', port: pdnsPort }, 10_000);
  viaOurs = await startUnbound({ stubs: ZONES, target: g, anchors });
  viaPdns = await startUnbound({ stubs: ZONES, target: { host: '127.0.0.1', port: pdnsPort }, anchors });
});

after(async () => {
  await viaOurs?.stop();
  await viaPdns?.stop();
  await pdns?.stop();
  await g?.stop();
  await s?.drop();
  await pu?.remove();
});

const ask = (u: Unbound, name: string, type: string) => dig(u, ['+dnssec', '+time=5', name, type]);

function assertAd(r: DigReply, what: string): void {
  assert.ok(r.flags.has('ad') && (r.status === 'NOERROR' || r.status === 'NXDOMAIN'), `${what}: ${r.status}, flags ${[...r.flags]}\n${r.text}`);
}

for (const zone of ZONES) {
  test(`${zone}: geodns's and PowerDNS's answers both validate with the DS pdnsutil printed`, async () => {
    const cases: Array<[string, string]> = [
      [`www.${zone}`, 'A'], [`www.${zone}`, 'AAAA'], [zone, 'MX'], [zone, 'DNSKEY'], [`x.wild.${zone}`, 'A'],
      [`www.${zone}`, 'TXT'], [`nothere.${zone}`, 'A'], [`a.b.nothere.${zone}`, 'TXT'], [`empty.${zone}`, 'TXT'],
    ];
    for (const [name, type] of cases) {
      const [ours, theirs] = await Promise.all([ask(viaOurs, name, type), ask(viaPdns, name, type)]);
      assertAd(ours, `geodns ${name} ${type}`);
      assertAd(theirs, `PowerDNS ${name} ${type}`);
      const rrs = (r: DigReply) => r.answer.filter((a) => a.type !== 'RRSIG').map((a) => `${a.name} ${a.type} ${a.data}`).sort();
      assert.deepEqual(rrs(ours), rrs(theirs), `${name} ${type}: same data`);
    }
  });
}

test('NSEC3 narrow zone: NXDOMAIN keeps its rcode and carries three NSEC3 records, as PowerDNS narrow', async () => {
  const ours = await dig(g, ['+dnssec', '+norecurse', 'nothere.pdns-nsec3.test', 'A']);
  const theirs = await dig({ host: '127.0.0.1', port: pdnsPort }, ['+dnssec', '+norecurse', 'nothere.pdns-nsec3.test', 'A']);
  assert.equal(ours.status, 'NXDOMAIN', ours.text);
  const n3 = (r: DigReply) => r.authority.filter((a) => a.type === 'NSEC3').map((a) => `${a.name.toLowerCase()} ${a.data.toLowerCase()}`).sort();
  assert.deepEqual(n3(ours), n3(theirs), `the same narrow NSEC3 records\n${ours.text}\n${theirs.text}`);
});

test('NSEC zone: the NSEC records of NXDOMAIN and NODATA answers are PowerDNS\'s (the same chain)', async () => {
  const pd = { host: '127.0.0.1', port: pdnsPort };
  for (const [name, type] of [['nothere.pdns-secured.test', 'A'], ['zzz.pdns-secured.test', 'A'], ['www.pdns-secured.test', 'TXT'], ['a.b.wild.pdns-secured.test', 'A']]) {
    const q = (srv: { host: string; port: number }) => dig(srv, ['+dnssec', '+norecurse', name!, type!]);
    const [ours, theirs] = await Promise.all([q(g), q(pd)]);
    assert.equal(ours.status, theirs.status, `${name} ${type}`);
    const nsec = (r: DigReply) => [...r.authority, ...r.answer].filter((a) => a.type === 'NSEC').map((a) => `${a.name.toLowerCase()} ${a.ttl} ${a.data.toLowerCase()}`).sort();
    assert.deepEqual(nsec(ours), nsec(theirs), `${name} ${type}\n${ours.text}\n${theirs.text}`);
  }
});

test('signature windows and DNSKEY TTL are PowerDNS\'s', async () => {
  const q = (srv: { host: string; port: number }) => dig(srv, ['+dnssec', '+norecurse', 'pdns-secured.test', 'DNSKEY']);
  const [ours, theirs] = await Promise.all([q(g), q({ host: '127.0.0.1', port: pdnsPort })]);
  const window = (r: DigReply) => r.answer.filter((a) => a.type === 'RRSIG').map((a) => a.data.split(' ').slice(4, 6).join(' '));
  assert.deepEqual(window(ours), window(theirs), `${ours.text}\n${theirs.text}`);
  assert.deepEqual(ours.answer.map((a) => a.ttl), theirs.answer.map((a) => a.ttl));
});

test('RFC 8078 delete CDS/CDNSKEY (pdnsutil set-publish-cds ZONE 0, set-publish-cdnskey ZONE delete): the same records as PowerDNS, signed and validated', async () => {
  const zone = 'pdns-nsec3.test'; // its metadata set in before()
  const pd = { host: '127.0.0.1', port: pdnsPort };
  const data = (r: DigReply, type: string) => r.answer.filter((a) => a.type === type).map((a) => a.data.toUpperCase().replace(/\s+/g, ' ')).sort();
  for (const type of ['CDS', 'CDNSKEY']) {
    const ours = await dig(g, ['+dnssec', '+norecurse', zone, type]);
    const theirs = await dig(pd, ['+dnssec', '+norecurse', zone, type]);
    assert.ok(data(theirs, type).length === 1, `PowerDNS publishes one delete ${type}: ${theirs.text}`);
    assert.deepEqual(data(ours, type), data(theirs, type), `${type}\n${ours.text}\n${theirs.text}`);
    assert.ok(ours.answer.some((a) => a.type === 'RRSIG'), `our ${type} is signed`);
    assertAd(await ask(viaOurs, zone, type), `geodns ${zone} ${type}`);
  }
});
