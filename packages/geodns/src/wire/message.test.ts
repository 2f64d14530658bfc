import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE, type RR } from '@geoedge/dnsdata';
import { encodeResponse, FLAG_AA, FLAG_QR, FLAG_RD, FLAG_TC } from './message.js';
import { decodeMessage, type DecodedMessage } from './decode.js';
import { buildQuery } from './query-builder.js';
import type { ResponseMessage } from './types.js';
import { everyKind, rr } from './testdata/records.js';


function question(name: string, type: number): Buffer {
  return buildQuery({ qname: name, qtype: type }).subarray(12);
}

function decode(buf: Buffer): DecodedMessage {
  const r = decodeMessage(buf);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return (r as { message: DecodedMessage }).message;
}

function msg(over: Partial<ResponseMessage>): ResponseMessage {
  return { id: 0x4242, flags: FLAG_QR | FLAG_AA | FLAG_RD, question: question('www.example.com.', 1), answer: [], authority: [], additional: [], ...over };
}


test('every rdata kind round-trips through encodeResponse and decodeMessage', () => {
  const buf = encodeResponse(msg({ answer: everyKind.slice(0, 5), authority: everyKind.slice(5, 9), additional: everyKind.slice(9) }), 65535);
  const m = decode(buf);
  assert.equal(m.id, 0x4242);
  assert.equal(m.flags, FLAG_QR | FLAG_AA | FLAG_RD);
  assert.deepEqual(m.questions, [{ name: 'www.example.com.', type: 1, class: 1 }]);
  assert.deepEqual(m.answer, everyKind.slice(0, 5));
  assert.deepEqual(m.authority, everyKind.slice(5, 9));
  assert.deepEqual(m.additional, everyKind.slice(9));
  assert.equal(m.opt, undefined);
});

test('golden bytes: owner compressed to the question (any case), rdata name to a suffix', () => {
  const buf = encodeResponse({
    id: 1, flags: FLAG_QR, question: question('A.Example.', 5),
    answer: [rr('a.example.', TYPE.CNAME, { kind: 'name', target: 'b.EXAMPLE.' }, 60)], authority: [], additional: [],
  }, 512);
  const want = Buffer.from([
    0, 1, 0x80, 0, 0, 1, 0, 1, 0, 0, 0, 0,
    1, 0x41, 7, ...Buffer.from('Example'), 0, 0, 5, 0, 1, // question as sent
    0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, // owner = pointer to offset 12
    1, 0x62, 0xc0, 14, // b + pointer to "Example." inside the question
  ]);
  assert.deepEqual(buf, want);
});

test('names in NS/MX/SOA rdata are compressed; SRV and NAPTR targets are not', () => {
  const ns = encodeResponse(msg({ answer: [rr('example.com.', TYPE.NS, { kind: 'name', target: 'ns1.example.com.' })] }), 512);
  const plain = Buffer.from('\x03ns1\x07example\x03com\x00', 'latin1');
  assert.equal(ns.indexOf(plain), -1);
  assert.notEqual(ns.indexOf(Buffer.from('\x03ns1\xc0', 'latin1')), -1);
  const srv = encodeResponse(msg({ answer: [everyKind[8]] }), 512);
  assert.notEqual(srv.indexOf(Buffer.from('\x03sip\x07example\x03com\x00', 'latin1')), -1);
  const naptr = encodeResponse(msg({ answer: [everyKind[10]] }), 512);
  assert.notEqual(naptr.indexOf(Buffer.from('\x04_sip\x04_udp\x07example\x03com\x00', 'latin1')), -1);
  // …and later names still compress against everything before them.
  const both = encodeResponse(msg({ answer: [everyKind[0], everyKind[0]] }), 512);
  assert.equal(both.length, 12 + 21 + 2 * (2 + 10 + 4));
});

test('our OPT: payload, extended rcode, DO, ECS echoed with scope and ceil(source/8) address octets', () => {
  const ecs = { family: 1 as const, sourcePrefix: 20, scopePrefix: 16, address: '10.1.48.0' };
  const buf = encodeResponse(msg({ answer: [everyKind[0]], opt: { payload: 1232, extendedRcode: 1, dnssecOk: true, ecs } }), 1232);
  const tail = buf.subarray(buf.length - 11 - 11);
  assert.deepEqual(tail, Buffer.from([0, 0, 41, 0x04, 0xd0, 1, 0, 0x80, 0, 0, 11, 0, 8, 0, 7, 0, 1, 20, 16, 10, 1, 0x30]));
  const m = decode(buf);
  assert.equal(buf.readUInt16BE(10), 1); // ARCOUNT counts the OPT
  assert.equal(m.rcode, 16); // BADVERS = low bits 0 | 1 << 4
  assert.deepEqual(m.opt?.ecs, ecs);
  assert.equal(m.opt?.dnssecOk, true);
  const v6 = encodeResponse(msg({ opt: { payload: 4096, extendedRcode: 0, dnssecOk: false, ecs: { family: 2, sourcePrefix: 56, scopePrefix: 48, address: '2001:db8:12:3400::' } } }), 512);
  assert.deepEqual(decode(v6).opt?.ecs, { family: 2, sourcePrefix: 56, scopePrefix: 48, address: '2001:db8:12:3400::' });
  assert.equal(decode(v6).opt?.options[0].data.length, 4 + 7);
});

test('over maxSize: header + question + OPT with TC=1 and no records', () => {
  const big: RR[] = Array.from({ length: 40 }, (_, i) => rr('www.example.com.', TYPE.A, { kind: 'a', address: `192.0.2.${i}` }));
  const opt = { payload: 4096, extendedRcode: 0, dnssecOk: false };
  const full = encodeResponse(msg({ answer: big, opt }), 65535);
  assert.equal(decode(full).answer.length, 40);
  assert.equal(decode(full).tc, false);
  const fits = encodeResponse(msg({ answer: big, opt }), full.length);
  assert.deepEqual(fits, full);
  const cut = encodeResponse(msg({ answer: big, opt }), full.length - 1);
  const m = decode(cut);
  assert.equal(m.tc, true);
  assert.equal(m.aa, true);
  assert.deepEqual([m.answer.length, m.authority.length, m.additional.length], [0, 0, 0]);
  assert.equal(m.questions[0].name, 'www.example.com.');
  assert.equal(m.opt?.payload, 4096);
  assert.equal(cut.length, 12 + 21 + 11);
});

test('a LUA record never reaches the wire; bad rdata is a clear error', () => {
  const lua = rr('x.example.', TYPE.A, { kind: 'lua', innerType: 1, code: 'return "1.2.3.4"' });
  assert.throws(() => encodeResponse(msg({ answer: [lua] }), 512), { code: 'ERR_WIRE_LUA' });
  assert.throws(() => encodeResponse(msg({ answer: [rr('x.', 1, { kind: 'a', address: '1.2.3' })] }), 512), { code: 'ERR_WIRE_RDATA' });
  assert.throws(() => encodeResponse(msg({ answer: [rr('x..', 1, { kind: 'a', address: '1.2.3.4' })] }), 512), { code: 'ERR_WIRE_NAME' });
  assert.throws(() => encodeResponse(msg({ answer: [rr('x.', 16, { kind: 'txt', strings: [Buffer.alloc(65400)] })] }), 512), { code: 'ERR_WIRE_RDATA' });
  // The encoder is still usable afterwards.
  assert.equal(decode(encodeResponse(msg({ answer: [everyKind[0]] }), 512)).answer.length, 1);
});

test('a TXT string over 255 octets goes out as 255-octet character-strings (as PowerDNS sends it)', () => {
  const long = Buffer.alloc(600, 0x6b);
  const m = decode(encodeResponse(msg({ answer: [rr('x.example.', TYPE.TXT, { kind: 'txt', strings: [long, Buffer.from('z')] })] }), 4096));
  assert.deepEqual(m.answer[0]!.data, { kind: 'txt', strings: [long.subarray(0, 255), long.subarray(255, 510), long.subarray(510), Buffer.from('z')] });
});

test('a message too big for 64 KiB is truncated, not corrupted', () => {
  const txt = rr('t.example.', TYPE.TXT, { kind: 'txt', strings: Array.from({ length: 200 }, () => Buffer.alloc(255, 0x78)) });
  const m = decode(encodeResponse(msg({ answer: [txt, txt] }), 65535));
  assert.equal(m.tc, true);
  assert.equal(m.answer.length, 0);
});

test('names past offset 0x3fff still compress onto earlier ones and decode intact', () => {
  const pad = rr('pad.example.com.', TYPE.TXT, { kind: 'txt', strings: Array.from({ length: 70 }, () => Buffer.alloc(255, 0x70)) });
  const hosts = Array.from({ length: 300 }, (_, i) => rr(`h${i}.Sub.example.com.`, TYPE.CNAME, { kind: 'name', target: `t${i % 7}.sub.EXAMPLE.com.` }));
  const m = msg({ answer: [pad, ...hosts], additional: [rr('late.sub.example.com.', TYPE.MX, { kind: 'mx', preference: 1, exchange: 'h299.sub.example.com.' })] });
  const buf = encodeResponse(m, 65535);
  assert.ok(buf.length > 0x4000 + 300 * 12);
  const d = decode(buf);
  // Compressed names take the case of the copy they point at; compare case-folded.
  const fold = (rrs: RR[]): string => JSON.stringify(rrs).toLowerCase();
  assert.equal(fold(d.answer), fold([pad, ...hosts]));
  assert.equal(fold(d.additional), fold(m.additional));
  assert.equal(d.answer[1].name, 'h0.Sub.example.com.');
  // "Sub.example.com" was written past 0x3fff, out of a pointer's reach: the target
  // keeps its own "sub" and points only at "example.com" in the question.
  assert.equal((d.answer[1].data as { target: string }).target, 't0.sub.example.com.');
  // Uncompressed, each CNAME would take 21 + 10 + 20 octets; with pointers to
  // "example.com" in the question it takes about 30.
  assert.ok(buf.length < 12 + 21 + 17936 + 300 * 32, `${buf.length} octets`);
});

test('a malformed question buffer is copied but never used as a compression target', { timeout: 5000 }, () => {
  const bad = Buffer.from([3, 0x77, 0x77, 0x77, 0xc0, 16, 0, 1, 0, 1]); // "www" then a pointer to itself
  const buf = encodeResponse(msg({ question: bad, answer: [everyKind[0]] }), 512);
  assert.deepEqual(buf.subarray(12, 22), bad);
  assert.deepEqual(buf.subarray(22, 22 + 17), Buffer.from('\x03www\x07example\x03com\x00', 'latin1'));
});
