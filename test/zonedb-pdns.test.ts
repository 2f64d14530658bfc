// PowerDNS itself as the oracle. pdnsutil (gmysql backend) writes zones into
// a database created by our migrate(), in PowerDNS's own storage form (prio
// column, ENT rows from rectify, auth=0 for delegation and glue, LUA rows,
// ENABLE-LUA-RECORDS metadata); then what pdnsutil list-zone says PowerDNS
// serves must equal, record for record, what loadAllZones reads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseRdata, typeCode, TYPE } from '@geoedge/dnsdata';
import { migrate, loadAllZones } from '@geoedge/zonedb';
import { scratchDatabase, sharedMariaDb, pdnsutilFor, type Pdnsutil, type ScratchDb } from './helpers/zonedb.js';

let s: ScratchDb;
let pu: Pdnsutil;

const pdnsutil = (...args: string[]): Promise<string> => pu.run(...args);

before(async () => {
  const server = await sharedMariaDb();
  s = await scratchDatabase('pdns');
  const m = await migrate(s.db);
  assert.ok(m.ok);
  pu = await pdnsutilFor(server, s.name, 'geoedge-pdnsutil-');
  await pdnsutil('create-zone', 'example.test', 'ns1.example.test');
  await pdnsutil('add-record', 'example.test', 'www', 'A', '300', '192.0.2.1');
  await pdnsutil('add-record', 'example.test', '@', 'MX', '10 mail.example.test');
  await pdnsutil('add-record', 'example.test', '_sip._tcp', 'SRV', '10 20 5060 sip.example.test');
  await pdnsutil('add-record', 'example.test', 'geo', 'LUA', `A "pickclosest({'192.0.2.1','192.0.2.2'})"`);
  await pdnsutil('add-record', 'example.test', 'x.deep', 'A', '192.0.2.5');
  await pdnsutil('add-record', 'example.test', 'sub', 'NS', 'ns.sub.example.test');
  await pdnsutil('add-record', 'example.test', 'ns.sub', 'A', '192.0.2.6');
  await pdnsutil('add-record', 'example.test', 'txt', 'TXT', '"hello world" "two"');
  await pdnsutil('add-record', 'example.test', 'off', 'A', '192.0.2.9');
  // Issue 18: rows geodns used to skip (long strings, types without a text form here).
  await pdnsutil('add-record', 'example.test', 'dkim', 'TXT', `"v=DKIM1; k=rsa; p=${'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.repeat(9)}IDAQAB"`);
  await pdnsutil('add-record', 'example.test', 'loc', 'LOC', '52 22 23.000 N 4 53 32.000 E -2.00m 1.00m 10000.00m 10.00m');
  await pdnsutil('add-record', 'example.test', 'svc', 'SVCB', '1 svc.example.net. mandatory=alpn alpn=h2,h3 port=8443 ipv6hint=2001:db8::1');
  await pdnsutil('add-record', 'example.test', '@', 'HTTPS', '1 . alpn=h3 no-default-alpn');
  await pdnsutil('add-record', 'example.test', '_ftp._tcp', 'URI', '10 1 "ftp://ftp1.example.com/public"');
  await pdnsutil('add-record', 'example.test', 'dn', 'DNAME', 'target.example.net.');
  await pdnsutil('add-record', 'example.test', 'rp', 'RP', 'mbox.example.test. txt.example.test.');
  await pdnsutil('add-record', 'example.test', 'alias', 'ALIAS', 'lb.example.net.');
  await pdnsutil('set-meta', 'example.test', 'ENABLE-LUA-RECORDS', '1');
  await pdnsutil('rectify-zone', 'example.test');
  await s.db.execute("UPDATE records SET disabled = 1 WHERE name = 'off.example.test'");
});
after(async () => {
  await s?.drop();
  await pu?.remove();
});

test('PowerDNS wrote its storage form into our schema', async () => {
  const mx = await s.db.query<{ content: string; prio: number }>("SELECT content, prio FROM records WHERE type = 'MX'");
  assert.deepEqual(mx.map((r) => [r.content, r.prio]), [['mail.example.test', 10]], 'priority lives in the prio column');
  const ents = await s.db.query<{ name: string }>('SELECT name FROM records WHERE type IS NULL ORDER BY name');
  assert.deepEqual(ents.map((r) => r.name).sort(), ['_tcp.example.test', 'deep.example.test']);
});

test('what we load is what PowerDNS serves (pdnsutil list-zone), record for record', async () => {
  const listed = await pdnsutil('list-zone', 'example.test');
  const theirs: string[] = [];
  for (const line of listed.split('\n')) {
    if (line === '' || line.startsWith('$')) continue;
    const [name, ttl, , type, ...rest] = line.split('\t');
    const code = typeCode(type!)!;
    theirs.push(JSON.stringify([`${name}.`, Number(ttl), code, parseRdata(code, rest.join('\t'), '.')]));
  }
  const r = await loadAllZones(s.db);
  assert.ok(r.ok);
  assert.equal(r.zones.size, 1);
  const z = [...r.zones.values()][0]!;
  assert.deepEqual(z.problems, []);
  const ours = z.records.map((x) => JSON.stringify([x.name, x.ttl, x.type, x.data]));
  assert.deepEqual(ours.sort(), theirs.sort());
  assert.ok(ours.length >= 18);
  for (const t of ['LOC', 'SVCB', 'HTTPS', 'URI', 'DNAME', 'RP', 'ALIAS']) assert.ok(z.records.some((x) => x.type === typeCode(t)), `a ${t} record is loaded`);

  assert.deepEqual(z.emptyNonTerminals.sort(), ['_tcp.example.test.', 'deep.example.test.']);
  assert.equal(z.nonAuthCount, 2, 'rectify marked the delegation NS and its glue auth=0');
  assert.equal(z.luaRecords, true);
  assert.ok(z.records.some((x) => x.type === TYPE.LUA && x.data.kind === 'lua' && x.data.innerType === TYPE.A));
  assert.ok(!z.records.some((x) => x.name === 'off.example.test.'), 'disabled: hidden by both');
});
