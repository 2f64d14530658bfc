import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE, type RR } from '@geoedge/dnsdata';
import { buildZone, rrsetOf, type ZoneData } from './zone.js';
import { rr, zoneRecords } from './testdata/rr.js';

const O = 'example.com.';

function mustBuild(records: RR[], origin = O): { zone: ZoneData; problems: string[] } {
  const r = buildZone(origin, records, 'test');
  assert.ok(r.ok, `zone should build: ${r.problems.join('; ')}`);
  return r;
}

// Zones that must fail to load, and a word the reason must contain.
const failing: Array<[string, RR[], RegExp, string?]> = [
  ['no SOA', [rr(O, 'NS', 'ns1.example.com.')], /no SOA/],
  ['two SOAs', [...zoneRecords(O), rr(O, 'SOA', 'a.example.com. b.example.com. 2')], /2 SOA records/],
  ['SOA below the apex', [...zoneRecords(O), rr(`sub.${O}`, 'SOA', '')], /only sit at the apex/],
  ['CNAME at the apex', [...zoneRecords(O), rr(O, 'CNAME', 'other.example.net.')], /example\.com\. has a CNAME and other data \(.*SOA/],
  ['CNAME beside A', [...zoneRecords(O), rr(`www.${O}`, 'CNAME', 'x.example.net.'), rr(`www.${O}`, 'A', '192.0.2.1')], /www\.example\.com\. has a CNAME and other data \(A\)/],
  ['two CNAMEs', [...zoneRecords(O), rr(`www.${O}`, 'CNAME', 'a.example.net.'), rr(`www.${O}`, 'CNAME', 'b.example.net.')], /2 CNAME records/],
  ['CNAME beside a LUA A', [...zoneRecords(O), rr(`www.${O}`, 'CNAME', 'a.example.net.'), rr(`www.${O}`, 'LUA', 'A "return \'192.0.2.1\'"')], /CNAME and other data \(A\)/],
  ['LUA CNAME beside A', [...zoneRecords(O), rr(`www.${O}`, 'LUA', 'CNAME "return \'a.example.net.\'"'), rr(`www.${O}`, 'A', '192.0.2.1')], /CNAME and other data \(A\)/],
  ['a relative origin', zoneRecords(O), /origin "example\.com" is not absolute/, 'example.com'],
  ['SOA data that is not SOA', [{ ...rr(O, 'SOA', ''), data: { kind: 'a', address: '192.0.2.1' } }, rr(O, 'NS', 'ns.example.net.')], /not SOA data/],
];

for (const [title, records, reason, origin = O] of failing) {
  test(`zone fails: ${title}`, () => {
    const r = buildZone(origin, records, 'test');
    assert.equal(r.ok, false);
    assert.match(r.problems.join('\n'), reason);
  });
}

test('a plain zone builds: serial, source, apex RRsets, record count', () => {
  const { zone, problems } = mustBuild(zoneRecords(O, rr(`WWW.${O}`, 'A', '192.0.2.10'), rr(`www.${O}`, 'A', '192.0.2.11')));
  assert.deepEqual(problems, []);
  assert.equal(zone.origin, O);
  assert.equal(zone.serial, 2026112201);
  assert.equal(zone.source, 'test');
  assert.equal(zone.recordCount, 4);
  const www = zone.nodes.get(`www.${O}`)!;
  assert.equal(www.name, `WWW.${O}`, 'name kept as first written');
  assert.deepEqual(rrsetOf(www, TYPE.A)!.records.map((d) => (d.kind === 'a' ? d.address : '')), ['192.0.2.10', '192.0.2.11']);
  assert.deepEqual(zone.apex.rrsets.map((s) => s.type).sort(), [TYPE.NS, TYPE.SOA].sort());
});

test('the origin is lower-cased and matched without case', () => {
  const { zone } = mustBuild(zoneRecords('Example.COM.', rr('www.EXAMPLE.com.', 'A', '192.0.2.1')), 'Example.COM.');
  assert.equal(zone.origin, O);
  assert.ok(zone.nodes.has(`www.${O}`));
});

// Records the zone keeps serving without, each named in a problem.
const dropped: Array<[string, RR, RegExp]> = [
  ['outside the zone', rr('www.example.net.', 'A', '192.0.2.1'), /www\.example\.net\. A: outside the zone example\.com\./],
  ['a suffix that is not a label boundary', rr('badexample.com.', 'A', '192.0.2.1'), /badexample\.com\. A: outside/],
  ['an escaped dot is not a boundary', rr('www\\.example.com.', 'A', '192.0.2.1'), /www\\\.example\.com\. A: outside/],
  ['class CH', { ...rr(`www.${O}`, 'TXT', 'x'), class: 3 }, /class 3 is not IN/],
  ['LUA type with plain data', { ...rr(`www.${O}`, 'A', '192.0.2.1'), type: TYPE.LUA }, /LUA type and LUA data/],
  ['LUA data under another type', { ...rr(`www.${O}`, 'LUA', 'A "x"'), type: TYPE.A }, /LUA type and LUA data/],
  ['a LUA NS', rr(`sub.${O}`, 'LUA', 'NS "x"'), /cannot yield NS/],
];

for (const [title, record, reason] of dropped) {
  test(`record dropped: ${title}`, () => {
    const { zone, problems } = mustBuild(zoneRecords(O, record));
    assert.match(problems.join('\n'), reason);
    assert.equal(zone.recordCount, 2, 'only SOA and NS remain');
  });
}

test('differing TTLs: the RRset takes the lowest, and the problem says so', () => {
  const { zone, problems } = mustBuild(zoneRecords(O, rr(`www.${O}`, 'A', '192.0.2.1', 600), rr(`www.${O}`, 'A', '192.0.2.2', 60)));
  assert.equal(rrsetOf(zone.nodes.get(`www.${O}`)!, TYPE.A)!.ttl, 60);
  assert.match(problems.join('\n'), /www\.example\.com\. A: records have TTLs 600, 60; serving the lowest, 60 \(RFC 2181 §5\.2\)/);
});

test('duplicate records are kept once (names compared without case)', () => {
  const { zone } = mustBuild(zoneRecords(O,
    rr(`www.${O}`, 'A', '192.0.2.1'), rr(`www.${O}`, 'A', '192.0.2.1'),
    rr(`m.${O}`, 'MX', '10 mail.example.com.'), rr(`m.${O}`, 'MX', '10 MAIL.example.com.'), rr(`m.${O}`, 'MX', '20 mail.example.com.')));
  assert.equal(rrsetOf(zone.nodes.get(`www.${O}`)!, TYPE.A)!.records.length, 1);
  assert.equal(rrsetOf(zone.nodes.get(`m.${O}`)!, TYPE.MX)!.records.length, 2);
});

test('LUA records fold into the RRset of their inner type, beside static records', () => {
  const { zone } = mustBuild(zoneRecords(O,
    rr(`geo.${O}`, 'A', '192.0.2.1'), rr(`geo.${O}`, 'LUA', 'A "return \'192.0.2.2\'"'),
    rr(`alias.${O}`, 'LUA', 'CNAME "return \'www.example.net.\'"')));
  const geo = zone.nodes.get(`geo.${O}`)!;
  assert.deepEqual(geo.rrsets.map((s) => s.type), [TYPE.A]);
  assert.deepEqual(rrsetOf(geo, TYPE.A)!.records.map((d) => d.kind), ['a', 'lua']);
  const alias = zone.nodes.get(`alias.${O}`)!;
  assert.equal(rrsetOf(alias, TYPE.CNAME)!.records[0]!.kind, 'lua');
  assert.deepEqual(alias.rrsets.map((s) => s.type), [TYPE.CNAME], "no LUA RRset");
});

test('RRSIG and NSEC may sit beside a CNAME', () => {
  mustBuild(zoneRecords(O, rr(`www.${O}`, 'CNAME', 'x.example.net.'), rr(`www.${O}`, 'RRSIG', 'sig'), rr(`www.${O}`, 'NSEC', 'nsec')));
});

test('empty non-terminals exist, spelled as their descendant wrote them', () => {
  const { zone } = mustBuild(zoneRecords(O, rr(`_SSH._Tcp.Host.${O}`, 'TXT', 'x')));
  assert.equal(zone.nodes.get(`_tcp.host.${O}`)!.name, `_Tcp.Host.${O}`);
  assert.equal(zone.nodes.get(`_tcp.host.${O}`)!.rrsets.length, 0);
  assert.equal(zone.nodes.get(`host.${O}`)!.rrsets.length, 0);
  assert.equal(zone.nodes.has(`_ssh._tcp.${O}`), false);
});

test('wildcards are linked to the name they hang from', () => {
  const { zone } = mustBuild(zoneRecords(O, rr(`*.${O}`, 'A', '192.0.2.1'), rr(`*.ent.${O}`, 'A', '192.0.2.2')));
  assert.equal(zone.apex.wildcard, zone.nodes.get(`*.${O}`));
  assert.equal(zone.nodes.get(`ent.${O}`)!.wildcard, zone.nodes.get(`*.ent.${O}`));
});

test('zone cuts: every name at or below a delegation knows the highest cut; glue is gathered', () => {
  const { zone, problems } = mustBuild(zoneRecords(O,
    rr(`sub.${O}`, 'NS', `ns1.sub.${O}`), rr(`sub.${O}`, 'NS', `ns.other.${O}`), rr(`sub.${O}`, 'NS', 'ns.example.net.'),
    rr(`ns1.sub.${O}`, 'A', '192.0.2.53'), rr(`ns1.sub.${O}`, 'AAAA', '2001:db8::53'),
    rr(`ns.other.${O}`, 'A', '192.0.2.54'),
    rr(`deeper.sub.${O}`, 'NS', 'ns.example.net.'), rr(`x.deeper.sub.${O}`, 'A', '192.0.2.9'),
    rr(`www.${O}`, 'A', '192.0.2.1')));
  assert.deepEqual(problems, []);
  const sub = zone.nodes.get(`sub.${O}`)!;
  assert.equal(sub.cut, sub);
  assert.deepEqual(zone.delegations, [sub], 'deeper.sub is below sub: not a delegation point of its own');
  for (const n of [`ns1.sub.${O}`, `deeper.sub.${O}`, `x.deeper.sub.${O}`]) assert.equal(zone.nodes.get(n)!.cut, sub, n);
  assert.equal(zone.nodes.get(`www.${O}`)!.cut, undefined);
  assert.equal(zone.apex.cut, undefined, 'apex NS is not a cut');
  assert.deepEqual(sub.glue.map((s) => `${s.name} ${s.type}`), [`ns1.sub.${O} 1`, `ns1.sub.${O} 28`, `ns.other.${O} 1`]);
});

test('an NS target below the cut without an address is reported', () => {
  const { problems } = mustBuild(zoneRecords(O, rr(`sub.${O}`, 'NS', `ns.sub.${O}`)));
  assert.match(problems.join('\n'), /sub\.example\.com\. NS ns\.sub\.example\.com\.: .* no A\/AAAA glue/);
});

test('problems of one kind are capped with a count', () => {
  const junk = Array.from({ length: 25 }, (_, i) => rr(`h${i}.example.net.`, 'A', '192.0.2.1'));
  const { problems } = mustBuild(zoneRecords(O, ...junk));
  assert.equal(problems.length, 11);
  assert.match(problems[10]!, /and 15 more problems of the kind "outside"/);
});

test('the root zone holds any name', () => {
  const { zone } = mustBuild(zoneRecords('.', rr('com.', 'NS', 'a.gtld-servers.net.'), rr('a.b.c.', 'A', '192.0.2.1')), '.');
  assert.ok(zone.nodes.has('b.c.') && zone.nodes.has('c.'));
  assert.equal(zone.nodes.get('com.')!.cut?.name, 'com.');
  assert.deepEqual(zone.delegations.map((n) => n.name), ['com.']);
});

{
  const N = 100_000;
  const records = zoneRecords(O);
  for (let i = 0; i < N; i++) records.push(rr(`h${i}.r${i % 100}.${O}`, 'A', `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
  const t0 = performance.now();
  const r = buildZone(O, records, 'big');
  const ms = Math.round(performance.now() - t0);
  test(`a ${N}-record zone builds (took ${ms} ms here; not asserted)`, () => {
    assert.ok(r.ok);
    assert.equal(r.zone.recordCount, N + 2);
    assert.equal(r.zone.nodes.size, N + 100 + 1, 'every host, 100 empty non-terminals, the apex');
  });
}

test('listed empty names (PowerDNS type-NULL rows) exist even with nothing below them', () => {
  const r = buildZone(O, zoneRecords(O), 'test', [`Leaf.${O}`, `x.deep.${O}`, 'outside.example.net.']);
  assert.ok(r.ok, r.problems.join('; '));
  assert.equal(r.zone.nodes.get(`leaf.${O}`)!.name, `Leaf.${O}`);
  assert.equal(r.zone.nodes.get(`leaf.${O}`)!.rrsets.length, 0);
  assert.equal(r.zone.nodes.get(`deep.${O}`)!.rrsets.length, 0, 'its ancestors below the apex exist too');
  assert.equal(r.zone.nodes.has('outside.example.net.'), false);
  assert.match(r.problems.join('\n'), /outside\.example\.net\.: empty non-terminal outside the zone/);
  // A listed name that also has records keeps them.
  const both = buildZone(O, zoneRecords(O, rr(`www.${O}`, 'A', '192.0.2.1')), 'test', [`www.${O}`]);
  assert.ok(both.ok);
  assert.equal(rrsetOf(both.zone.nodes.get(`www.${O}`)!, TYPE.A)!.records.length, 1);
});
