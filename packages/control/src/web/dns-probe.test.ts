// The hand-built DNS query and reply reader of the LUA preview: the query
// carries the client address as ECS (RFC 7871 §6), replies with compression
// pointers are read, and garbage or truncated replies are errors, never throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { buildProbeQuery, parseProbeReply, probe } from './dns-probe.js';

test('the query asks one question with EDNS and the client as a full-length ECS prefix', () => {
  const q = buildProbeQuery(0x1234, 'geo.example.', 1, '198.51.100.7');
  assert.equal(q.readUInt16BE(0), 0x1234);
  assert.equal(q.readUInt16BE(2), 0, 'no RD, opcode QUERY');
  assert.deepEqual([q.readUInt16BE(4), q.readUInt16BE(6), q.readUInt16BE(8), q.readUInt16BE(10)], [1, 0, 0, 1]);
  assert.deepEqual(q.subarray(12, 25), Buffer.from('\x03geo\x07example\x00', 'latin1'));
  assert.deepEqual([q.readUInt16BE(25), q.readUInt16BE(27)], [1, 1]);
  const opt = q.subarray(29);
  assert.equal(opt[0], 0, 'OPT owner is the root');
  assert.equal(opt.readUInt16BE(1), 41);
  const ecs = opt.subarray(11);
  assert.deepEqual([...ecs], [0, 8, 0, 8, 0, 1, 32, 0, 198, 51, 100, 7]);
  const v6 = buildProbeQuery(1, 'x.', 28, '2001:db8::1').subarray(-24);
  assert.deepEqual([...v6.subarray(0, 8)], [0, 8, 0, 20, 0, 2, 128, 0]);
});

/** A reply to buildProbeQuery's question, answers pointing back at the question name. */
function reply(id: number, rcode: number, answers: Array<{ type: number; rdata: Buffer }>): Buffer {
  const q = buildProbeQuery(id, 'geo.example.', 1, '192.0.2.1').subarray(0, 29);
  const head = Buffer.from(q);
  head.writeUInt16BE(0x8400 | rcode, 2);
  head.writeUInt16BE(answers.length, 6);
  head.writeUInt16BE(0, 10);
  const rrs = answers.map(({ type, rdata }) => {
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0);
    fixed.writeUInt16BE(type, 2);
    fixed.writeUInt16BE(1, 4);
    fixed.writeUInt32BE(60, 6);
    fixed.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([fixed, rdata]);
  });
  return Buffer.concat([head, ...rrs]);
}

test('replies are read, including compressed names in RDATA', () => {
  const r = parseProbeReply(reply(7, 0, [
    { type: 1, rdata: Buffer.from([192, 0, 2, 51]) },
    { type: 5, rdata: Buffer.from('\x03www\xc0\x10', 'latin1') }, // www + pointer to "example."
    { type: 16, rdata: Buffer.from('\x02hi', 'latin1') },
  ]), 7);
  assert.deepEqual(r, { ok: true, rcode: 'NOERROR', answers: [
    { name: 'geo.example.', type: 'A', ttl: 60, data: '192.0.2.51' },
    { name: 'geo.example.', type: 'CNAME', ttl: 60, data: 'www.example.' },
    { name: 'geo.example.', type: 'TXT', ttl: 60, data: '"hi"' },
  ] });
  assert.deepEqual(parseProbeReply(reply(7, 3, []), 7), { ok: true, rcode: 'NXDOMAIN', answers: [] });
  assert.equal(parseProbeReply(reply(7, 0, []), 8).ok, false, 'another id is not our answer');
});

test('garbage and truncated replies are errors, never exceptions', () => {
  const good = reply(9, 0, [{ type: 1, rdata: Buffer.from([192, 0, 2, 51]) }]);
  for (let n = 0; n < good.length; n++) {
    const r = parseProbeReply(good.subarray(0, n), 9);
    assert.equal(r.ok && r.answers.length === 1, false, `truncated to ${n}`);
  }
  const loop = Buffer.from(good);
  loop.writeUInt16BE(0xc01d, 29); // answer name points at itself
  assert.equal(parseProbeReply(loop, 9).ok, false);
  let seed = 1;
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.alloc(12 + (i % 80));
    for (let j = 0; j < b.length; j++) b[j] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    b.writeUInt16BE(9, 0);
    assert.doesNotThrow(() => parseProbeReply(b, 9));
  }
});

test('probe sends over UDP and reads the answer of a loopback responder', async () => {
  const server = createSocket('udp4');
  server.on('message', (msg, from) => {
    const r = reply(msg.readUInt16BE(0), 0, [{ type: 1, rdata: Buffer.from([192, 0, 2, 77]) }]);
    server.send(r, from.port, from.address);
  });
  await new Promise<void>((res) => server.bind(0, '127.0.0.1', res));
  try {
    const r = await probe({ host: '127.0.0.1', port: server.address().port }, 'geo.example.', 'A', '198.51.100.7');
    assert.deepEqual(r, { ok: true, rcode: 'NOERROR', answers: [{ name: 'geo.example.', type: 'A', ttl: 60, data: '192.0.2.77' }] });
    assert.deepEqual(await probe({ host: '127.0.0.1', port: 1 }, 'x.', 'A', 'nope'), { ok: false, error: 'not an IP address: nope' });
  } finally {
    server.close();
  }
});
