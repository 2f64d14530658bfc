// octoDNS 1.22 with octodns-powerdns 1.2 (pure-Python copies in
// test/clients/python, run by Debian's python3 with python3-yaml, -requests and
// -dnspython) syncs a zone into geoctl: every common type, a DMARC TXT (octoDNS
// escapes each ';' as '\;'), a DKIM TXT, and a dynamic A record with geo rules,
// which octodns-powerdns writes as a multi-line LUA script. A second plan must
// show no changes (what geoctl stores and shows back is what octoDNS wrote), and
// geodns, reading the same database, answers the dynamic record per rule for
// clients in each rule's region (EDNS Client Subnet).
//
// The DKIM key is 2048-bit (about 400 octets): octoDNS sends it in 255-character
// chunks; geodns serves the character-strings it stored, which join to the key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@geoedge/zonedb/testing';
import type { GeoIpService } from '@geoedge/geodns';
import { dig, datas, tempDir, REPO_ROOT } from './helpers/index.js';
import { openGeo, sampleClients, type Client } from './helpers/pdns-lua.js';
import { startStack, run, type Stack } from './clients-harness.js';

const KEY = 'octodns-client-test-key-3f7';
const ZONE = 'oct.test';
const PYTHONPATH = join(REPO_ROOT, 'test', 'clients', 'python');
let stack: Stack;
let geo: GeoIpService;
let tmp: { dir: string; remove: () => void };

const DMARC = 'v=DMARC1\\; p=reject\\; rua=mailto:dmarc@oct.test\\; fo=1';
const DKIM = `v=DKIM1\\; k=rsa\\; p=${'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.padEnd(392, 'x7Q+')}IDAQAB`;

function zoneYaml(): string {
  return `---
'':
  - type: MX
    values: [{preference: 10, exchange: mail.${ZONE}.}, {preference: 20, exchange: mx2.example.net.}]
  - type: TXT
    values: ['v=spf1 include:_spf.example.net -all', 'google-site-verification=abc123']
  - type: CAA
    values: [{flags: 0, tag: issue, value: letsencrypt.org}, {flags: 0, tag: iodef, value: 'mailto:sec@${ZONE}'}]
www:
  - type: A
    values: [192.0.2.1, 192.0.2.2]
  - type: AAAA
    value: 2001:db8::1
docs:
  type: CNAME
  value: www.${ZONE}.
mail:
  type: A
  value: 192.0.2.25
sip:
  type: A
  value: 192.0.2.5
_sip._tcp:
  type: SRV
  values: [{priority: 10, weight: 20, port: 5060, target: sip.${ZONE}.}]
_dmarc:
  type: TXT
  value: '${DMARC}'
sel._domainkey:
  type: TXT
  value: '${DKIM}'
sub:
  type: NS
  values: [ns1.example.net., ns2.example.net.]
ssh:
  type: SSHFP
  values: [{algorithm: 4, fingerprint_type: 2, fingerprint: ${'ab'.repeat(32)}}]
_443._tcp.www:
  type: TLSA
  values: [{certificate_usage: 3, selector: 1, matching_type: 1, certificate_association_data: ${'cd'.repeat(32)}}]
naptr:
  type: NAPTR
  values: [{order: 100, preference: 10, flags: S, service: SIP+D2U, regexp: '', replacement: _sip._udp.${ZONE}.}]
ptr:
  type: PTR
  value: host.example.net.
geo:
  type: A
  ttl: 60
  values: [192.0.2.31]
  dynamic:
    pools:
      eu:
        values: [{value: 192.0.2.11}]
      us:
        values: [{value: 192.0.2.21}, {value: 192.0.2.22}]
      other:
        values: [{value: 192.0.2.31}]
    rules:
      - geos: [EU]
        pool: eu
      - geos: [NA-US]
        pool: us
      - pool: other
`;
}

before(async () => {
  stack = await startStack('octodns', KEY);
  geo = await openGeo();
  tmp = tempDir('octodns');
  mkdirSync(join(tmp.dir, 'zones'));
  writeFileSync(join(tmp.dir, 'zones', `${ZONE}.yaml`), zoneYaml());
  const port = new URL(stack.base).port;
  writeFileSync(join(tmp.dir, 'config.yaml'), `---
providers:
  config:
    class: octodns.provider.yaml.YamlProvider
    directory: ${join(tmp.dir, 'zones')}
    default_ttl: 300
    enforce_order: false
  pdns:
    class: octodns_powerdns.PowerDnsProvider
    host: 127.0.0.1
    port: ${port}
    api_key: env/GEOCTL_API_KEY
    mode_of_operation: native
zones:
  ${ZONE}.:
    sources: [config]
    targets: [pdns]
`);
});
after(async () => {
  geo?.close();
  await stack?.close();
  tmp?.remove();
});

const octodns = (...args: string[]) => run('/usr/bin/python3', ['-m', 'octodns.cmds.sync', '--config-file', join(tmp.dir, 'config.yaml'), ...args], {
  env: { ...process.env, PYTHONPATH, GEOCTL_API_KEY: KEY, PYTHONDONTWRITEBYTECODE: '1' },
  timeoutMs: 120_000,
});

test('octoDNS syncs a zone with every common type, DMARC/DKIM TXT and a dynamic record; a second plan has no changes', { timeout: 240_000 }, async () => {
  // geodns serves LUA records only in zones with ENABLE-LUA-RECORDS (PowerDNS's default enable-lua-records=no).
  assert.equal((await stack.api('POST', '/zones', { name: `${ZONE}.`, kind: 'Native', nameservers: [`ns1.${ZONE}.`] })).status, 201);
  assert.equal((await stack.api('PUT', `/zones/${ZONE}./metadata/ENABLE-LUA-RECORDS`, { metadata: ['1'] })).status, 200);
  const first = await octodns('--doit');
  assert.equal(first.code, 0, `${first.out}\n${stack.logs()}`);
  assert.doesNotMatch(first.out, /SUPPORTS_DYNAMIC|dynamic records disabled/, 'geoctl reports LUA and GeoIP support');
  const second = await octodns();
  assert.equal(second.code, 0, second.out);
  assert.match(second.out, /No changes were planned/, `second plan\n${second.out}`);

  await stack.served(ZONE);
  const q = async (name: string, type: string, ...extra: string[]) => dig(stack.geodns, [`${name}.${ZONE}`, type, ...extra]);
  await waitFor('www served', async () => (datas((await q('www', 'A')).answer, 'A').length === 2 ? true : undefined));
  assert.deepEqual(datas((await q('_dmarc', 'TXT')).answer, 'TXT'), ['"v=DMARC1; p=reject; rua=mailto:dmarc@oct.test; fo=1"']);
  const dkim = datas((await q('sel._domainkey', 'TXT')).answer, 'TXT');
  assert.equal(dkim.length, 1);
  assert.equal(dkim[0]!.slice(1, -1).split('" "').join(''), DKIM.replaceAll('\\;', ';'), 'the 2048-bit key, in character-strings of at most 255 octets');
  assert.deepEqual(datas((await q('_sip._tcp', 'SRV')).answer, 'SRV'), [`10 20 5060 sip.${ZONE}.`]);
  assert.deepEqual(datas((await q('docs', 'CNAME')).answer, 'CNAME'), [`www.${ZONE}.`]);
});

// geodns must read the multi-line LUA row octodns-powerdns wrote, as PowerDNS does
// (before issue 15 it skipped the row: "unterminated quoted string").
test('geodns answers the dynamic record per geo rule for ECS clients in each region', { timeout: 60_000 }, async () => {
  const clients = sampleClients(geo, 120, 11);
  const pick = (f: (c: Client) => boolean, what: string) => clients.find(f) ?? assert.fail(`no sampled client ${what}`);
  const eu = pick((c) => c.geo.continent === 'EU', 'in Europe');
  const us = pick((c) => c.geo.country === 'US', 'in the US');
  const other = pick((c) => c.geo.continent === 'AS', 'in Asia');
  const answer = async (c: Client) => datas((await dig(stack.geodns, [`geo.${ZONE}`, 'A', `+subnet=${c.subnet}/24`])).answer, 'A');
  const euAnswer = await waitFor('the dynamic record is served', async () => {
    const a = await answer(eu);
    return a.length ? a : undefined;
  }, 10_000).catch(() => assert.fail(`geodns serves no answer for geo.${ZONE}; its warnings:\n${stack.geodns.logs().filter((l) => l.level >= 40).map((l) => JSON.stringify(l)).join('\n')}`));
  assert.deepEqual(euAnswer, ['192.0.2.11'], `EU client ${eu.subnet} (${eu.geo.country})`);
  const usAnswer = await answer(us);
  assert.equal(usAnswer.length, 1);
  assert.ok(['192.0.2.21', '192.0.2.22'].includes(usAnswer[0]!), `US client ${us.subnet}: ${usAnswer}`);
  assert.deepEqual(await answer(other), ['192.0.2.31'], `other client ${other.subnet} (${other.geo.country})`);
});
