import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery } from './query.js';
import { buildQuery } from './query-builder.js';
import type { ParseResult, Query } from './types.js';

function ok(r: ParseResult): Query {
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  return (r as { query: Query }).query;
}

function formerr(r: ParseResult, reason: RegExp): void {
  assert.equal(r.kind, 'formerr', JSON.stringify(r));
  if (r.kind === 'formerr') assert.match(r.reason, reason);
}

test('a plain query: lower-cased qname with trailing dot, the question bytes as sent', () => {
  const buf = buildQuery({ id: 0xbeef, qname: 'WwW.ExAmple.COM', qtype: 28 });
  const q = ok(parseQuery(buf));
  assert.equal(q.id, 0xbeef);
  assert.equal(q.flags, 0x0100);
  assert.equal(q.opcode, 0);
  assert.equal(q.qname, 'www.example.com.');
  assert.equal(q.qtype, 28);
  assert.equal(q.qclass, 1);
  assert.deepEqual(q.question, buf.subarray(12));
  assert.equal(q.question.toString('latin1', 1, 4), 'WwW'); // case kept in the bytes
  assert.equal(q.edns, undefined);
});

test('the root name parses as "."', () => {
  assert.equal(ok(parseQuery(buildQuery({ qname: '.', qtype: 2 }))).qname, '.');
});

test('special and non-printable octets come out in dnsdata presentation form', () => {
  // One label holding: a . b space 0xff \ " ; ( ) @ $ and upper-case Z.
  const label = Buffer.from([0x61, 0x2e, 0x62, 0x20, 0xff, 0x5c, 0x22, 0x3b, 0x28, 0x29, 0x40, 0x24, 0x5a]);
  const head = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  const buf = Buffer.concat([head, Buffer.from([label.length]), label, Buffer.from([3]), Buffer.from('com'), Buffer.from([0, 0, 1, 0, 1])]);
  assert.equal(ok(parseQuery(buf)).qname, 'a\\.b\\032\\255\\\\\\"\\;\\(\\)\\@\\$z.com.');
});

test('dropped: shorter than a header, or a response', () => {
  assert.deepEqual(parseQuery(Buffer.alloc(11)).kind, 'drop');
  const resp = buildQuery({ qname: 'a.', qtype: 1, flags: 0x8100 });
  assert.equal(parseQuery(resp).kind, 'drop');
});

test('opcode other than QUERY is NOTIMP, with the question echoed', () => {
  const buf = buildQuery({ qname: 'example.com.', qtype: 6, flags: 4 << 11 }); // NOTIFY
  const r = parseQuery(buf);
  assert.equal(r.kind, 'notimp');
  if (r.kind === 'notimp') {
    assert.equal(r.id, 0x1234);
    assert.deepEqual(r.question, buf.subarray(12));
    assert.equal(r.edns, false);
  }
});

test('QDCOUNT other than 1 is FORMERR', () => {
  for (const qd of [0, 2]) {
    const buf = buildQuery({ qname: 'a.', qtype: 1 });
    buf.writeUInt16BE(qd, 4);
    formerr(parseQuery(buf), qd === 0 ? /QDCOUNT is 0/ : /question section truncated|QDCOUNT is 2/);
  }
  const two = buildQuery({ qname: 'a.', qtype: 1 });
  const both = Buffer.concat([two, two.subarray(12)]);
  both.writeUInt16BE(2, 4);
  formerr(parseQuery(both), /QDCOUNT is 2/);
});

test('every truncation of a query with EDNS and ECS is FORMERR carrying the ID', () => {
  const buf = buildQuery({
    id: 77, qname: 'www.example.com.', qtype: 1,
    edns: { ecs: { family: 1, sourcePrefix: 24, scopePrefix: 0, address: '192.0.2.0' } },
  });
  assert.equal(parseQuery(buf).kind, 'ok');
  for (let n = 12; n < buf.length; n++) {
    const r = parseQuery(buf.subarray(0, n));
    assert.equal(r.kind, 'formerr', `length ${n}`);
    if (r.kind === 'formerr') assert.equal(r.id, 77);
  }
});

test('a compression pointer in the question is FORMERR', () => {
  const buf = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
  formerr(parseQuery(buf), /compression pointer/);
});

test('names: 255 octets are fine, 256 are FORMERR; label type 01 is FORMERR', () => {
  const l63 = 'a'.repeat(63);
  const max = `${l63}.${l63}.${l63}.${'b'.repeat(61)}.`; // 64*3 + 62 + 1 = 255
  assert.equal(ok(parseQuery(buildQuery({ qname: max, qtype: 1 }))).qname, max);
  const head = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  const labels = [l63, l63, l63, 'b'.repeat(62)].map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  formerr(parseQuery(Buffer.concat([head, ...labels, Buffer.from([0, 0, 1, 0, 1])])), /longer than 255/);
  formerr(parseQuery(Buffer.concat([head, Buffer.from([0x41, 0, 0, 1, 0, 1])])), /label type/);
});

test('EDNS: payload clamped to 512, DO bit, version', () => {
  const small = ok(parseQuery(buildQuery({ qname: 'a.', qtype: 1, edns: { payload: 100 } })));
  assert.deepEqual(small.edns, { payload: 512, version: 0, dnssecOk: false, ecs: undefined, cookieAt: 0, cookieLen: 0 });
  const big = ok(parseQuery(buildQuery({ qname: 'a.', qtype: 1, edns: { payload: 4096, dnssecOk: true } })));
  assert.deepEqual(big.edns, { payload: 4096, version: 0, dnssecOk: true, ecs: undefined, cookieAt: 0, cookieLen: 0 });
});

test('EDNS version 1 is BADVERS with the query', () => {
  const r = parseQuery(buildQuery({ id: 9, qname: 'a.', qtype: 1, edns: { version: 1 } }));
  assert.equal(r.kind, 'badvers');
  if (r.kind === 'badvers') {
    assert.equal(r.query.id, 9);
    assert.equal(r.query.edns?.version, 1);
  }
});

test('two OPT records, or an OPT not owned by the root, are FORMERR', () => {
  const one = buildQuery({ qname: 'a.', qtype: 1, edns: {} });
  const opt = one.subarray(one.length - 11);
  const two = Buffer.concat([one, opt]);
  two.writeUInt16BE(2, 10);
  const r = parseQuery(two);
  formerr(r, /more than one OPT/);
  if (r.kind === 'formerr') assert.equal(r.edns, true);
  const named = Buffer.concat([one.subarray(0, one.length - 11), Buffer.from([1, 0x61]), opt]);
  formerr(parseQuery(named), /not owned by the root/);
});

test('answer and authority records in a query are skipped; OPT after them is found', () => {
  const base = buildQuery({ qname: 'a.', qtype: 1, edns: { payload: 1400 } });
  const opt = base.subarray(base.length - 11);
  const rr = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
  const buf = Buffer.concat([base.subarray(0, base.length - 11), rr, rr, opt]);
  buf.writeUInt16BE(1, 6);
  buf.writeUInt16BE(1, 8);
  assert.equal(ok(parseQuery(buf)).edns?.payload, 1400);
  // An OPT in the answer section is just skipped, not taken as EDNS.
  const inAnswer = Buffer.concat([base.subarray(0, base.length - 11), opt]);
  inAnswer.writeUInt16BE(1, 6);
  inAnswer.writeUInt16BE(0, 10);
  assert.equal(ok(parseQuery(inAnswer)).edns, undefined);
});

const ecsCases: { name: string; data: number[]; want: string | { family: number; source: number; address: string } }[] = [
  { name: 'IPv4 /24', data: [0, 1, 24, 0, 192, 0, 2], want: { family: 1, source: 24, address: '192.0.2.0' } },
  { name: 'IPv4 /32', data: [0, 1, 32, 0, 10, 1, 2, 3], want: { family: 1, source: 32, address: '10.1.2.3' } },
  { name: 'IPv4 /0', data: [0, 1, 0, 0], want: { family: 1, source: 0, address: '0.0.0.0' } },
  { name: 'IPv4 /20', data: [0, 1, 20, 0, 10, 1, 0x30], want: { family: 1, source: 20, address: '10.1.48.0' } },
  { name: 'IPv6 /56', data: [0, 2, 56, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0x12, 0x34], want: { family: 2, source: 56, address: '2001:db8:12:3400::' } },
  { name: 'family 3', data: [0, 3, 8, 0, 1], want: /family 3/.source },
  { name: 'IPv4 source 33', data: [0, 1, 33, 0, 1, 2, 3, 4, 0], want: /longer than 32/.source },
  { name: 'IPv6 source 129', data: [0, 2, 129, 0, ...new Array(17).fill(0)], want: /longer than 128/.source },
  { name: 'address too long', data: [0, 1, 24, 0, 192, 0, 2, 0], want: /needs 3/.source },
  { name: 'address too short', data: [0, 1, 24, 0, 192, 0], want: /needs 3/.source },
  { name: 'bits past the prefix', data: [0, 1, 20, 0, 10, 1, 0x31], want: /beyond the source prefix/.source },
  { name: 'scope not 0', data: [0, 1, 24, 16, 192, 0, 2], want: /scope prefix must be 0/.source },
  { name: 'shorter than 4', data: [0, 1, 24], want: /shorter than 4/.source },
];

for (const c of ecsCases) {
  test(`ECS ${c.name}`, () => {
    const r = parseQuery(buildQuery({ qname: 'a.', qtype: 1, edns: { options: [{ code: 8, data: Buffer.from(c.data) }] } }));
    if (typeof c.want === 'string') {
      formerr(r, new RegExp(c.want));
      if (r.kind === 'formerr') assert.equal(r.edns, true);
    } else {
      const ecs = ok(r).edns?.ecs;
      assert.deepEqual(ecs, { family: c.want.family, sourcePrefix: c.want.source, scopePrefix: 0, address: c.want.address });
    }
  });
}

test('unknown EDNS options are ignored; two ECS options or a truncated option are FORMERR', () => {
  const cookie = { code: 10, data: Buffer.alloc(8, 7) };
  const ecs = { code: 8, data: Buffer.from([0, 1, 24, 0, 192, 0, 2]) };
  assert.equal(ok(parseQuery(buildQuery({ qname: 'a.', qtype: 1, edns: { options: [cookie, ecs] } }))).edns?.ecs?.address, '192.0.2.0');
  formerr(parseQuery(buildQuery({ qname: 'a.', qtype: 1, edns: { options: [ecs, ecs] } })), /more than one ECS/);
  const buf = buildQuery({ qname: 'a.', qtype: 1, edns: { options: [cookie] } });
  buf.writeUInt16BE(9, buf.length - 10); // option length past the rdata
  formerr(parseQuery(buf), /option data truncated/);
});

test('random and mutated packets never throw; anything accepted has a sane qname', () => {
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8;
  const valid = buildQuery({ qname: 'www.example.com.', qtype: 1, edns: { ecs: { family: 2, sourcePrefix: 48, scopePrefix: 0, address: '2001:db8:1::' } } });
  for (let i = 0; i < 20000; i++) {
    const buf = i % 2 === 0 ? Buffer.from(Array.from({ length: rnd() % 80 }, () => rnd() & 0xff)) : Buffer.from(valid);
    if (i % 2 === 1) for (let k = 0; k < 3; k++) buf[rnd() % buf.length] = rnd() & 0xff;
    const r = parseQuery(buf);
    assert.ok(['ok', 'formerr', 'notimp', 'badvers', 'drop'].includes(r.kind));
    if (r.kind === 'ok') {
      assert.ok(r.query.qname.endsWith('.'));
      assert.equal(r.query.question.length + 12 <= buf.length, true);
    }
  }
});
