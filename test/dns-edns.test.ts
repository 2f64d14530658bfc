// EDNS0 (RFC 6891), truncation and TCP fallback (RFC 1035 §4.2.1, RFC 7766),
// and EDNS Client Subnet (RFC 7871), checked with dig and with raw bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  dig, startTarget, TARGET, buildQuery, ecsOption, parseMessage, udpExchange, tcpExchange, rrLines,
  type Target, type DigReply, type EdnsOption,
} from './helpers/index.js';

let srv: Target;
before(async () => { srv = await startTarget(); });
after(async () => { await srv?.stop(); });

const q = (...args: string[]): Promise<DigReply> => dig(srv, args);

test('OPT is in the answer only when the query had one', async () => {
  const without = await q('www.example.com', 'A', '+noedns');
  assert.equal(without.opt, undefined, without.text);
  const raw = parseMessage((await udpExchange(srv, buildQuery({ name: 'www.example.com' })))!);
  assert.equal(raw.opt, undefined);
  assert.equal(raw.counts[3], 0, 'no additional records at all');
  const nx = await q('nope.example.com', 'A', '+noedns');
  assert.equal(nx.opt, undefined, 'negative answers too');
});

test('with EDNS: OPT version 0, advertised payload 1232, DO not invented', async () => {
  for (const bufsize of ['+bufsize=4096', '+bufsize=512', '+bufsize=1232']) {
    const r = await q('www.example.com', 'A', bufsize);
    assert.ok(r.opt, r.text);
    assert.equal(r.opt.version, 0);
    assert.equal(r.opt.udp, 1232, `advertised payload:\n${r.text}`);
  }
  const m = parseMessage((await udpExchange(srv, buildQuery({ name: 'example.com', type: 'SOA', edns: { payload: 4096 } })))!);
  assert.equal(m.opt?.payload, 1232);
  assert.equal(m.opt?.dnssecOk, false);
  assert.equal(m.rcode, 0);
});

test('EDNS version 1 gets BADVERS with an OPT of version 0 and no answer', async () => {
  const r = await q('www.example.com', 'A', '+edns=1', '+noednsneg');
  assert.equal(r.status, 'BADVERS', r.text);
  assert.equal(r.opt?.version, 0);
  assert.deepEqual(r.answer, []);
  const m = parseMessage((await udpExchange(srv, buildQuery({ name: 'www.example.com', edns: { version: 2 } })))!);
  assert.equal(m.rcode, 16, 'BADVERS is extended rcode 16 (header 0, OPT 1)');
  assert.equal(m.opt?.version, 0);
});

test('answers over 512 bytes without EDNS are truncated over UDP and complete over TCP', async () => {
  const udp = await q('big.example.com', 'A', '+noedns', '+ignore');
  assert.ok(udp.flags.has('tc'), `TC expected:\n${udp.text}`);
  assert.ok(udp.flags.has('aa'));
  const tcp = await q('big.example.com', 'A', '+noedns', '+tcp');
  assert.ok(!tcp.flags.has('tc'));
  assert.equal(tcp.answer.length, 36, tcp.text);
  // The same RRset fits in 1232 bytes with EDNS: no truncation.
  const edns = await q('big.example.com', 'A', '+ignore');
  assert.ok(!edns.flags.has('tc'), edns.text);
  assert.equal(edns.answer.length, 36);
  // The client's smaller EDNS size is honoured.
  const small = await q('big.example.com', 'A', '+bufsize=512', '+ignore');
  assert.ok(small.flags.has('tc'), small.text);
});

test('an RRset over 1232 bytes is truncated even with EDNS, and dig retries over TCP by itself', async () => {
  const udp = parseMessage((await udpExchange(srv, buildQuery({ name: 'huge.example.com', type: 'TXT', edns: { payload: 4096 } })))!);
  assert.ok(udp.tc, 'TC set');
  assert.ok(udp.size <= 1232, `UDP reply of ${udp.size} bytes exceeds the 1232 we advertise`);
  const auto = await q('huge.example.com', 'TXT');
  assert.ok(!auto.flags.has('tc'));
  assert.equal(auto.answer.length, 12, auto.text);
  const tcp = parseMessage((await tcpExchange(srv, buildQuery({ name: 'huge.example.com', type: 'TXT', edns: {} })))!);
  assert.ok(!tcp.tc);
  assert.equal(tcp.answer.length, 12);
  assert.ok(tcp.size > 2000);
});

test('an EDNS payload below 512 is treated as 512 (RFC 6891 §6.2.5)', async () => {
  const small = parseMessage((await udpExchange(srv, buildQuery({ name: 'www.example.com', edns: { payload: 100 } })))!);
  assert.ok(!small.tc, 'a 60-byte answer fits in 512');
  assert.equal(small.answer.length, 1);
  const big = parseMessage((await udpExchange(srv, buildQuery({ name: 'big.example.com', edns: { payload: 100 } })))!);
  assert.ok(big.tc, 'over 512: truncated');
  assert.ok(big.size <= 512, `${big.size} bytes`);
});

test('the DO bit is copied into the answer OPT (RFC 3225)', async () => {
  const r = await q('www.example.com', 'A', '+dnssec');
  assert.equal(r.opt?.flags, 'do', r.text);
  const m = parseMessage((await udpExchange(srv, buildQuery({ name: 'nope.example.com', edns: { dnssecOk: true } })))!);
  assert.equal(m.opt?.dnssecOk, true);
  assert.equal(m.rcode, 3);
});

test('ECS is echoed with source prefix and a scope', async () => {
  const v4 = await q('www.example.com', 'A', '+subnet=198.51.100.77/24');
  assert.match(v4.opt?.ecs ?? '', /^198\.51\.100\.0\/24\/\d+$/, v4.text);
  assert.deepEqual(rrLines(v4.answer), ['www.example.com. 300 IN A 192.0.2.10']);
  const v6 = await q('www.example.com', 'AAAA', '+subnet=2001:db8:abcd::/48');
  assert.match(v6.opt?.ecs ?? '', /^2001:db8:abcd::\/48\/\d+$/, v6.text);
  const zero = await q('www.example.com', 'A', '+subnet=0.0.0.0/0');
  assert.match(zero.opt?.ecs ?? '', /^0\.0\.0\.0\/0\/0$/, `a /0 source gets scope 0:\n${zero.text}`);
  const noEcs = await q('www.example.com', 'A');
  assert.equal(noEcs.opt?.ecs, undefined, 'no ECS in the answer when none was sent');
});

test('ECS scope never exceeds the source prefix (raw)', async () => {
  const m = parseMessage((await udpExchange(srv, buildQuery({ name: 'www.example.com', edns: { options: [ecsOption('203.0.113.9', 20)] } })))!);
  const ecs = m.opt?.options.find((o) => o.code === 8);
  assert.ok(ecs, 'ECS option echoed');
  assert.equal(ecs.data.readUInt16BE(0), 1);
  assert.equal(ecs.data[2], 20);
  assert.ok(ecs.data[3]! <= 20);
  assert.deepEqual([...ecs.data.subarray(4)], [203, 0, 112], 'address echoed with bits past /20 zero');
});

// PowerDNS ignores malformed ECS; RFC 7871 §7.1.1 asks for FORMERR, which geodns does.
const BAD_ECS: Array<[string, EdnsOption]> = [
  ['option shorter than 4 bytes', { code: 8, data: Buffer.from([0, 1]) }],
  ['unknown family 3', { code: 8, data: Buffer.from([0, 3, 8, 0, 1]) }],
  ['IPv4 source prefix 33', ecsOption('192.0.2.1', 33, 0, 5)],
  ['IPv6 source prefix 129', { code: 8, data: Buffer.concat([Buffer.from([0, 2, 129, 0]), Buffer.alloc(17)]) }],
  ['more address bytes than the prefix needs', ecsOption('192.0.2.1', 8, 0, 4)],
  ['fewer address bytes than the prefix needs', ecsOption('192.0.2.1', 24, 0, 2)],
  ['non-zero scope in a query', ecsOption('192.0.2.0', 24, 24)],
  ['address bits set past the prefix', { code: 8, data: Buffer.from([0, 1, 20, 0, 192, 0, 0x0f]) }],
];

for (const [what, opt] of BAD_ECS) {
  test(`malformed ECS (${what}) gets FORMERR with the ID echoed`, { skip: TARGET === 'pdns' && 'PowerDNS ignores malformed ECS' }, async () => {
    const reply = await udpExchange(srv, buildQuery({ id: 0x4242, name: 'www.example.com', edns: { options: [opt] } }));
    assert.ok(reply, 'a FORMERR reply, not silence');
    const m = parseMessage(reply);
    assert.equal(m.id, 0x4242);
    assert.ok(m.qr);
    assert.equal(m.rcode, 1, 'FORMERR');
    assert.deepEqual(m.answer, []);
  });
}

test('ECS on a truncated answer is kept, and the TCP retry answers with it', async () => {
  const opt = ecsOption('198.51.100.0', 24);
  const udp = parseMessage((await udpExchange(srv, buildQuery({ name: 'huge.example.com', type: 'TXT', edns: { options: [opt] } })))!);
  assert.ok(udp.tc);
  const tcp = parseMessage((await tcpExchange(srv, buildQuery({ name: 'huge.example.com', type: 'TXT', edns: { options: [opt] } })))!);
  assert.equal(tcp.answer.length, 12);
  assert.ok(tcp.opt?.options.some((o) => o.code === 8), 'ECS echoed over TCP');
});
