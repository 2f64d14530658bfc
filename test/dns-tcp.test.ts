// DNS over TCP (RFC 1035 §4.2.2, RFC 7766): pipelined queries on one
// connection answered and matched by ID, frames split across writes, the idle
// timeout, the whole-query deadline, and the cap on concurrent connections
// (the oldest idle one makes room). Attacks at scale: dns-tcp-limits.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildQuery, parseMessage, readName, startGeodns, startPdns, TARGET, TcpClient, tempDir, udpExchange, frame, DEFAULT_ZONES,
  type Server,
} from './helpers/index.js';

const IDLE_MS = 1000;
const MAX_CONNS = 5;
const QUERY_MS = 1000;

let srv: Server & { stop(): Promise<void> };
let tmp: ReturnType<typeof tempDir>;

before(async () => {
  tmp = tempDir('tcp');
  if (TARGET === 'pdns') {
    srv = await startPdns({ zonesDir: DEFAULT_ZONES, args: [`--tcp-idle-timeout=${IDLE_MS / 1000}`, `--max-tcp-connections=${MAX_CONNS}`] });
    return;
  }
  const cfg = join(tmp.dir, 'geodns.yaml');
  writeFileSync(cfg, `tcp:\n  idleTimeoutMs: ${IDLE_MS}\n  queryTimeoutMs: ${QUERY_MS}\n  maxConnections: ${MAX_CONNS}\n`);
  srv = await startGeodns({ args: ['--config', cfg] });
});
after(async () => {
  await srv?.stop();
  tmp?.remove();
});

const PIPELINE: Array<[string, string, string]> = [
  ['www.example.com', 'A', '192.0.2.10'],
  ['www.example.com', 'AAAA', '2001:db8::10'],
  ['mail.example.com', 'A', '192.0.2.25'],
  ['nope.example.com', 'A', 'NXDOMAIN'],
  ['huge.example.com', 'TXT', '12 records'],
  ['anything.wild.example.com', 'A', '192.0.2.80'],
  ['example.net', 'A', 'REFUSED'],
  ['big.example.com', 'A', '36 records'],
  ['10.2.0.192.in-addr.arpa', 'PTR', 'www.example.com.'],
  ['ns1.example.com', 'A', '192.0.2.53'],
];

function check(reply: Buffer, qname: string, qtype: string, want: string): void {
  const m = parseMessage(reply);
  assert.equal(m.question?.name, `${qname}.`);
  if (want === 'NXDOMAIN') return assert.equal(m.rcode, 3);
  if (want === 'REFUSED') return assert.equal(m.rcode, 5);
  assert.equal(m.rcode, 0);
  const n = /^(\d+) records$/.exec(want);
  if (n) return assert.equal(m.answer.length, Number(n[1]), `${qname} ${qtype}`);
  const a = m.answer[0]!;
  const text = a.type === 1 ? [...a.rdata].join('.') : a.type === 28 ? a.rdata.toString('hex') : readName(reply, a.rdataOffset).name;
  const expect = a.type === 28 ? '20010db8000000000000000000000010' : want;
  assert.equal(text, expect, `${qname} ${qtype}`);
}

test('ten pipelined queries on one connection are all answered, matched by ID', async () => {
  const c = await TcpClient.connect(srv);
  const ids = PIPELINE.map((_, i) => 0x5000 + i * 7);
  c.send(...PIPELINE.map(([name, type], i) => buildQuery({ id: ids[i], name, type, edns: {} })));
  const replies = await c.waitFor(PIPELINE.length, 5000);
  assert.equal(replies.length, PIPELINE.length, 'every query answered');
  const byId = new Map(replies.map((r) => [r.readUInt16BE(0), r]));
  PIPELINE.forEach(([name, type, want], i) => {
    const r = byId.get(ids[i]!);
    assert.ok(r, `reply for ID ${ids[i]}`);
    check(r, name, type, want);
  });
  assert.ok(c.isOpen, 'the connection stays open for more');
  c.close();
});

test('frames split at odd places across writes are reassembled', async () => {
  const c = await TcpClient.connect(srv);
  const bytes = Buffer.concat(PIPELINE.slice(0, 4).map(([name, type], i) => frame(buildQuery({ id: 0x6000 + i, name, type }))));
  for (let pos = 0; pos < bytes.length; ) {
    const n = Math.min(1 + (pos % 13), bytes.length - pos); // 1..13-byte pieces, the length prefix split too
    c.writeRaw(bytes.subarray(pos, pos + n));
    pos += n;
    await new Promise((r) => setTimeout(r, 2));
  }
  const replies = await c.waitFor(4, 5000);
  assert.equal(replies.length, 4);
  for (const r of replies) {
    const i = r.readUInt16BE(0) - 0x6000;
    check(r, ...PIPELINE[i]!);
  }
  c.close();
});

test('an idle connection is closed after the idle timeout; a busy one is not', async () => {
  const idle = await TcpClient.connect(srv);
  const busy = await TcpClient.connect(srv);
  const started = Date.now();
  let sent = 0;
  while (Date.now() - started < IDLE_MS * 1.8) {
    busy.send(buildQuery({ id: 0x7000 + sent, name: 'www.example.com' }));
    sent++;
    await new Promise((r) => setTimeout(r, IDLE_MS / 4));
  }
  await Promise.race([idle.closed, new Promise((r) => setTimeout(r, IDLE_MS * 3))]);
  assert.ok(!idle.isOpen, `idle connection still open after ${Date.now() - started} ms`);
  assert.ok(busy.isOpen, 'a connection with traffic must stay open');
  assert.equal((await busy.waitFor(sent, 3000)).length, sent);
  busy.close();
});

test('a full table closes the oldest idle connection for a newcomer (PowerDNS refuses instead)', async () => {
  const open: TcpClient[] = [];
  for (let i = 0; i < MAX_CONNS; i++) {
    const c = await TcpClient.connect(srv);
    c.send(buildQuery({ id: 0x8000 + i, name: 'www.example.com' }));
    assert.equal((await c.waitFor(1)).length, 1, `connection ${i + 1} of ${MAX_CONNS} served`);
    open.push(c);
    await new Promise((r) => setTimeout(r, 20)); // distinct ages
  }
  // One over the cap. PowerDNS (max-tcp-connections) leaves it unserved; geodns closes the
  // connection idle longest and serves the newcomer (RFC 7766 §6.2.3: free idle resources).
  const extra = await TcpClient.connect(srv);
  extra.send(buildQuery({ id: 0x8100, name: 'www.example.com' }));
  const got = (await extra.waitFor(1, 1500)).length;
  if (TARGET === 'pdns') {
    assert.equal(got, 0, 'PowerDNS: no answer beyond the cap');
  } else {
    assert.equal(got, 1, 'the newcomer is served');
    await Promise.race([open[0]!.closed, new Promise((r) => setTimeout(r, 2000))]);
    assert.ok(!open[0]!.isOpen, 'the oldest idle connection was closed');
    assert.ok(open.slice(1).every((c) => c.isOpen), 'the others stay');
  }
  extra.close();
  // UDP is unaffected.
  assert.ok(await udpExchange(srv, buildQuery({ name: 'www.example.com' })));
  for (const c of open) c.close();
});

test('a query trickled in one byte at a time is cut off after the query timeout, however often bytes come', { skip: TARGET === 'pdns' && 'geodns limit' }, async () => {
  const c = await TcpClient.connect(srv);
  const bytes = frame(buildQuery({ id: 0x9000, name: 'www.example.com' }));
  const started = Date.now();
  for (let i = 0; i < bytes.length - 1 && c.isOpen; i++) {
    c.writeRaw(bytes.subarray(i, i + 1));
    await new Promise((r) => setTimeout(r, QUERY_MS / 5)); // far more often than the idle timeout
  }
  await Promise.race([c.closed, new Promise((r) => setTimeout(r, QUERY_MS * 3))]);
  const lasted = Date.now() - started;
  assert.ok(!c.isOpen, `still open after ${lasted} ms of trickle`);
  assert.ok(lasted < QUERY_MS * 3, `closed after ${lasted} ms (query timeout ${QUERY_MS} ms)`);
  assert.equal(c.messages.length, 0);
});
