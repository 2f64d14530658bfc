// udpBatch: true (recvmmsg/sendmmsg through @geoedge/linux) serves UDP exactly as
// node:dgram does: answers, NXDOMAIN, TC, ECS echo, FORMERR, garbage dropped
// with the server still answering, IPv6, and — what batching could get wrong —
// every reply of a burst from several sockets goes back to its own sender.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  dig, rrLines, startGeodns, freePort, tempDir, copyZones, buildQuery, ecsOption, parseMessage, udpExchange, type Geodns, type Server,
} from './helpers/index.js';

let srv: Geodns;
let v6: Server | undefined;
let tmp: { dir: string; remove: () => void };
let zones: { dir: string; remove: () => void };

before(async () => {
  tmp = tempDir('geodns-udp-batch-');
  const cfg = join(tmp.dir, 'geodns.yaml');
  writeFileSync(cfg, 'udpBatch: true\n');
  // The example zones plus one whose LUA record tells each client its own address.
  zones = copyZones();
  writeFileSync(join(zones.dir, 'batch.test.zone'), [
    '$ORIGIN batch.test.', '$TTL 60', '@ IN SOA ns1 hostmaster 1 3600 600 604800 30', '@ IN NS ns1', 'ns1 IN A 192.0.2.53',
    'who IN LUA TXT "who:toString()"', '',
  ].join('\n'));
  const port = await freePort();
  const listen: Server[] = [{ host: '127.0.0.1', port }];
  // IPv6 loopback only where the machine has it.
  if (await hasIPv6()) listen.push((v6 = { host: '::1', port: await freePort('::1') }));
  srv = await startGeodns({ listen, zonesDir: zones.dir, args: ['--config', cfg] });
});
after(async () => {
  await srv?.stop();
  tmp?.remove();
  zones?.remove();
});

function hasIPv6(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp6');
    s.once('error', () => { s.close(); resolve(false); });
    s.bind(0, '::1', () => { s.close(); resolve(true); });
  });
}

test('the batched listener is in use, not the node:dgram fallback', () => {
  const fallback = srv.logs().filter((l) => /udpBatch/.test(l.msg));
  assert.deepEqual(fallback, [], 'no fallback warning');
});

test('A, NXDOMAIN and TC answers', async () => {
  const a = await dig(srv, ['www.example.com', 'A']);
  assert.equal(a.status, 'NOERROR', a.text);
  assert.deepEqual(rrLines(a.answer), ['www.example.com. 300 IN A 192.0.2.10']);
  const nx = await dig(srv, ['nope.example.com', 'A']);
  assert.equal(nx.status, 'NXDOMAIN', nx.text);
  assert.equal(nx.authority[0]?.type, 'SOA');
  const tc = await dig(srv, ['big.example.com', 'A', '+noedns', '+ignore']);
  assert.ok(tc.flags.has('tc'), `TC expected:\n${tc.text}`);
  const huge = parseMessage((await udpExchange(srv, buildQuery({ name: 'huge.example.com', type: 'TXT', edns: { payload: 4096 } })))!);
  assert.ok(huge.tc && huge.size <= 1232, `truncated to 1232: tc=${huge.tc} size=${huge.size}`);
});

test('ECS is echoed with its source prefix', async () => {
  const r = await dig(srv, ['www.example.com', 'A', '+subnet=198.51.100.0/24']);
  assert.match(r.opt?.ecs ?? '', /^198\.51\.100\.0\/24\/\d+$/, r.text);
});

test('garbage is dropped or gets FORMERR, and the server keeps answering', async () => {
  assert.equal(await udpExchange(srv, Buffer.from([1, 2, 3]), 500), undefined, 'a 3-byte packet is dropped');
  const two = buildQuery({ id: 0x0202, name: 'www.example.com' });
  const qd2 = Buffer.concat([two, two.subarray(12)]);
  qd2.writeUInt16BE(2, 4);
  const fe = parseMessage((await udpExchange(srv, qd2))!);
  assert.equal(fe.id, 0x0202);
  assert.equal(fe.rcode, 1, 'FORMERR');
  // Larger than any receive slot: the kernel cuts it (MSG_TRUNC), we drop it.
  const big = Buffer.concat([buildQuery({ id: 0x0303, name: 'www.example.com' }), Buffer.alloc(6000)]);
  assert.equal(await udpExchange(srv, big, 500), undefined, 'an oversized datagram is dropped');
  for (let i = 0; i < 50; i++) udpExchange(srv, Buffer.from(Array.from({ length: 1 + (i * 37) % 500 }, (_, j) => (i * 31 + j * 7) & 0xff)), 50).catch(() => {});
  const ok = parseMessage((await udpExchange(srv, buildQuery({ id: 0x0404, name: 'www.example.com' })))!);
  assert.equal(ok.id, 0x0404);
  assert.equal(ok.answer.length, 1);
});

test('LUA sees the client address the batch received (IPv4 and IPv6)', async (t) => {
  const r4 = await dig(srv, ['who.batch.test', 'TXT']);
  assert.deepEqual(r4.answer.map((a) => a.data), ['"127.0.0.1"'], r4.text);
  if (!v6) return t.skip('no IPv6 loopback');
  const a6 = await dig(v6, ['www.example.com', 'A']);
  assert.deepEqual(rrLines(a6.answer), ['www.example.com. 300 IN A 192.0.2.10']);
  const r6 = await dig(v6, ['who.batch.test', 'TXT']);
  assert.deepEqual(r6.answer.map((a) => a.data), ['"::1"'], r6.text);
});

test('a burst from several sockets: every query answered once, to its own sender', async () => {
  const SOCKETS = 4, PER = 150;
  const got = await Promise.all(Array.from({ length: SOCKETS }, (_, s) => burst(s, PER)));
  for (let s = 0; s < SOCKETS; s++) {
    const want = Array.from({ length: PER }, (_, i) => s * 1000 + i);
    assert.deepEqual(got[s], want, `socket ${s}: its own ids, each once`);
  }
});

/** Sends `n` queries (ids s*1000+i; names alternate answer/NXDOMAIN) and collects reply ids for 2 s. */
function burst(s: number, n: number): Promise<number[]> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const ids: number[] = [];
    sock.on('message', (m) => {
      const r = parseMessage(m);
      const wantRcode = (r.id - s * 1000) % 2 === 0 ? 0 : 3;
      if (r.rcode === wantRcode) ids.push(r.id);
      else ids.push(-r.id);
      if (ids.length === n) finish();
    });
    const finish = () => { clearTimeout(timer); sock.close(); resolve(ids.sort((a, b) => a - b)); };
    const timer = setTimeout(finish, 2000);
    sock.bind(0, '127.0.0.1', () => {
      for (let i = 0; i < n; i++) {
        const name = i % 2 === 0 ? 'www.example.com' : `nx${i}.example.com`;
        sock.send(buildQuery({ id: s * 1000 + i, name, edns: i % 3 === 0 ? { options: [ecsOption('203.0.113.0', 24)] } : undefined }), srv.port, '127.0.0.1');
      }
    });
  });
}

test('a listen address the batched socket cannot take falls back to node:dgram with a warning', async () => {
  // A host name, not an IP literal: the batched socket refuses it, node:dgram resolves it.
  const port = await freePort();
  const cfg = join(tmp.dir, 'geodns.yaml');
  const g = await startGeodns({ listen: [{ host: 'localhost', port }], args: ['--config', cfg] });
  try {
    assert.ok(g.logs().some((l) => l.level === 40 && /udpBatch: batched socket failed, using node:dgram/.test(l.msg)), 'fallback warning');
    const r = await dig({ host: '127.0.0.1', port }, ['www.example.com', 'A']);
    assert.deepEqual(rrLines(r.answer), ['www.example.com. 300 IN A 192.0.2.10']);
  } finally {
    await g.stop();
  }
});
