// PowerDNS as the oracle for the record types added for issue 18: TXT strings
// over 255 octets (split into 255-octet character-strings), LOC, SVCB, HTTPS,
// URI, RP, DNAME (the record itself and the CNAME synthesised below it, RFC 6672
// §3.3; PowerDNS with dname-processing=yes) and ALIAS without a resolver
// (PowerDNS: A/AAAA at the name answer NODATA; the ALIAS itself is served as
// TYPE65401). The same zone file goes to pdns_server (bind backend) and to
// geodns; the same dig queries to both; rcode, flags and every section compared.
// One deliberate difference: for a mixed-case qname below a DNAME, PowerDNS
// copies the query's case into the synthesised CNAME's target; geodns writes it
// in lower case (its compiled answers are shared by every spelling of a name,
// and names compare case-insensitively, RFC 4343), so that query is compared
// ignoring case.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dig, rrLines, startPdns, startGeodns, tempDir, type DigReply, type Pdns, type Geodns } from './helpers/index.js';

const DKIM = `v=DKIM1; k=rsa; p=${'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.repeat(9)}IDAQAB`;
export const TYPES_ZONE = `$ORIGIN types.test.
$TTL 3600
@ IN SOA ns1 hostmaster 1 7200 900 1209600 300
  IN NS ns1
  IN HTTPS 1 . alpn=h3,h2 ech=AEX+DQBBpQAgACBzcmFuZG9tIHB1YmxpYyBrZXkgZm9yIHRlc3QAAQABAAQAD2Vjaw==
  IN ALIAS target.types.test.
ns1 IN A 192.0.2.53
dkim._domainkey IN TXT "${DKIM}"
spf IN TXT "v=spf1 ${'ip4:192.0.2.0/24 '.repeat(20)}-all" "tail"
exact IN TXT "${'e'.repeat(255)}"
twice IN TXT "${'t'.repeat(510)}"
esc IN TXT "${'a'.repeat(254)}\\059\\"${'b'.repeat(10)}"
utf8 IN TXT "${'u'.repeat(254)}é${'v'.repeat(3)}"
spf IN SPF "v=spf1 ${'ip6:2001:db8::/32 '.repeat(16)}-all"
loc IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m
loc IN LOC 42 21 54 S 71 06 18 W -24m 30m
svc IN SVCB 1 svc.example.net. alpn="h2,h3" port=8443 ipv4hint=192.0.2.1,192.0.2.2 ipv6hint=2001:db8::1 mandatory=port,alpn
svc IN SVCB 0 target.example.net.
svc2 IN SVCB 2 . key65000="foo bar" no-default-alpn alpn=h3
_ftp._tcp IN URI 10 1 "ftp://ftp1.example.com/public"
rp IN RP mbox.types.test. txt.types.test.
dn IN DNAME target.types.test.
out IN DNAME example.net.
far IN DNAME ${['x', 'y', 'z', 'w'].map((c) => c.repeat(62)).join('.')}.
target IN A 192.0.2.7
www.target IN A 192.0.2.8
www.target IN TXT "behind the dname"
al IN ALIAS target.types.test.
al IN TXT "an alias beside other data"
`;

let pdns: Pdns;
let geo: Geodns;
let dir: { dir: string; remove: () => void };
before(async () => {
  dir = tempDir('dns-oracle-types');
  writeFileSync(join(dir.dir, 'types.test.zone'), TYPES_ZONE);
  [pdns, geo] = await Promise.all([
    startPdns({ zonesDir: dir.dir, args: ['--dname-processing=yes'] }),
    startGeodns({ zonesDir: dir.dir }),
  ]);
});
after(async () => {
  await Promise.all([pdns?.stop(), geo?.stop()]);
  dir?.remove();
});

const QUERIES: string[][] = [
  ['dkim._domainkey.types.test', 'TXT'], ['spf.types.test', 'TXT'], ['exact.types.test', 'TXT'], ['twice.types.test', 'TXT'],
  ['esc.types.test', 'TXT'], ['utf8.types.test', 'TXT'],
  ['spf.types.test', 'SPF'], ['spf.types.test', 'TXT', '+tcp'],
  ['loc.types.test', 'LOC'], ['svc.types.test', 'SVCB'], ['svc2.types.test', 'SVCB'], ['types.test', 'HTTPS'],
  ['svc.types.test', 'HTTPS'], ['_ftp._tcp.types.test', 'URI'], ['rp.types.test', 'RP'],
  // DNAME: the record at its owner, synthesis below it, NXDOMAIN behind it, a target outside our zones
  ['dn.types.test', 'DNAME'], ['dn.types.test', 'A'], ['www.dn.types.test', 'A'], ['www.dn.types.test', 'TXT'],
  ['WWW.Dn.types.test', 'A'], ['nope.dn.types.test', 'A'], ['a.b.dn.types.test', 'TXT'], ['www.out.types.test', 'A'],
  ['www.dn.types.test', 'DNAME'], ['a.far.types.test', 'A'], ['a.b.far.types.test', 'A'],
  // ALIAS without a resolver: NODATA for addresses, the record itself by its type code
  ['types.test', 'A'], ['types.test', 'AAAA'], ['al.types.test', 'A'], ['al.types.test', 'TXT'], ['al.types.test', 'TYPE65401'],
];

function summary(r: DigReply): Record<string, unknown> {
  return { status: r.status, aa: r.flags.has('aa'), tc: r.flags.has('tc') };
}

for (const args of QUERIES) {
  test(`dig ${args.join(' ')}`, async () => {
    const [want, got] = await Promise.all([dig(pdns, args), dig(geo, args)]);
    const ctx = `\n--- PowerDNS:\n${want.text}\n--- geodns:\n${got.text}`;
    assert.deepEqual(summary(got), summary(want), `rcode/flags differ:${ctx}`);
    const fold = (l: string[]) => (args[0] === args[0]!.toLowerCase() ? l : l.map((x) => x.toLowerCase()));
    assert.deepEqual(fold(rrLines(got.answer)), fold(rrLines(want.answer)), `answer differs:${ctx}`);
    assert.deepEqual(rrLines(got.authority), rrLines(want.authority), `authority differs:${ctx}`);
    assert.deepEqual(rrLines(got.additional), rrLines(want.additional), `additional differs:${ctx}`);
  });
}

test('the long strings are split into 255-octet character-strings on the wire', async () => {
  const r = await dig(geo, ['twice.types.test', 'TXT']);
  assert.equal(r.answer.length, 1);
  assert.equal(r.answer[0]!.data, `"${'t'.repeat(255)}" "${'t'.repeat(255)}"`);
});
