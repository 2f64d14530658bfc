import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE } from '@geoedge/dnsdata';
import { makeTemplate, renderTemplate } from './template.js';
import { encodeResponse, FLAG_AA, FLAG_CD, FLAG_QR, FLAG_RD, type OptOut } from './message.js';
import { decodeMessage, type DecodedMessage } from './decode.js';
import { parseQuery } from './query.js';
import { buildQuery } from './query-builder.js';
import { everyKind, rr } from './testdata/records.js';
import type { Query, ResponseMessage } from './types.js';

function query(qname: string, qtype: number, id: number, flags: number, edns = false): Query {
  const r = parseQuery(buildQuery({ id, flags, qname, qtype, edns: edns ? { payload: 4096 } : undefined }));
  assert.equal(r.kind, 'ok');
  return (r as { query: Query }).query;
}

function decode(buf: Buffer): DecodedMessage {
  const r = decodeMessage(buf);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return (r as { message: DecodedMessage }).message;
}

const base: ResponseMessage = {
  id: 0, flags: FLAG_QR | FLAG_AA,
  question: buildQuery({ qname: 'www.example.com.', qtype: TYPE.A }).subarray(12),
  answer: [everyKind[0], rr('www.example.com.', TYPE.A, { kind: 'a', address: '192.0.2.2' })],
  authority: [everyKind[2]],
  additional: [rr('ns1.example.com.', TYPE.A, { kind: 'a', address: '192.0.2.53' })],
};

test('a rendered template is byte-identical to encoding the answer for that query', () => {
  const t = makeTemplate(base);
  const cases: [number, number, OptOut | undefined][] = [
    [1, 0, undefined],
    [0xffff, FLAG_RD | FLAG_CD, undefined],
    [42, FLAG_RD, { payload: 1232, extendedRcode: 0, dnssecOk: true }],
    [43, 0, { payload: 1232, extendedRcode: 0, dnssecOk: false, ecs: { family: 1, sourcePrefix: 24, scopePrefix: 0, address: '203.0.113.0' } }],
    [44, FLAG_RD, { payload: 1232, extendedRcode: 0, dnssecOk: false, ecs: { family: 2, sourcePrefix: 56, scopePrefix: 0, address: '2001:db8:1:200::' } }],
  ];
  for (const [id, flags, opt] of cases) {
    const q = query('WwW.ExamPLE.com.', TYPE.A, id, flags, opt !== undefined);
    const got = renderTemplate(t, q, opt, 4096);
    const want = encodeResponse({ ...base, id, flags: base.flags | flags, question: q.question, opt }, 4096);
    assert.deepEqual(got, want, `id ${id}`);
  }
});

test('rendering patches ID, RD/CD, the question case and ARCOUNT, and leaves the template alone', () => {
  const t = makeTemplate(base);
  const before = Buffer.from(t.full);
  const q = query('WWW.EXAMPLE.COM.', TYPE.A, 0x1111, FLAG_RD, true);
  const m = decode(renderTemplate(t, q, { payload: 1400, extendedRcode: 0, dnssecOk: false }, 4096));
  assert.equal(m.id, 0x1111);
  assert.equal(m.rd, true);
  assert.equal(m.cd, false);
  assert.equal(m.aa, true);
  assert.equal(m.questions[0].name, 'WWW.EXAMPLE.COM.');
  assert.deepEqual(m.answer.map((r) => r.data), [{ kind: 'a', address: '192.0.2.1' }, { kind: 'a', address: '192.0.2.2' }]);
  assert.equal(m.additional.length, 1);
  assert.equal(m.opt?.payload, 1400);
  assert.deepEqual(t.full, before);
  const plain = decode(renderTemplate(t, query('www.example.com.', TYPE.A, 2, 0), undefined, 512));
  assert.equal(plain.opt, undefined);
  assert.equal(plain.rd, false);
  assert.equal(plain.questions[0].name, 'www.example.com.');
});

test('over maxSize the precompiled TC=1 reply is used, OPT still appended', () => {
  const many = { ...base, answer: Array.from({ length: 60 }, (_, i) => rr('www.example.com.', TYPE.A, { kind: 'a', address: `10.0.0.${i}` })) };
  const t = makeTemplate(many);
  const q = query('www.Example.com.', TYPE.A, 77, FLAG_RD, true);
  const opt: OptOut = { payload: 1232, extendedRcode: 0, dnssecOk: false, ecs: { family: 1, sourcePrefix: 24, scopePrefix: 0, address: '192.0.2.0' } };
  const big = renderTemplate(t, q, opt, 4096);
  assert.equal(decode(big).answer.length, 60);
  assert.ok(big.length > 512);
  const small = renderTemplate(t, q, opt, 512);
  const m = decode(small);
  assert.deepEqual([m.id, m.tc, m.rd, m.answer.length, m.authority.length, m.additional.length], [77, true, true, 0, 0, 0]);
  assert.equal(m.questions[0].name, 'www.Example.com.');
  assert.deepEqual(m.opt?.ecs, opt.ecs);
  assert.equal(renderTemplate(t, q, opt, big.length).length, big.length); // exactly at the limit still fits
});
