// geoctl's zone API against PowerDNS 4.7 (see control-pdns-oracle-harness.ts): errors,
// malformed input and edge cases must get the same status and body; where we
// differ on purpose, the difference is asserted exactly.
//
// Deliberate differences (each asserted below, so a change on either side shows):
//   - unknown zone: PowerDNS 4.7 says {"error": "Not Found"}; we say
//     {"error": "Could not find domain '<zone>'"} (PowerDNS's own message text, as 4.8+ returns it);
//   - malformed JSON: both 400; the error text differs;
//   - EXTEND / PRUNE: PowerDNS 4.7 answers 422 "Changetype not understood"; we apply them as 4.9+ does,
//     with exactly one record (422 "Exactly one record should be provided for PRUNE or EXTEND operation");
//   - LUA content with a Lua syntax error: 4.7 stores it (and fails at query time), we refuse it (422);
//   - data geodns could not serve (a LOC latitude over 90°, a TXT over 65535 wire octets) is refused
//     with a clear 422 where PowerDNS stores it (control-pdns-oracle-types.test.ts);
//   - metadata kind ENABLE-LUA-RECORDS: 4.7's API refuses it (422, pdnsutil only); we allow it, since
//     geodns turns LUA records on per zone with it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOracle, Z, rec, type Oracle } from './control-pdns-oracle-harness.js';

let oracle: Oracle;
before(async () => { oracle = await startOracle(); });
after(async () => { await oracle?.close(); });
const same: Oracle['same'] = (...a) => oracle.same(...a);
const both: Oracle['both'] = (...a) => oracle.both(...a);
const sameRows: Oracle['sameRows'] = (z) => oracle.sameRows(z);

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
  // As PowerDNS 4.9 does: EXTEND and PRUNE take exactly one record.
  for (const changetype of ['EXTEND', 'PRUNE']) {
    for (const records of [[rec('192.0.2.2'), rec('192.0.2.3')], []]) {
      const r = await both('PATCH', `${Z}/diff.test.`, { rrsets: [{ name: 'e.diff.test.', type: 'A', ttl: 60, changetype, records }] });
      assert.deepEqual([r.pdns.status, r.pdns.body], [422, { error: 'Changetype not understood' }]);
      assert.deepEqual([r.ours.status, r.ours.body], [422, { error: 'Exactly one record should be provided for PRUNE or EXTEND operation' }], `${changetype} ${records.length}`);
    }
  }


  const lua = await both('PATCH', `${Z}/diff.test.`, { rrsets: [{ name: 'l.diff.test.', type: 'LUA', ttl: 60, changetype: 'REPLACE', records: [rec(`A "ifportup(443, {"`)] }] });
  assert.equal(lua.pdns.status, 204);
  assert.equal(lua.ours.status, 422);
  assert.match((lua.ours.body as { error: string }).error, /^Record l\.diff\.test\.\/LUA 'A "ifportup\(443, \{"': Lua syntax error/);

  // A TXT string over 255 octets is no longer a difference (issue 18): both store it.
  const long = await both('PATCH', `${Z}/diff.test.`, { rrsets: [{ name: 'dkim.diff.test.', type: 'TXT', ttl: 60, changetype: 'REPLACE', records: [rec(`"${'k'.repeat(300)}"`)] }] });
  assert.deepEqual([long.ours.status, long.pdns.status], [204, 204]);

  const meta = await both('PUT', `${Z}/diff.test./metadata/ENABLE-LUA-RECORDS`, { metadata: ['1'] });
  assert.deepEqual([meta.pdns.status, meta.pdns.body], [422, { error: "Unsupported metadata kind 'ENABLE-LUA-RECORDS'" }]);
  assert.deepEqual([meta.ours.status, meta.ours.body], [200, { kind: 'ENABLE-LUA-RECORDS', metadata: ['1'], type: 'Metadata' }]);
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
  await same('POST', Z, { name: "it's.shape.test.", kind: 'Native', nameservers: [] });
  await same('POST', Z, { name: 'hn.shape.test.', kind: 'Native', nameservers: ["ns1'x.shape.test."] });
  await same('PATCH', P, { rrsets: [{ name: 'mx.shape.test.', type: 'MX', ttl: 60, changetype: 'REPLACE', records: [rec("10 m'x.shape.test.")] }] });
  await same('POST', Z, { name: 'k.shape.test.', kind: 'Hyper', nameservers: [] });
  await sameRows('shape.test');
  await sameRows('k.shape.test');
});

test('record types and content forms beyond the common ones', async () => {
  await same('POST', Z, { name: 'types.test.', kind: 'Native', nameservers: ['ns1.types.test.'] });
  const P = `${Z}/types.test.`;
  const one = (name: string, type: string, content: string) => ({ rrsets: [{ name: `${name}.types.test.`, type, ttl: 300, changetype: 'REPLACE', records: [rec(content)] }] });
  const cases: Array<[string, string, string]> = [
    ['spf', 'SPF', '"v=spf1 -all"'], ['up', 'CNAME', 'Target.Example.NET.'],
    ['sp', 'MX', '10  mail.types.test.'], ['sshfp', 'SSHFP', '4 2 abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789'],
    ['_443._tcp', 'TLSA', '3 1 1 0d6fce13243aa7a0b8fa4e7dbe7a0e6e3f8a9c5d1b2c3d4e5f60718293a4b5c6'],
    ['sip', 'NAPTR', '100 10 "S" "SIP+D2U" "" _sip._udp.types.test.'], ['sec', 'DS', '60485 5 1 2bb183af5f22588179a53b0a98631fad1a292118'],
    ['caa', 'CAA', '0 issuewild ";"'], ['hinfo', 'HINFO', '"Intel x86" "Linux"'], ['rp', 'RP', 'admin.types.test. txt.types.test.'],
    ['dname', 'DNAME', 'other.example.'], ['alias', 'ALIAS', 'target.example.'], ['a\\032b', 'A', '192.0.2.1'], ["o'reilly", 'A', '192.0.2.1'], ['a*b', 'A', '192.0.2.1'], ['*.w', 'A', '192.0.2.1'], ['Mixed', 'A', '192.0.2.2'],
    ['ptr', 'PTR', 'host.example.'], ['loc', 'LOC', '52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000.00m 10.00m'],
    ['svc', 'HTTPS', '1 . alpn=h2,h3'], ['uri', 'URI', '10 1 "https://example.net/"'],
  ];
  // Every one is stored as PowerDNS stores it (before issue 18, RP DNAME ALIAS LOC HTTPS URI were refused).
  const refused: string[] = [];
  for (const [name, type, content] of cases) {
    const r = await both('PATCH', P, one(name, type, content));
    if (r.pdns.status === 204 && r.ours.status === 422) {
      refused.push(type);
      assert.match((r.ours.body as { error: string }).error, /no text form is known for this type|unknown type given/);
      await both('PATCH', P, { rrsets: [{ name: `${name}.types.test.`, type, changetype: 'DELETE' }] });
      continue;
    }
    assert.equal(r.ours.status, r.pdns.status, `${type} ${content}: ${JSON.stringify(r)}`);
    assert.deepEqual(r.ours.body, r.pdns.body);
  }
  assert.deepEqual(refused, []);
  // (Kept from when some PATCHes were refused and bumped PowerDNS's serial only.)
  await same('PATCH', P, { rrsets: [{ name: 'types.test.', type: 'SOA', ttl: 3600, changetype: 'REPLACE', records: [rec('ns1.types.test. h.types.test. 2099010100 10800 3600 604800 3600')] }] });
  await same('GET', P);
  await sameRows('types.test');
});
