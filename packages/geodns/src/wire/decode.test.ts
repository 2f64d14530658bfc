import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE } from '@geoedge/dnsdata';
import { decodeMessage } from './decode.js';
import { encodeResponse } from './message.js';
import { buildQuery } from './query-builder.js';

const head = (qd: number, an: number): number[] => [0, 1, 0x80, 0, 0, qd, 0, an, 0, 0, 0, 0];

function response(): Buffer {
  return encodeResponse({
    id: 7, flags: 0x8400, question: buildQuery({ qname: 'www.example.com.', qtype: 15 }).subarray(12),
    answer: [{ name: 'www.example.com.', type: TYPE.MX, class: 1, ttl: 60, data: { kind: 'mx', preference: 5, exchange: 'mx.example.com.' } }],
    authority: [{ name: 'example.com.', type: TYPE.NS, class: 1, ttl: 60, data: { kind: 'name', target: 'ns.example.com.' } }],
    additional: [{ name: 'mx.example.com.', type: TYPE.A, class: 1, ttl: 60, data: { kind: 'a', address: '192.0.2.5' } }],
    opt: { payload: 1232, extendedRcode: 0, dnssecOk: false, ecs: { family: 1, sourcePrefix: 24, scopePrefix: 24, address: '198.51.100.0' } },
  }, 1232);
}

test('pointer loops and forward pointers are errors, not hangs', () => {
  const cases: [string, number[]][] = [
    ['self pointer', [...head(1, 0), 0xc0, 12, 0, 1, 0, 1]],
    ['forward pointer', [...head(1, 0), 0xc0, 14, 0, 1, 0, 1]],
    ['loop through a label', [...head(1, 0), 1, 0x61, 0xc0, 12, 0, 1, 0, 1]],
    ['pointer into the header', [...head(1, 0), 0xc0, 2, 0, 1, 0, 1]], // reads 0x80 → bad label
    ['reserved label type', [...head(1, 0), 0x80, 0, 1, 0, 1]],
  ];
  for (const [name, bytes] of cases) {
    const r = decodeMessage(Buffer.from(bytes));
    assert.equal(r.ok, false, name);
  }
});

test('a valid pointer chain decodes', () => {
  const bytes = [...head(1, 1), 3, 0x63, 0x6f, 0x6d, 0, 0, 1, 0, 1, 1, 0x61, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 9, 0, 4, 1, 2, 3, 4];
  const r = decodeMessage(Buffer.from(bytes));
  assert.ok(r.ok);
  if (r.ok) assert.deepEqual(r.message.answer, [{ name: 'a.com.', type: 1, class: 1, ttl: 9, data: { kind: 'a', address: '1.2.3.4' } }]);
});

test('every truncation of a valid response is an error', () => {
  const buf = response();
  assert.equal(decodeMessage(buf).ok, true);
  for (let n = 0; n < buf.length; n++) assert.equal(decodeMessage(buf.subarray(0, n)).ok, false, `length ${n}`);
});

test('rdata length that does not match its content is an error', () => {
  const a = [...head(1, 1), 1, 0x61, 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 9, 0, 5, 1, 2, 3, 4, 5];
  assert.match((decodeMessage(Buffer.from(a)) as { error: string }).error, /not 4/);
  const mx = [...head(1, 1), 1, 0x61, 0, 0, 1, 0, 1, 0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 9, 0, 5, 0, 1, 0xc0, 12, 7];
  assert.match((decodeMessage(Buffer.from(mx)) as { error: string }).error, /left over/);
});

test('random bytes and mutated responses: an answer or an error, never a throw', () => {
  let seed = 99;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8;
  const valid = response();
  let errors = 0;
  for (let i = 0; i < 20000; i++) {
    let buf: Buffer;
    if (i % 2 === 0) {
      buf = Buffer.from(Array.from({ length: rnd() % 200 }, () => rnd() & 0xff));
    } else {
      buf = Buffer.from(valid);
      for (let k = 0; k < 1 + (i % 5); k++) buf[rnd() % buf.length] = rnd() & 0xff;
    }
    const r = decodeMessage(buf);
    if (!r.ok) {
      errors++;
      assert.equal(typeof r.error, 'string');
    }
  }
  assert.ok(errors > 5000, `only ${errors} errors: the decoder accepts too much`);
});
