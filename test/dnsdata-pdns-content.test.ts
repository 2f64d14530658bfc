// @geoedge/dnsdata against PowerDNS: the same zone file is loaded by
// pdns_server (bind backend) and by parseMasterFile; the "content" strings
// PowerDNS's HTTP API shows must equal formatRdata's, and parseRdata must read
// PowerDNS's content back to the same data. (control exports and validates in
// this form.) The zone avoids inputs where PowerDNS's bind backend departs
// from RFC 1035 / BIND: unquoted TXT, known types in \# form, $INCLUDE with an
// origin, a relative NAPTR replacement.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMasterFile, parseRdata, formatRdata, typeName, typeCode } from '@geoedge/dnsdata';
import { startPdns, freePort, tempDir, type Pdns } from './helpers/index.js';

const ZONE = `$ORIGIN content.test.
$TTL 1h
@ IN SOA ns1 hostmaster ( 2024052001 2h 15m 2w 300 )
  IN NS ns1
  IN NS ns2.example.net.
  IN MX 10 mail
  IN TXT "v=spf1 mx -all"
  IN SPF "v=spf1 -all"
  IN CAA 0 issue "letsencrypt.org"
  IN CAA 128 iodef "mailto:security@content.test"
ns1 IN A 192.0.2.53
ns1 IN AAAA 2001:DB8:0:0:0:0:0:53
mail 300 IN A 192.0.2.25
v4mapped IN AAAA ::ffff:192.0.2.1
www IN CNAME @
_sip._udp 600 IN SRV 10 60 5060 sip
sip IN NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp.content.test.
sip IN NAPTR 10 0 "U" "E2U+sip" "!^.*$!sip:info@content.test!" .
txt IN TXT "two words" "semi;colon" "esc \\"quote\\" \\\\ \\255\\010"
long IN TXT ( "first part" "second part" )
secure IN DS 60485 5 1 2BB183AF5F22588179A5 3B0A98631FAD1A292118
geo IN LUA A "pickclosest({'192.0.2.1','192.0.2.2'})"
unknown IN TYPE65280 \\# 4 0A000001
empty IN TYPE65281 \\# 0
ptr 86400 IN PTR www.content.test.
*.wild IN A 192.0.2.99
a\\.dot IN A 192.0.2.100
host IN HINFO "Intel x86" "Linux 6"
host IN SSHFP 4 2 ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789
_443._tcp IN TLSA 3 1 1 0D6FCE13243AA7A0B8FA4E7DBE7A0E6E3F8A9C5D1B2C3D4E5F60718293A4B5C6
secure IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==
secure IN CDS 60485 13 2 2bb183af5f22588179a53b0a98631fad1a2921182bb183af5f22588179a53b0a
secure IN CDNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==
pgp IN OPENPGPKEY mQENBFVHm5sBCADBgQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRob
dkim._domainkey IN TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAIDAQAB"
long255 IN TXT "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
loc IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m
loc IN LOC 42 21 54 S 71 06 18 W -24m 30m
loc IN LOC 90 N 180 W 2147483.47m 1.5m 25m 0.01m
svc IN SVCB 1 svc.example.net. alpn="h2,h3" port=8443 ipv4hint=192.0.2.1,192.0.2.2 ipv6hint=2001:db8::1 mandatory=port,alpn
svc IN SVCB 0 target.example.net.
svc IN SVCB 2 . key65000="foo bar" no-default-alpn alpn=h3
@ IN HTTPS 1 . alpn=h3 ech=AEX+DQBBpQAgACBzcmFuZG9tIHB1YmxpYyBrZXkgZm9yIHRlc3QAAQABAAQAD2Vjaw==
_ftp._tcp IN URI 10 1 "ftp://ftp1.example.com/public"
dn IN DNAME target.content.test.
rp IN RP mbox.content.test. txt.content.test.
al IN ALIAS target.example.net.
`;

let pdns: Pdns | undefined;
let apiPort = 0;
let dir: { dir: string; remove: () => void };

before(async () => {
  dir = tempDir('dnsdata-pdns');
  writeFileSync(join(dir.dir, 'content.test.zone'), ZONE);
  apiPort = await freePort();
  pdns = await startPdns({
    zonesDir: dir.dir,
    args: ['--webserver=yes', '--api=yes', '--api-key=dnsdata-test', '--webserver-address=127.0.0.1',
      `--webserver-port=${apiPort}`, '--webserver-allow-from=127.0.0.1'],
  });
});
after(async () => {
  await pdns?.stop();
  dir?.remove();
});

interface ApiZone { rrsets: { name: string; type: string; ttl: number; records: { content: string }[] }[] }

async function pdnsLines(): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/servers/localhost/zones/content.test.`, {
    headers: { 'X-API-Key': 'dnsdata-test' },
  });
  assert.equal(res.status, 200, await res.clone().text());
  const zone = (await res.json()) as ApiZone;
  return zone.rrsets.flatMap((s) => s.records.map((r) => `${s.name} ${s.ttl} ${s.type} ${r.content}`)).sort();
}

test('formatRdata shows every record as the PowerDNS API does', async () => {
  const ours = parseMasterFile(ZONE, { origin: 'content.test.', file: 'content.test.zone' });
  assert.deepEqual(ours.errors, []);
  const mine = ours.records.map((rr) => `${rr.name} ${rr.ttl} ${typeName(rr.type)} ${formatRdata(rr.type, rr.data)}`).sort();
  assert.deepEqual(mine, await pdnsLines());
});

test('parseRdata reads PowerDNS content back to the same data', async () => {
  const ours = parseMasterFile(ZONE, { origin: 'content.test.', file: 'content.test.zone' });
  for (const line of await pdnsLines()) {
    const [name, , type, ...rest] = line.split(' ');
    const code = typeCode(type)!;
    const data = parseRdata(code, rest.join(' '), '.');
    const match = ours.records.find((rr) => rr.name === name && rr.type === code && formatRdata(code, rr.data) === rest.join(' '));
    assert.ok(match, `no record of ours for ${line}`);
    assert.deepEqual(data, match.data, line);
  }
});
