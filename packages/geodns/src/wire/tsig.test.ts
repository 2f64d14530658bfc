import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery } from './query.js';
import { buildQuery } from './query-builder.js';
import { appendAdditional, badKeyRecord, TSIG_BADKEY } from './tsig.js';

const name = (s: string): Buffer => Buffer.concat([...s.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);

/** A request TSIG RR (RFC 8945 §4.2) with a 32-octet MAC. */
function requestTsig(origId: number, key = 'key.example.', alg = 'hmac-sha256.'): Buffer {
  const algN = name(alg);
  const fixed = Buffer.alloc(10);
  fixed.writeUIntBE(0x0000_6543_2100, 0, 6); // Time Signed
  fixed.writeUInt16BE(300, 6);                 // Fudge
  fixed.writeUInt16BE(32, 8);                  // MAC Size
  const tail = Buffer.alloc(6);
  tail.writeUInt16BE(origId, 0);
  const rdata = Buffer.concat([algN, fixed, Buffer.alloc(32, 0xaa), tail]);
  const head = Buffer.alloc(10);
  head.writeUInt16BE(250, 0); head.writeUInt16BE(255, 2); head.writeUInt32BE(0, 4); head.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([name(key), head, rdata]);
}

test('badKeyRecord: same key and algorithm, time and fudge copied, MAC size 0, Original ID, BADKEY', () => {
  const rr = badKeyRecord(requestTsig(0x4242));
  assert.ok(Buffer.isBuffer(rr));
  const keyLen = name('key.example.').length;
  assert.deepEqual(rr.subarray(0, keyLen), name('key.example.'));
  assert.equal(rr.readUInt16BE(keyLen), 250);
  assert.equal(rr.readUInt16BE(keyLen + 2), 255);
  assert.equal(rr.readUInt32BE(keyLen + 4), 0);
  const rdata = rr.subarray(keyLen + 10);
  assert.equal(rr.readUInt16BE(keyLen + 8), rdata.length);
  const algLen = name('hmac-sha256.').length;
  assert.deepEqual(rdata.subarray(0, algLen), name('hmac-sha256.'));
  assert.equal(rdata.readUIntBE(algLen, 6), 0x6543_2100);
  assert.equal(rdata.readUInt16BE(algLen + 6), 300);
  assert.equal(rdata.readUInt16BE(algLen + 8), 0, 'MAC size 0: unsigned');
  assert.equal(rdata.readUInt16BE(algLen + 10), 0x4242);
  assert.equal(rdata.readUInt16BE(algLen + 12), TSIG_BADKEY);
  assert.equal(rdata.readUInt16BE(algLen + 14), 0, 'no other data');
  assert.equal(rdata.length, algLen + 16);
});

test('badKeyRecord: a compressed or cut-off TSIG record is a reason, not a record', () => {
  const good = requestTsig(1);
  assert.equal(typeof badKeyRecord(Buffer.concat([Buffer.from([0xc0, 12]), good.subarray(name('key.example.').length)])), 'string');
  for (const cut of [3, 20, good.length - 1]) assert.equal(typeof badKeyRecord(good.subarray(0, cut)), 'string', `cut at ${cut}`);
});

test('parseQuery: a TSIG record last is badkey (with the record); anywhere else FORMERR', () => {
  const q = buildQuery({ id: 7, qname: 'example.com.', qtype: 1 });
  const tsig = requestTsig(7);
  const signed = Buffer.concat([q, tsig]);
  signed.writeUInt16BE(1, 10);
  const r = parseQuery(signed);
  assert.equal(r.kind, 'badkey');
  if (r.kind === 'badkey') assert.deepEqual(r.tsig, tsig);
  const opt = Buffer.from([0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]);
  const notLast = Buffer.concat([q, tsig, opt]);
  notLast.writeUInt16BE(2, 10);
  assert.equal(parseQuery(notLast).kind, 'formerr');
  const optFirst = Buffer.concat([q, opt, tsig]);
  optFirst.writeUInt16BE(2, 10);
  const r2 = parseQuery(optFirst);
  assert.equal(r2.kind, 'badkey');
  if (r2.kind === 'badkey') assert.equal(r2.query.edns?.payload, 1232);
});

test('appendAdditional bumps ARCOUNT', () => {
  const msg = Buffer.alloc(12);
  msg.writeUInt16BE(1, 10);
  const out = appendAdditional(msg, Buffer.from([1, 2, 3]));
  assert.equal(out.readUInt16BE(10), 2);
  assert.equal(out.length, 15);
});
