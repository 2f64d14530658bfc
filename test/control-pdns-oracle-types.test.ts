// geoctl's zone API against PowerDNS 4.7 for the record types added for issue
// 18: TXT/SPF strings over 255 octets (long SPF, 2048-bit DKIM), LOC, SVCB,
// HTTPS, URI, DNAME, RP and ALIAS (external-dns and PowerDNS-Admin write ALIAS
// for a hostname target at a zone apex). Each PATCH goes to both; statuses,
// bodies, the zone as shown and the stored rows must be equal; then geodns
// serves what geoctl stored (control-zones-serve covers the reading side).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOracle, Z, rec, type Oracle } from './control-pdns-oracle-harness.js';

let oracle: Oracle;
before(async () => { oracle = await startOracle(); });
after(async () => { await oracle?.close(); });

const DKIM = `"v=DKIM1; k=rsa; p=${'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.repeat(9)}IDAQAB"`;
const set = (name: string, type: string, ...contents: string[]) =>
  ({ name, type, ttl: 300, changetype: 'REPLACE', records: contents.map(rec) });

test('every type PowerDNS serves is stored, shown and exported as PowerDNS does', async () => {
  await oracle.same('POST', Z, { name: 'types.test.', kind: 'Native', nameservers: ['ns1.types.test.'] });
  const accepted = [
    set('dkim._domainkey.types.test.', 'TXT', DKIM),
    set('types.test.', 'TXT', `"v=spf1 ${'ip4:192.0.2.0/24 '.repeat(20)}-all" "tail"`, `"${'t'.repeat(510)}"`),
    set('types.test.', 'SPF', `"v=spf1 ${'ip6:2001:db8::/32 '.repeat(16)}-all"`),
    set('loc.types.test.', 'LOC', '52 22 23.000 N 4 53 32.000 E -2.00m 1.00m 10000.00m 10.00m', '42 21 54.000 S 71 6 18.000 W -24.00m 30.00m 10000.00m 10.00m'),
    set('svc.types.test.', 'SVCB', '1 svc.example.net. mandatory=alpn,port alpn=h2,h3 port=8443 ipv4hint=192.0.2.1,192.0.2.2 ipv6hint=2001:db8::1', '0 target.example.net.'),
    set('types.test.', 'HTTPS', '1 . alpn=h3 ech="AEX+DQBBpQAgACBzcmFuZG9tIHB1YmxpYyBrZXkgZm9yIHRlc3QAAQABAAQAD2Vjaw=="'),
    set('svc2.types.test.', 'HTTPS', '2 . alpn=h3 no-default-alpn key65000="foo bar"'),
    set('_ftp._tcp.types.test.', 'URI', '10 1 "ftp://ftp1.example.com/public"'),
    set('dn.types.test.', 'DNAME', 'target.example.net.'),
    set('rp.types.test.', 'RP', 'mbox.types.test. txt.types.test.'),
    set('alias.types.test.', 'ALIAS', 'lb.example.net.'),
  ];
  for (const s of accepted) await oracle.same('PATCH', `${Z}/types.test.`, { rrsets: [s] });
  await oracle.same('GET', `${Z}/types.test.`);
  await oracle.same('GET', `${Z}/types.test./export`);
  await oracle.sameRows('types.test');
});

test('content not in PowerDNS canonical form is refused with the form it was read as', async () => {
  await oracle.same('POST', Z, { name: 'forms.test.', kind: 'Native', nameservers: ['ns1.forms.test.'] });
  const refused = [
    set('loc.forms.test.', 'LOC', '52 N 4 E 10m'),
    set('svc.forms.test.', 'SVCB', '1 svc.example.net. alpn="h2,h3"'),
    set('svc.forms.test.', 'SVCB', '1 svc.example.net. port=53 alpn=h2'),
    set('dn.forms.test.', 'DNAME', 'target.example.net'),
  ];
  for (const s of refused) await oracle.same('PATCH', `${Z}/forms.test.`, { rrsets: [s] });
  // Malformed data: both refuse (422); PowerDNS's parser words it its own way
  // ("Data field in DNS should start with quote (\") at position 5 of …"), we name the field.
  const malformed = [
    set('uri.forms.test.', 'URI', '10 1 ftp://unquoted.example/'),
    set('svc.forms.test.', 'SVCB', '1 svc.example.net. bogus=1'),
    set('svc.forms.test.', 'SVCB', '1 svc.example.net. port=99999'),
  ];
  for (const s of malformed) {
    const r = await oracle.both('PATCH', `${Z}/forms.test.`, { rrsets: [s] });
    assert.deepEqual([r.ours.status, r.pdns.status], [422, 422], `${s.type} ${s.records[0]!.content.slice(0, 80)}: ${JSON.stringify(r.pdns.body).slice(0, 300)}`);
  }
  await oracle.sameRows('forms.test');
  // Deliberate: data that cannot be served. PowerDNS stores a latitude over 90°
  // (RFC 1876 §3 allows 0-90) and a TXT whose wire form is over 65535 octets
  // (answering 500 to this request, after which the name fails); we refuse both with 422.
  const unservable = [
    set('loc.forms.test.', 'LOC', '91 0 0.000 N 4 0 0.000 E 0.00m 1.00m 10000.00m 10.00m'),
    set('txt.forms.test.', 'TXT', `"${'x'.repeat(65400)}"`),
  ];
  for (const s of unservable) {
    const r = await oracle.both('PATCH', `${Z}/forms.test.`, { rrsets: [s] });
    assert.equal(r.ours.status, 422, `${s.type}: ${JSON.stringify(r.ours.body).slice(0, 300)}`);
  }
});
