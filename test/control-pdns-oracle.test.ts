// geoctl's zone API against PowerDNS itself. Debian's pdns_server 4.7 runs
// with api=yes and launch=gmysql on its own throwaway database; geoctl's app
// runs on another. Each test replays the requests a real client sends (as
// their public source builds them) to both, and compares status codes,
// bodies field by field (serials after SOA-EDIT-API bumps included) and then
// the rows each wrote: the same storage form, so PowerDNS can serve what we write.
// Errors, malformed input and the deliberate differences: control-pdns-oracle-errors.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOracle, Z, rec, type Oracle } from './control-pdns-oracle-harness.js';

let oracle: Oracle;
before(async () => { oracle = await startOracle(); });
after(async () => { await oracle?.close(); });
const same: Oracle['same'] = (...a) => oracle.same(...a);
const both: Oracle['both'] = (...a) => oracle.both(...a);
const sameRows: Oracle['sameRows'] = (z) => oracle.sameRows(z);

test('server resources octoDNS and PowerDNS-Admin read', async () => {
  const r = await both('GET', '/api/v1/servers/localhost');
  assert.equal(r.ours.status, 200);
  const pick = (b: unknown) => { const { type, id, daemon_type, version, url, zones_url } = b as Record<string, string>; return { type, id, daemon_type, version, url, zones_url }; };
  assert.deepEqual(pick(r.ours.body), pick(r.pdns.body));
  const cfg = await both('GET', '/api/v1/servers/localhost/config');
  const lua = (b: unknown) => (b as Array<{ name: string; value: string }>).find((s) => s.name === 'enable-lua-records');
  assert.deepEqual(lua(cfg.ours.body), lua(cfg.pdns.body));
});

test('Terraform provider: POST zone, GET, PATCH rrsets, PATCH DELETE, DELETE zone', async () => {
  await same('POST', Z, { name: 'tf.test.', kind: 'Native', nameservers: ['ns1.tf.test.', 'ns2.tf.test.'], masters: [], soa_edit_api: 'DEFAULT', account: '' });
  await sameRows('tf.test');
  await same('GET', `${Z}/tf.test.`);
  await same('PATCH', `${Z}/tf.test.`, { rrsets: [{ name: 'www.tf.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.1'), rec('192.0.2.2')] }] });
  await same('PATCH', `${Z}/tf.test.`, { rrsets: [{ name: 'tf.test.', type: 'MX', ttl: 3600, changetype: 'REPLACE', records: [rec('10 mail.tf.test.'), rec('20 mail2.tf.test.')] }] });
  await same('PATCH', `${Z}/tf.test.`, { rrsets: [{ name: '_sip._tcp.tf.test.', type: 'SRV', ttl: 3600, changetype: 'REPLACE', records: [rec('10 20 5060 sip.tf.test.')] }] });
  await same('PATCH', `${Z}/tf.test.`, { rrsets: [{ name: 'sub.tf.test.', type: 'NS', ttl: 3600, changetype: 'REPLACE', records: [rec('ns.sub.tf.test.')] }, { name: 'ns.sub.tf.test.', type: 'A', ttl: 3600, changetype: 'REPLACE', records: [rec('192.0.2.53')] }] });
  await same('GET', `${Z}/tf.test.`);
  await sameRows('tf.test');
  await same('PATCH', `${Z}/tf.test.`, { rrsets: [{ name: 'www.tf.test.', type: 'A', changetype: 'DELETE' }] });
  await same('GET', `${Z}/tf.test.`);
  await same('GET', `${Z}/tf.test./export`);
  await sameRows('tf.test');
  await same('DELETE', `${Z}/tf.test.`);
  assert.equal((await both('GET', `${Z}/tf.test.`)).ours.status, 404);
  await sameRows('tf.test');
});

test('external-dns (pdns provider): list zones, get zone, PATCH REPLACE with TXT ownership records, PATCH DELETE', async () => {
  await same('POST', Z, { name: 'edns.test.', kind: 'Native', nameservers: ['ns1.edns.test.'] });
  await same('GET', Z);
  await same('GET', `${Z}?zone=edns.test.`);
  await same('GET', `${Z}?dnssec=false`);
  await same('GET', `${Z}/edns.test.`);
  const owner = '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/app"';
  const create = { rrsets: [
    { name: 'app.edns.test.', type: 'A', ttl: 300, changetype: 'REPLACE', records: [{ content: '192.0.2.10', disabled: false, 'set-ptr': false }] },
    { name: 'app.edns.test.', type: 'TXT', ttl: 300, changetype: 'REPLACE', records: [{ content: owner, disabled: false, 'set-ptr': false }] },
    { name: 'a-app.edns.test.', type: 'TXT', ttl: 300, changetype: 'REPLACE', records: [{ content: owner, disabled: false, 'set-ptr': false }] },
  ] };
  await same('PATCH', `${Z}/edns.test.`, create);
  await same('GET', `${Z}/edns.test.`);
  await sameRows('edns.test');
  await same('PATCH', `${Z}/edns.test.`, { rrsets: create.rrsets.map((r) => ({ ...r, changetype: 'DELETE' })) });
  await same('GET', `${Z}/edns.test.`);
  await sameRows('edns.test');
});

test('lego (pdns provider): GET zone, PATCH REPLACE _acme-challenge TXT, notify, PATCH DELETE', async () => {
  await same('POST', Z, { name: 'lego.test.', kind: 'Native', nameservers: ['ns1.lego.test.'] });
  await same('GET', `${Z}/lego.test.`);
  await same('PATCH', `${Z}/lego.test.`, { rrsets: [{ name: '_acme-challenge.lego.test.', type: 'TXT', ttl: 120, changetype: 'REPLACE', records: [{ content: '"LHDhK3oGRvkiefQnx7OOczTY5Tic_xZ6HcMOc_gmtoM"', disabled: false }] }] });
  await same('GET', `${Z}/lego.test.`);
  await sameRows('lego.test');
  await same('PUT', `${Z}/lego.test./notify`);
  await same('PATCH', `${Z}/lego.test.`, { rrsets: [{ name: '_acme-challenge.lego.test.', type: 'TXT', changetype: 'DELETE', records: [] }] });
  await same('GET', `${Z}/lego.test.`);
  await sameRows('lego.test');
});

test('octoDNS (octodns-powerdns): 404 probe, POST Master zone with rrsets, PATCH with LUA records, comments', async () => {
  assert.equal((await both('GET', `${Z}/octo.test.`)).ours.status, 404);
  const script = `A ";local pools = {['eu'] = {'192.0.2.1'}, ['default'] = {'192.0.2.2'}} local c = continent() if pools[c] then return pools[c] end return pools['default']"`;
  await same('POST', Z, {
    name: 'octo.test.', kind: 'Master', masters: [], nameservers: [], soa_edit_api: 'INCEPTION-INCREMENT',
    rrsets: [
      { name: 'octo.test.', type: 'SOA', ttl: 3600, records: [rec('ns1.octo.test. hostmaster.octo.test. 1 10800 3600 604800 3600')] },
      { name: 'octo.test.', type: 'NS', ttl: 3600, records: [rec('ns1.octo.test.'), rec('ns2.octo.test.')] },
      { name: 'www.octo.test.', type: 'A', ttl: 300, records: [rec('192.0.2.3')] },
    ],
  });
  await same('PATCH', `${Z}/octo.test.`, { rrsets: [
    { name: 'geo.octo.test.', type: 'LUA', ttl: 60, changetype: 'REPLACE', records: [rec(script)] },
    { name: 'pick.octo.test.', type: 'LUA', ttl: 60, changetype: 'REPLACE', records: [rec(`A "pickclosest({'192.0.2.1','192.0.2.2'})"`), rec(`AAAA "ifportup(443, {'2001:db8::1'})"`)] },
    { name: 'www.octo.test.', type: 'A', ttl: 300, changetype: 'REPLACE', records: [rec('192.0.2.4')], comments: [{ content: "managed by octoDNS; it's fine", account: 'octodns' }] },
    { name: 'caa.octo.test.', type: 'CAA', ttl: 300, changetype: 'REPLACE', records: [rec('0 issue "letsencrypt.org"')] },
  ] });
  await same('GET', `${Z}/octo.test.`);
  await same('GET', `${Z}/octo.test./export`);
  await sameRows('octo.test');
  await same('GET', `${Z}/octo.test./metadata`);
});

test('SOA serials: DEFAULT on a client-written SOA, INCREASE and EPOCH via PUT, empty PATCH', async () => {
  await same('POST', Z, { name: 'serial.test.', kind: 'Native', nameservers: ['ns1.serial.test.'] });
  const soa = (serial: number) => ({ rrsets: [{ name: 'serial.test.', type: 'SOA', ttl: 3600, changetype: 'REPLACE', records: [rec(`ns1.serial.test. h.serial.test. ${serial} 10800 3600 604800 3600`)] }] });
  await same('PATCH', `${Z}/serial.test.`, soa(5));
  await same('GET', `${Z}/serial.test.?rrsets=false`);
  await same('PATCH', `${Z}/serial.test.`, soa(2099010199));
  await same('GET', `${Z}/serial.test.?rrsets=false`);
  await same('PATCH', `${Z}/serial.test.`, { rrsets: [] });
  await same('GET', `${Z}/serial.test.?rrsets=false`);
  await same('PUT', `${Z}/serial.test.`, { soa_edit_api: 'INCREASE' });
  await same('PATCH', `${Z}/serial.test.`, { rrsets: [{ name: 'a.serial.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.1')] }] });
  await same('GET', `${Z}/serial.test.`);
  await sameRows('serial.test');
});

test('zone ids (=2F, no trailing dot, other case), rrsets=false, rrset_name/rrset_type, PUT zone, metadata', async () => {
  await same('POST', Z, { name: '0/26.2.0.192.in-addr.arpa.', kind: 'Native', nameservers: ['ns1.example.net.'] });
  await same('PATCH', `${Z}/0=2F26.2.0.192.in-addr.arpa.`, { rrsets: [{ name: '5.0/26.2.0.192.in-addr.arpa.', type: 'PTR', ttl: 60, changetype: 'REPLACE', records: [rec('host.example.net.')] }] });
  await same('GET', `${Z}/0=2F26.2.0.192.in-addr.arpa.`);
  await sameRows('0/26.2.0.192.in-addr.arpa');
  await same('POST', Z, { name: 'ids.test.', kind: 'Native', nameservers: ['ns1.ids.test.'] });
  await same('PATCH', `${Z}/ids.test.`, { rrsets: [{ name: 'www.ids.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.1')] }, { name: 'www.ids.test.', type: 'AAAA', ttl: 60, changetype: 'REPLACE', records: [rec('2001:db8::1')] }] });
  await same('GET', `${Z}/ids.test`);
  await same('GET', `${Z}/IDS.Test.`);
  await same('GET', `${Z}/ids.test.?rrsets=false`);
  await same('GET', `${Z}/ids.test.?rrset_name=www.ids.test.`);
  await same('GET', `${Z}/ids.test.?rrset_name=www.ids.test.&rrset_type=AAAA`);
  await same('PUT', `${Z}/ids.test.`, { kind: 'Master', account: 'team-a', masters: [], soa_edit: 'INCEPTION-INCREMENT', soa_edit_api: 'SOA-EDIT-INCREASE' });
  await same('GET', `${Z}/ids.test.?rrsets=false`);
  await same('PATCH', `${Z}/ids.test.`, { rrsets: [{ name: 'www.ids.test.', type: 'A', ttl: 60, changetype: 'REPLACE', records: [rec('192.0.2.2')] }] });
  await same('GET', `${Z}/ids.test.?rrsets=false`);
  await same('PUT', `${Z}/ids.test./metadata/ALSO-NOTIFY`, { metadata: ['192.0.2.53', '192.0.2.54:5300'] });
  await same('POST', `${Z}/ids.test./metadata`, { kind: 'X-GEOEDGE-NOTE', metadata: ["it's; DROP TABLE domains; --"] });
  await same('GET', `${Z}/ids.test./metadata`);
  await same('GET', `${Z}/ids.test./metadata/ALSO-NOTIFY`);
  await same('PUT', `${Z}/ids.test./metadata/NSEC3PARAM`, { metadata: ['1 0 1 ab'] });
  await sameRows('ids.test');
});

test('PowerDNS-Admin: create with account and no nameservers, PATCH with comments and disabled records, list', async () => {
  await same('POST', Z, { name: 'pda.test.', kind: 'Native', masters: [], nameservers: [], soa_edit_api: 'DEFAULT', account: 'admins' });
  await same('PATCH', `${Z}/pda.test.`, { rrsets: [
    { name: 'pda.test.', type: 'NS', ttl: 3600, changetype: 'REPLACE', records: [rec('ns1.pda.test.')], comments: [] },
    { name: 'mail.pda.test.', type: 'A', ttl: 3600, changetype: 'REPLACE', records: [{ content: '192.0.2.25', disabled: true }], comments: [{ content: 'old mail host', account: 'alice', modified_at: 1700000000 }] },
    { name: 'pda.test.', type: 'TXT', ttl: 3600, changetype: 'REPLACE', records: [rec('"v=spf1 mx -all"'), rec('"google-site-verification=abc"')], comments: [] },
  ] });
  await same('GET', `${Z}/pda.test.`);
  await same('GET', `${Z}/pda.test./export`);
  await sameRows('pda.test');
  await same('GET', Z);
});
