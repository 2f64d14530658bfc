// Cross-check: dns2 (an unrelated decoder) must read what encodeResponse wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeResponse, FLAG_AA, FLAG_QR, FLAG_RD } from './message.js';
import { decodeWithDns2 } from './dns2.js';
import { buildQuery } from './query-builder.js';
import { everyKind } from './testdata/records.js';
import type { Ecs } from './types.js';

type Loose = Record<string, unknown>;

function viaDns2(ecs: Ecs): { header: Loose; questions: Loose[]; answers: Loose[]; authorities: Loose[]; additionals: Loose[] } {
  const buf = encodeResponse({
    id: 0x7e57, flags: FLAG_QR | FLAG_AA | FLAG_RD,
    question: buildQuery({ qname: 'www.example.com.', qtype: 1 }).subarray(12),
    answer: everyKind.slice(0, 5), authority: everyKind.slice(5, 8), additional: everyKind.slice(8, 10),
    opt: { payload: 1232, extendedRcode: 0, dnssecOk: true, ecs },
  }, 4096);
  const r = decodeWithDns2(buf);
  assert.ok(r.ok);
  return (r as unknown as { packet: ReturnType<typeof viaDns2> }).packet;
}

test('dns2 decodes header, question and A/AAAA/NS/CNAME/PTR/MX/TXT/SOA/SRV/CAA as we encoded them', () => {
  const p = viaDns2({ family: 1, sourcePrefix: 24, scopePrefix: 16, address: '198.51.100.0' });
  assert.equal(p.header.id, 0x7e57);
  assert.deepEqual([p.header.qr, p.header.aa, p.header.rd, p.header.tc], [1, 1, 1, 0]);
  assert.deepEqual([p.header.ancount, p.header.nscount, p.header.arcount], [5, 3, 3]);
  assert.deepEqual(p.questions.map((q) => ({ ...q })), [{ name: 'www.example.com', type: 1, class: 1 }]);
  const pick = (r: Loose, keys: string[]): Loose => Object.fromEntries(keys.map((k) => [k, r[k]]));
  assert.deepEqual(p.answers.map((r) => pick(r, ['name', 'type', 'ttl'])), [
    { name: 'www.example.com', type: 1, ttl: 300 },
    { name: 'www.example.com', type: 28, ttl: 300 },
    { name: 'example.com', type: 2, ttl: 300 },
    { name: 'alias.example.com', type: 5, ttl: 300 },
    { name: '1.2.0.192.in-addr.arpa', type: 12, ttl: 300 },
  ]);
  assert.equal(p.answers[0].address, '192.0.2.1');
  assert.equal(p.answers[1].address, '2001:db8::1');
  assert.equal(p.answers[2].ns, 'ns1.example.com');
  assert.equal(p.answers[3].domain, 'www.example.com');
  assert.equal(p.answers[4].domain, 'www.example.com');
  assert.deepEqual(pick(p.authorities[0], ['priority', 'exchange']), { priority: 10, exchange: 'mail.example.com' });
  assert.deepEqual(p.authorities[1].data, ['v=spf1 -all', '', 'A'.repeat(255)]);
  assert.deepEqual(pick(p.authorities[2], ['primary', 'admin', 'serial', 'refresh', 'retry', 'expiration', 'minimum']), {
    primary: 'ns1.example.com', admin: 'hostmaster.example.com', serial: 2026112201, refresh: 7200, retry: 3600, expiration: 1209600, minimum: 300,
  });
  assert.deepEqual(pick(p.additionals[0], ['priority', 'weight', 'port', 'target']), { priority: 10, weight: 60, port: 5060, target: 'sip.example.com' });
  assert.deepEqual(pick(p.additionals[1], ['flags', 'tag', 'value']), { flags: 128, tag: 'issue', value: 'letsencrypt.org' });
});

test('dns2 reads our OPT and the echoed ECS option (IPv4 and IPv6)', () => {
  const v4 = viaDns2({ family: 1, sourcePrefix: 24, scopePrefix: 16, address: '198.51.100.0' }).additionals[2];
  assert.deepEqual([v4.type, v4.class, v4.version, v4.doFlag, v4.extendedRcode], [41, 1232, 0, true, 0]);
  assert.deepEqual(v4.rdata, [{ ednsCode: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 16, ip: '198.51.100.0' }]);
  // dns2 reads IPv6 ECS addresses 16 bits at a time, so only even octet counts (here /48 = 6) decode there.
  const v6 = viaDns2({ family: 2, sourcePrefix: 48, scopePrefix: 40, address: '2001:db8:12::' }).additionals[2];
  assert.deepEqual(v6.rdata, [{ ednsCode: 8, family: 2, sourcePrefixLength: 48, scopePrefixLength: 40, ip: '2001:db8:12:0:0:0:0:0' }]);
});
