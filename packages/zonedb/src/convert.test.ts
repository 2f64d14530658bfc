import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE } from '@geoedge/dnsdata';
import { convertRecord, domainOrigin, storedNameToFqdn, type RecordRow } from './convert.js';

const ZONE = 'example.com.';
// id, domain_id, name, type, content, ttl, prio, disabled, auth
const row = (name: string | null, type: string | null, content: string | null, extra: Partial<{ id: number; ttl: number | null; prio: number | null; disabled: number; auth: number }> = {}): RecordRow =>
  [extra.id ?? 7, 1, name, type, content, extra.ttl === undefined ? 300 : extra.ttl, extra.prio ?? null, extra.disabled ?? 0, extra.auth ?? 1];

function record(r: RecordRow) {
  const out = convertRecord(r, ZONE);
  assert.equal(out.kind, 'record', JSON.stringify(out));
  if (out.kind !== 'record') throw new Error('unreachable');
  return out;
}

test('stored names have no trailing dot; they become FQDNs', () => {
  assert.equal(storedNameToFqdn('www.example.com'), 'www.example.com.');
  assert.equal(storedNameToFqdn(''), '.');
  assert.equal(domainOrigin('Example.COM'), 'example.com.');
  const r = record(row('www.example.com', 'A', '192.0.2.1'));
  assert.equal(r.rr.name, 'www.example.com.');
  assert.equal(r.rr.type, TYPE.A);
  assert.deepEqual(r.rr.data, { kind: 'a', address: '192.0.2.1' });
  assert.equal(r.rr.ttl, 300);
});

test('content names are absolute without the dot, as PowerDNS stores them', () => {
  const r = record(row('example.com', 'CNAME', 'target.example.net'));
  assert.deepEqual(r.rr.data, { kind: 'name', target: 'target.example.net.' });
  const soa = record(row('example.com', 'SOA', 'ns1.example.com hostmaster.example.com 2024010101 10800 3600 604800 3600'));
  assert.equal(soa.rr.data.kind === 'soa' && soa.rr.data.mname, 'ns1.example.com.');
});

test('MX and SRV: the prio column is put in front of the content', () => {
  const mx = record(row('example.com', 'MX', 'mail.example.com', { prio: 10 }));
  assert.deepEqual(mx.rr.data, { kind: 'mx', preference: 10, exchange: 'mail.example.com.' });
  const srv = record(row('_sip._tcp.example.com', 'SRV', '5 5060 sip.example.com', { prio: 20 }));
  assert.deepEqual(srv.rr.data, { kind: 'srv', priority: 20, weight: 5, port: 5060, target: 'sip.example.com.' });
  // prio NULL: content already carries the preference (raw SQL, some tools).
  const mx2 = record(row('example.com', 'MX', '30 mx3.example.com', { prio: null }));
  assert.equal(mx2.rr.data.kind === 'mx' && mx2.rr.data.preference, 30);
  // prio on other types is ignored, as PowerDNS does.
  const a = record(row('example.com', 'A', '192.0.2.9', { prio: 5 }));
  assert.deepEqual(a.rr.data, { kind: 'a', address: '192.0.2.9' });
});

test('disabled rows are hidden, type NULL rows are empty non-terminals, auth=0 rows are kept', () => {
  assert.deepEqual(convertRecord(row('www.example.com', 'A', '192.0.2.1', { disabled: 1 }), ZONE), { kind: 'hidden' });
  assert.deepEqual(convertRecord(row('b.c.example.com', null, null), ZONE), { kind: 'ent', name: 'b.c.example.com.' });
  const glue = record(row('ns.sub.example.com', 'A', '192.0.2.7', { auth: 0 }));
  assert.equal(glue.auth, false);
  const deleg = record(row('sub.example.com', 'NS', 'ns.sub.example.com', { auth: 0 }));
  assert.equal(deleg.auth, false);
  assert.equal(record(row('example.com', 'NS', 'ns1.example.com')).auth, true);
});

test('NULL ttl is PowerDNS default-ttl; SOA with missing timers gets PowerDNS defaults', () => {
  assert.equal(record(row('example.com', 'A', '192.0.2.1', { ttl: null })).rr.ttl, 3600);
  const soa = record(row('example.com', 'SOA', 'ns1.example.com hostmaster.example.com 5'));
  assert.deepEqual(soa.rr.data, { kind: 'soa', mname: 'ns1.example.com.', rname: 'hostmaster.example.com.', serial: 5, refresh: 10800, retry: 3600, expire: 604800, minimum: 3600 });
});

test('empty TXT and SPF content is one empty string, as pdns_server serves it (dig: "")', () => {
  const empty = { kind: 'txt', strings: [Buffer.alloc(0)] };
  assert.deepEqual(record(row('t.example.com', 'TXT', '')).rr.data, empty);
  assert.deepEqual(record(row('t.example.com', 'SPF', '')).rr.data, empty);
  assert.deepEqual(record(row('t.example.com', 'TXT', '""')).rr.data, empty);
});

test('LUA rows become lua records with their inner type and code', () => {
  const r = record(row('geo.example.com', 'LUA', `A "pickclosest({'192.0.2.1','192.0.2.2'})"`));
  assert.equal(r.rr.type, TYPE.LUA);
  assert.deepEqual(r.rr.data, { kind: 'lua', innerType: TYPE.A, code: "pickclosest({'192.0.2.1','192.0.2.2'})" });
});

test('bad rows become problems naming the record id', () => {
  const cases: Array<[RecordRow, string]> = [
    [row('www.example.com', 'A', 'not-an-address', { id: 41 }), 'bad-content'],
    [row('www.example.org', 'A', '192.0.2.1', { id: 42 }), 'outside-zone'],
    [row('www.example.com', 'BOGUS', 'x', { id: 43 }), 'unknown-type'],
    [row('a..example.com', 'A', '192.0.2.1', { id: 44 }), 'bad-name'],
    [row('example.com', 'MX', 'mail.example.com', { id: 45, prio: 70000 }), 'bad-content'],
    [row('x.example.com', 'LUA', 'NOTATYPE "return 1"', { id: 46 }), 'bad-content'],
    [row('x.example.com', 'TXT', '"unterminated', { id: 47 }), 'bad-content'],
    [row('x.example.com', 'A', null, { id: 48 }), 'bad-content'],
  ];
  for (const [r, kind] of cases) {
    const out = convertRecord(r, ZONE);
    assert.equal(out.kind, 'problem', `${r[0]}: ${JSON.stringify(out)}`);
    if (out.kind === 'problem') {
      assert.equal(out.problem.kind, kind, out.problem.message);
      assert.equal(out.problem.recordId, r[0]);
      assert.match(out.problem.message, new RegExp(`record id ${r[0]}\\b`));
    }
  }
});

test('random garbage rows never throw: each is a record, an ENT, hidden, or a problem', () => {
  // A fixed-seed generator, so a failure reproduces.
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pieces = ['example.com', '.', '\\', '"', ' ', '..', '\\999', '@', '*', 'xn--', '\u00e9', '\u0000', '10', '-1', 'A', 'MX', 'TYPE65535', '(', ')', ';', 'a'.repeat(70)];
  const junk = () => Array.from({ length: rand(6) }, () => pieces[rand(pieces.length)]).join(rand(2) ? '' : ' ');
  const types = [null, '', 'A', 'AAAA', 'MX', 'SRV', 'SOA', 'TXT', 'CNAME', 'LUA', 'CAA', 'NAPTR', 'DS', 'a', 'TYPE99', 'TYPE999999', junk()];
  for (let i = 0; i < 5000; i++) {
    const r: RecordRow = [
      i, 1, rand(4) ? `${junk()}.example.com` : junk(), types[rand(types.length)]!, rand(10) ? junk() : null,
      rand(3) ? rand(100000) - 10 : null, rand(2) ? rand(70000) : null, rand(4) === 0 ? 1 : 0, rand(2),
    ];
    const out = convertRecord(r, ZONE);
    assert.ok(['record', 'ent', 'hidden', 'problem'].includes(out.kind));
    if (out.kind === 'problem') assert.equal(out.problem.recordId, i);
    if (out.kind === 'record') assert.ok(out.rr.ttl >= 0);
  }
});
