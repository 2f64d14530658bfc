import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE, type RR, type RRset } from '@geoedge/dnsdata';
import type { LookupResult } from './types.js';
import { buildZone, rrsetOf, type ZoneData } from './zone.js';
import { buildZoneSet, lookupInZone } from './zone-set.js';
import { rr, zoneRecords } from './testdata/rr.js';

function zone(origin: string, records: RR[]): ZoneData {
  const r = buildZone(origin, records, `test:${origin}`);
  assert.ok(r.ok, r.problems.join('; '));
  return r.zone;
}

/** A result in one line: "answer example. MX,TXT", "cname*", "delegation sub.example. glue=2" … */
function show(r: LookupResult): string {
  const sets = (ss: RRset[]) => ss.map((s) => `${s.name} ${typeLabel(s.type)}`).join(',');
  switch (r.kind) {
    case 'refused': return 'refused';
    case 'nodata': return `nodata ${r.zone.origin}`;
    case 'nxdomain': return `nxdomain ${r.zone.origin}`;
    case 'answer': return `answer${r.wildcard ? '*' : ''} ${sets(r.rrsets)}`;
    case 'cname': return `cname${r.wildcard ? '*' : ''} ${sets([r.rrset])}`;
    case 'alias': return `alias ${r.rrset.name}`;
    case 'dname': return `dname ${r.dname.name} -> ${r.cname ? (r.cname.records[0] as { target: string }).target : 'too long'}`;
    case 'delegation': return `delegation ${r.ns.name} glue=${sets(r.glue)}`;
  }
}
const typeLabel = (t: number) => Object.entries(TYPE).find(([, v]) => v === t)?.[0] ?? String(t);

function table(title: string, zs: ReturnType<typeof buildZoneSet>, rows: Array<[string, keyof typeof TYPE, string]>): void {
  for (const [qname, qtype, want] of rows) {
    test(`${title}: ${qname} ${qtype} → ${want}`, () => assert.equal(show(zs.lookup(qname, TYPE[qtype])), want));
  }
}

// RFC 4592 §2.2.1, its example zone exactly (SOA and SRV data filled in).
const rfc4592 = zone('example.', [
  rr('example.', 'SOA', 'ns.example.com. hostmaster.example.com. 1'),
  rr('example.', 'NS', 'ns.example.com.'),
  rr('example.', 'NS', 'ns.example.net.'),
  rr('*.example.', 'TXT', 'this is a wildcard'),
  rr('*.example.', 'MX', '10 host1.example.'),
  rr('sub.*.example.', 'TXT', 'this is not a wildcard'),
  rr('host1.example.', 'A', '192.0.2.1'),
  rr('_ssh._tcp.host1.example.', 'SRV', '0 0 22 host1.example.'),
  rr('_ssh._tcp.host2.example.', 'SRV', '0 0 22 host2.example.'),
  rr('subdel.example.', 'NS', 'ns.example.com.'),
  rr('subdel.example.', 'NS', 'ns.example.net.'),
]);

table('RFC 4592 §2.2.1 synthesized', buildZoneSet([rfc4592]), [
  ['host3.example.', 'MX', 'answer* host3.example. MX'],
  ['host3.example.', 'A', 'nodata example.'],               // "no error, but no data": no A at *.example.
  ['foo.bar.example.', 'TXT', 'answer* foo.bar.example. TXT'], // bar.example. does not exist, the wildcard does
]);

table('RFC 4592 §2.2.1 not synthesized', buildZoneSet([rfc4592]), [
  ['host1.example.', 'MX', 'nodata example.'],                // host1.example. exists
  ['sub.*.example.', 'MX', 'nodata example.'],                // sub.*.example. exists
  ['_telnet._tcp.host1.example.', 'SRV', 'nxdomain example.'], // _tcp.host1.example. exists (without data)
  ['host.subdel.example.', 'A', 'delegation subdel.example. glue='], // subdel.example. is a zone cut
  ['ghost.*.example.', 'MX', 'nxdomain example.'],            // *.example. exists: closest encloser, no *.*.example.
]);

table('RFC 4592 empty non-terminals and literal asterisks', buildZoneSet([rfc4592]), [
  ['_tcp.host1.example.', 'TXT', 'nodata example.'],   // an ENT exists: never matched by *.example. (§2.2.2)
  ['host2.example.', 'MX', 'nodata example.'],         // ENT one level higher
  ['_ssh._tcp.host2.example.', 'SRV', 'answer _ssh._tcp.host2.example. SRV'],
  ['*.example.', 'TXT', 'answer *.example. TXT'],      // asking for the wildcard itself is an exact match (§2.3)
  ['*.example.', 'A', 'nodata example.'],
  ['sub.*.example.', 'TXT', 'answer sub.*.example. TXT'],
  ['a.b.c.example.', 'MX', 'answer* a.b.c.example. MX'],
  ['host3.example.', 'ANY', 'answer* host3.example. TXT,host3.example. MX'],
  ['subdel.example.', 'NS', 'delegation subdel.example. glue='], // NS at the cut is a referral
  ['subdel.example.', 'DS', 'nodata example.'],        // DS at the cut: parent side, none here
  ['example.', 'NS', 'answer example. NS'],           // apex NS is authoritative
]);

// RFC 4592 §3.3.1: the source of synthesis may itself be an empty non-terminal.
const entWildcard = zone('example.', [
  ...zoneRecords('example.'),
  rr('sub.*.example.', 'TXT', 'below an empty wildcard'),
  rr('*.ent.example.', 'A', '192.0.2.7'),
  rr('x.ent.example.', 'AAAA', '2001:db8::7'),
]);
table('wildcards and empty non-terminals (RFC 4592 §3.3.1)', buildZoneSet([entWildcard]), [
  ['other.example.', 'A', 'nodata example.'],           // *.example. exists only as an ENT: NODATA, not NXDOMAIN
  ['other.example.', 'ANY', 'nodata example.'],
  ['ent.example.', 'A', 'nodata example.'],             // ent.example. is an ENT above the wildcard
  ['y.ent.example.', 'A', 'answer* y.ent.example. A'],  // closest encloser ent.example. (an ENT) → *.ent.example.
  ['z.y.ent.example.', 'A', 'answer* z.y.ent.example. A'],
  ['x.ent.example.', 'A', 'nodata example.'],           // exists: the wildcard does not fill in missing types
  ['q.x.ent.example.', 'A', 'nxdomain example.'],       // closest encloser x.ent.example. has no * child
]);

const com = zone('example.com.', zoneRecords('example.com.',
  rr('www.example.com.', 'A', '192.0.2.10'),
  rr('www.example.com.', 'AAAA', '2001:db8::10'),
  rr('ftp.example.com.', 'CNAME', 'www.example.com.'),
  rr('*.wild.example.com.', 'CNAME', 'www.example.com.'),
  rr('geo.example.com.', 'LUA', 'A "return \'192.0.2.99\'"'),
  rr('*.lua.example.com.', 'LUA', 'A "return \'192.0.2.98\'"'),
  // A signed delegation with in-bailiwick and sibling glue, and one without glue.
  rr('sub.example.com.', 'NS', 'ns1.sub.example.com.'),
  rr('sub.example.com.', 'NS', 'ns2.example.com.'),
  rr('sub.example.com.', 'NS', 'ns.example.net.'),
  rr('sub.example.com.', 'DS', '12345 13 2 abcdef'),
  rr('ns1.sub.example.com.', 'A', '192.0.2.53'),
  rr('ns1.sub.example.com.', 'AAAA', '2001:db8::53'),
  rr('ns2.example.com.', 'A', '192.0.2.54'),
  rr('deep.sub.example.com.', 'NS', 'ns.example.net.'),
  rr('unsigned.example.com.', 'NS', 'ns.example.net.'),
  rr('child.example.com.', 'NS', 'ns.example.net.'),
  rr('child.example.com.', 'DS', '999 13 2 00ff'),
));
const child = zone('child.example.com.', zoneRecords('child.example.com.', rr('www.child.example.com.', 'A', '192.0.2.77')));
const root = zone('.', zoneRecords('.', rr('org.', 'NS', 'a0.org.afilias-nst.info.')));
const withChild = buildZoneSet([com, child]);

table('example.com: every result kind', withChild, [
  ['www.example.com.', 'A', 'answer www.example.com. A'],
  ['www.example.com.', 'MX', 'nodata example.com.'],
  ['nope.example.com.', 'A', 'nxdomain example.com.'],
  ['a.nope.example.com.', 'A', 'nxdomain example.com.'],
  ['ftp.example.com.', 'A', 'cname ftp.example.com. CNAME'],
  ['ftp.example.com.', 'CNAME', 'answer ftp.example.com. CNAME'],
  ['ftp.example.com.', 'ANY', 'answer ftp.example.com. CNAME'],
  ['www.example.com.', 'ANY', 'answer www.example.com. A,www.example.com. AAAA'],
  ['example.com.', 'SOA', 'answer example.com. SOA'],
  ['example.net.', 'A', 'refused'],
  ['com.', 'NS', 'refused'],
  ['.', 'NS', 'refused'],
  ['x.wild.example.com.', 'A', 'cname* x.wild.example.com. CNAME'],  // wildcard CNAME, owner rewritten
  ['x.wild.example.com.', 'CNAME', 'answer* x.wild.example.com. CNAME'],
  ['wild.example.com.', 'A', 'nodata example.com.'],
  ['geo.example.com.', 'A', 'answer geo.example.com. A'],            // LUA A folded into A
  ['geo.example.com.', 'LUA', 'nodata example.com.'],                // the pseudo-type is never served
  ['a.lua.example.com.', 'A', 'answer* a.lua.example.com. A'],
]);

table('example.com: delegations', withChild, [
  ['sub.example.com.', 'A', 'delegation sub.example.com. glue=ns1.sub.example.com. A,ns1.sub.example.com. AAAA,ns2.example.com. A'],
  ['www.sub.example.com.', 'A', 'delegation sub.example.com. glue=ns1.sub.example.com. A,ns1.sub.example.com. AAAA,ns2.example.com. A'],
  ['ns1.sub.example.com.', 'A', 'delegation sub.example.com. glue=ns1.sub.example.com. A,ns1.sub.example.com. AAAA,ns2.example.com. A'], // glue is not authoritative
  ['sub.example.com.', 'NS', 'delegation sub.example.com. glue=ns1.sub.example.com. A,ns1.sub.example.com. AAAA,ns2.example.com. A'],
  ['sub.example.com.', 'ANY', 'delegation sub.example.com. glue=ns1.sub.example.com. A,ns1.sub.example.com. AAAA,ns2.example.com. A'],
  ['sub.example.com.', 'DS', 'answer sub.example.com. DS'],          // DS at the cut: parent side
  ['unsigned.example.com.', 'DS', 'nodata example.com.'],
  ['deep.sub.example.com.', 'DS', 'delegation sub.example.com. glue=ns1.sub.example.com. A,ns1.sub.example.com. AAAA,ns2.example.com. A'], // below a higher cut
  ['x.deep.sub.example.com.', 'A', 'delegation sub.example.com. glue=ns1.sub.example.com. A,ns1.sub.example.com. AAAA,ns2.example.com. A'],
  ['ns2.example.com.', 'A', 'answer ns2.example.com. A'],
  // Both sides served: the child zone answers its names, the parent its DS (RFC 4035 §3.1.4.1).
  ['child.example.com.', 'SOA', 'answer child.example.com. SOA'],
  ['www.child.example.com.', 'A', 'answer www.child.example.com. A'],
  ['child.example.com.', 'DS', 'answer child.example.com. DS'],
  ['child.example.com.', 'NS', 'answer child.example.com. NS'],
]);

test('without the parent, DS at a child apex is the child zone\'s NODATA', () => {
  assert.equal(show(buildZoneSet([child]).lookup('child.example.com.', TYPE.DS)), 'nodata child.example.com.');
});

table('the root zone', buildZoneSet([root, com]), [
  ['.', 'SOA', 'answer . SOA'],
  ['example.org.', 'A', 'delegation org. glue='],
  ['example.net.', 'A', 'nxdomain .'],
  ['www.example.com.', 'A', 'answer www.example.com. A'],  // the longer match wins
]);

test('zones: longest match, findZone, and the wildcard owner is the qname', () => {
  const zs = buildZoneSet([com, child]);
  assert.equal(zs.findZone('a.b.www.child.example.com.')?.origin, 'child.example.com.');
  assert.equal(zs.findZone('sub.example.com.')?.origin, 'example.com.');
  assert.equal(zs.findZone('example.org.'), undefined);
  assert.deepEqual([...zs.zones.keys()].sort(), ['child.example.com.', 'example.com.']);
  const r = zs.lookup('x.wild.example.com.', TYPE.A);
  assert.ok(r.kind === 'cname');
  assert.deepEqual(r.rrset.records, [{ kind: 'name', target: 'www.example.com.' }]);
  // The zone's own node keeps its owner: synthesis copies, never mutates.
  assert.equal(rrsetOf(com.nodes.get('*.wild.example.com.')!, TYPE.CNAME)!.name, '*.wild.example.com.');
});

test('escaped dots are data, not label boundaries', () => {
  const z = zone('example.com.', zoneRecords('example.com.', rr('a\\.b.example.com.', 'A', '192.0.2.1'), rr('*.example.com.', 'TXT', 'w')));
  const zs = buildZoneSet([z]);
  assert.equal(show(zs.lookup('a\\.b.example.com.', TYPE.A)), 'answer a\\.b.example.com. A');
  assert.equal(show(zs.lookup('b.example.com.', TYPE.A)), 'nodata example.com.', 'b.example.com. came from the wildcard, not an ENT');
  assert.equal(show(zs.lookup('b.example.com.', TYPE.TXT)), 'answer* b.example.com. TXT');
  assert.equal(show(zs.lookup('x.a\\.b.example.com.', TYPE.TXT)), 'nxdomain example.com.');
  assert.equal(zs.findZone('example\\.com.'), undefined);
});

test('10,000 zones with 1,000,000 records: every zone reachable, lookups correct', () => {
  const zones: ZoneData[] = [];
  for (let z = 0; z < 10_000; z++) {
    const o = `z${z}.example.`;
    const recs = zoneRecords(o);
    for (let i = 0; i < 98; i++) recs.push(rr(`h${i}.${o}`, 'A', `10.0.${z & 255}.${i}`));
    zones.push(zone(o, recs));
  }
  const zs = buildZoneSet(zones);
  assert.equal(zs.zones.size, 10_000);
  assert.equal(zones.reduce((n, z) => n + z.recordCount, 0), 1_000_000);
  for (const z of [0, 4321, 9999]) {
    assert.equal(show(zs.lookup(`h97.z${z}.example.`, TYPE.A)), `answer h97.z${z}.example. A`);
    assert.equal(show(zs.lookup(`h98.z${z}.example.`, TYPE.A)), `nxdomain z${z}.example.`);
  }
  assert.equal(zs.lookup('z10000.example.', TYPE.A).kind, 'refused');
});

test('lookupInZone on its own: inside the zone as lookup() would, outside it NXDOMAIN', () => {
  assert.equal(show(lookupInZone(com, 'www.example.com.', TYPE.A)), 'answer www.example.com. A');
  assert.equal(show(lookupInZone(com, 'x.wild.example.com.', TYPE.A)), 'cname* x.wild.example.com. CNAME');
  assert.equal(show(lookupInZone(com, 'www.example.org.', TYPE.A)), 'nxdomain example.com.');
});

test('DS at a child apex whose parent zone does not delegate it: the child answers', () => {
  const orphan = zone('orphan.example.com.', zoneRecords('orphan.example.com.'));
  assert.equal(show(buildZoneSet([com, orphan]).lookup('orphan.example.com.', TYPE.DS)), 'nodata orphan.example.com.');
});

test('garbage query names never throw and get a sound result', () => {
  const zs = buildZoneSet([com, child]);
  const alphabet = ['a', 'b', 'www', '*', '\\.', '\\\\', '\\046', '.', '..', 'example', 'com', 'sub', 'wild', ' ', '\u00e9', ''];
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 20_000; i++) {
    let q = '';
    for (let j = rand(8); j >= 0; j--) q += alphabet[rand(alphabet.length)];
    if (rand(2)) q += '.example.com.';
    const r = zs.lookup(q, rand(2) ? TYPE.A : TYPE.ANY);
    assert.ok(['refused', 'answer', 'cname', 'nodata', 'nxdomain', 'delegation'].includes(r.kind), q);
    assert.equal(r.kind === 'refused', zs.findZone(q) === undefined, q);
  }
});

// RFC 6672 §3.2: a DNAME redirects every name below its owner (not the owner
// itself), occluding any data there; a cut above it still refers; a
// synthesised name over 255 octets is YXDOMAIN (resolve.ts).
const long = `${'x'.repeat(62)}.${'y'.repeat(62)}.${'z'.repeat(62)}.${'w'.repeat(62)}.`; // 253 octets on the wire
const dnames = zone('example.', zoneRecords('example.',
  rr('dn.example.', 'DNAME', 'target.example.net.'),
  rr('dn.example.', 'A', '192.0.2.1'),
  rr('hidden.dn.example.', 'A', '192.0.2.2'),
  rr('deep.dn.example.', 'DNAME', 'other.example.net.'),
  rr('far.example.', 'DNAME', long),
  rr('sub.example.', 'NS', 'ns.example.net.'),
  rr('x.sub.example.', 'DNAME', 'example.net.'),
));
table('RFC 6672 DNAME', buildZoneSet([dnames]), [
  ['dn.example.', 'A', 'answer dn.example. A'],
  ['dn.example.', 'DNAME', 'answer dn.example. DNAME'],
  ['www.dn.example.', 'A', 'dname dn.example. -> www.target.example.net.'],
  ['hidden.dn.example.', 'A', 'dname dn.example. -> hidden.target.example.net.'],
  ['a.deep.dn.example.', 'TXT', 'dname dn.example. -> a.deep.target.example.net.'],
  ['a.b.far.example.', 'A', 'dname far.example. -> too long'],
  ['y.x.sub.example.', 'A', 'delegation sub.example. glue='],
  ['www.example.', 'A', 'nxdomain example.'],
]);

test('a zone without DNAME does not look for one', () => {
  assert.equal(rfc4592.hasDname, false);
  assert.equal(dnames.hasDname, true);
});
