import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE } from '@geoedge/dnsdata';
import { AnswerArena, keyHash } from './answer-arena.js';
import { ZoneEpochs } from './zone-epochs.js';
import { makeTemplate, renderTemplate, type Template } from '../wire/template.js';
import { FLAG_AA, FLAG_QR, FLAG_RD } from '../wire/message.js';
import { parseQuery } from '../wire/query.js';
import { buildQuery } from '../wire/query-builder.js';
import { rr } from '../wire/testdata/records.js';
import type { Query } from '../wire/types.js';

function query(qname: string, qtype: number, id = 7, edns = false): Query {
  const r = parseQuery(buildQuery({ id, flags: FLAG_RD, qname, qtype, edns: edns ? { payload: 4096 } : undefined }));
  assert.equal(r.kind, 'ok');
  return (r as { query: Query }).query;
}

function template(qname: string, qtype: number, address: string, extra = 0): Template {
  const answer = Array.from({ length: 1 + extra }, (_, i) => rr(qname, TYPE.A, { kind: 'a', address: i === 0 ? address : `10.9.${i >> 8}.${i & 255}` }));
  return makeTemplate({
    id: 0, flags: FLAG_QR | FLAG_AA, question: buildQuery({ qname: qname.toLowerCase(), qtype }).subarray(12),
    answer, authority: [], additional: [],
  });
}

test('an answer stored once is found whatever the case of the query, and renders as the template does', () => {
  const a = new AnswerArena(100, 1 << 20, new ZoneEpochs());
  const t = template('www.example.com.', TYPE.A, '192.0.2.1');
  a.set(query('www.example.com.', TYPE.A).question, 0, 0, t, 1);
  for (const name of ['www.example.com.', 'WWW.Example.COM.', 'wWw.eXaMpLe.CoM.']) {
    const q = query(name, TYPE.A, 0x4242, true);
    assert.ok(a.find(q.question, 0), name);
    assert.equal(a.rcode, 0);
    const opt = { payload: 1232, extendedRcode: 0, dnssecOk: false };
    assert.deepEqual(a.render(q, opt, 4096), renderTemplate(t, q, opt, 4096), name);
    assert.deepEqual(a.render(q, undefined, 512), renderTemplate(t, q, undefined, 512), name);
  }
  assert.equal(a.find(query('www.example.org.', TYPE.A).question, 0), false);
  assert.equal(a.find(query('ww.example.com.', TYPE.A).question, 0), false);
  assert.equal(a.find(query('www.example.com.', TYPE.AAAA).question, 0), false);
  assert.equal(a.find(query('www.example.com.', TYPE.A).question, 1), false, 'the flag is part of the key');
});

test('QTYPE and QCLASS octets are not case-folded: type 65 and type 97 stay apart', () => {
  const a = new AnswerArena(100, 1 << 20, new ZoneEpochs());
  a.set(query('x.example.', 65).question, 0, 3, template('x.example.', 65, '192.0.2.65'), 1);
  assert.equal(a.find(query('x.example.', 97).question, 0), false);
  assert.ok(a.find(query('X.EXAMPLE.', 65).question, 0));
  assert.equal(a.rcode, 3);
});

test('a question whose name is a compression pointer is never stored or found', () => {
  const q = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1]);
  assert.equal(keyHash(q, 0), -1);
  const a = new AnswerArena(100, 1 << 20, new ZoneEpochs());
  a.set(q, 0, 0, template('www.example.com.', TYPE.A, '192.0.2.1'), 1);
  assert.equal(a.size, 0);
  assert.equal(a.find(q, 0), false);
  assert.equal(keyHash(Buffer.from([3, 0x61, 0x62, 0, 1, 0, 1]), 0), -1, 'a label running past the name');
});

test('thousands of entries survive growth and rehashing, each with its own answer', () => {
  const a = new AnswerArena(100_000, 64 << 20, new ZoneEpochs());
  const n = 5000;
  for (let i = 0; i < n; i++) a.set(query(`h${i}.zone${i % 97}.example.`, TYPE.A).question, 0, 0, template(`h${i}.zone${i % 97}.example.`, TYPE.A, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`), 1);
  assert.equal(a.size, n);
  for (let i = 0; i < n; i++) {
    const q = query(`H${i}.Zone${i % 97}.example.`, TYPE.A);
    assert.ok(a.find(q.question, 0), `h${i}`);
    const out = a.render(q, undefined, 512);
    assert.deepEqual([...out.subarray(out.length - 4)], [10, i >> 16, (i >> 8) & 255, i & 255], `h${i} answer`);
  }
});

test('two generations bound the entries; hot names are promoted and survive', () => {
  const a = new AnswerArena(10, 1 << 20, new ZoneEpochs());
  const hot = query('hot.example.', TYPE.A).question;
  a.set(hot, 0, 0, template('hot.example.', TYPE.A, '192.0.2.99'), 1);
  for (let i = 0; i < 1000; i++) {
    a.set(query(`k${i}.example.`, TYPE.A).question, 0, 0, template(`k${i}.example.`, TYPE.A, '192.0.2.1'), 1);
    assert.ok(a.find(hot, 0), `hot lost at ${i}`);
    assert.ok(a.size <= 20, `size ${a.size} exceeds two generations`);
  }
  assert.equal(a.find(query('k0.example.', TYPE.A).question, 0), false);
  assert.ok(a.find(query('k999.example.', TYPE.A).question, 0));
  assert.ok(a.find(hot, 0));
  const out = a.render(query('hot.example.', TYPE.A), undefined, 512);
  assert.deepEqual([...out.subarray(out.length - 4)], [192, 0, 2, 99]);
});

test('the byte cap rotates generations too; an answer bigger than a generation is not kept', () => {
  const a = new AnswerArena(1_000_000, 8192, new ZoneEpochs());
  const big = template('big.example.', TYPE.A, '192.0.2.1', 120); // ~2 KB
  for (let i = 0; i < 50; i++) a.set(query(`b${i}.example.`, TYPE.A).question, 0, 0, big, 1);
  assert.ok(a.size <= 8, `size ${a.size}: 8 KiB per generation holds at most 4 such answers`);
  assert.ok(a.find(query('b49.example.', TYPE.A).question, 0));
  assert.equal(a.find(query('b0.example.', TYPE.A).question, 0), false);
  const huge = template('huge.example.', TYPE.A, '192.0.2.1', 600); // ~10 KB
  a.set(query('huge.example.', TYPE.A).question, 0, 0, huge, 1);
  assert.equal(a.find(query('huge.example.', TYPE.A).question, 0), false);
});

test('an entry whose zone changed since is a miss, and the fresh answer replaces it in place', () => {
  const zones = new ZoneEpochs();
  const a = new AnswerArena(100, 1 << 20, zones);
  const za = zones.slot('a.example.'), zb = zones.slot('b.example.');
  a.set(query('www.a.example.', TYPE.A).question, 0, 0, template('www.a.example.', TYPE.A, '192.0.2.1'), za);
  a.set(query('www.b.example.', TYPE.A).question, 0, 0, template('www.b.example.', TYPE.A, '192.0.2.2'), zb);
  zones.gen[za]!++;
  assert.equal(a.find(query('www.a.example.', TYPE.A).question, 0), false, 'zone a changed');
  assert.ok(a.find(query('www.b.example.', TYPE.A).question, 0), 'zone b did not');
  a.set(query('www.a.example.', TYPE.A).question, 0, 0, template('www.a.example.', TYPE.A, '192.0.2.9'), za);
  assert.equal(a.size, 2, 'replaced, not added');
  const q = query('www.a.example.', TYPE.A);
  assert.ok(a.find(q.question, 0));
  assert.match(a.render(q, undefined, 512).toString('latin1'), /\xc0\x00\x02\x09/);
});
