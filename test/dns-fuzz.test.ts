// Throws at least 100,000 random and mutated packets at a running server
// (UDP at a bounded rate, plus some over TCP), then checks it is still alive,
// still answers dig correctly, answered every probe during the storm, sent
// only well-formed replies, and logged no crash.
//   FUZZ_SEED=n      reproduce a run (the seed is printed)
//   FUZZ_COUNT=n     packets over UDP (default 100000)
//   FUZZ_RATE=n      packets per second (default 15000)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import {
  buildQuery, corpus, dig, frame, mutate, parseMessage, prng, rrLines, startTarget, TcpClient, udpExchange, type Target,
} from './helpers/index.js';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const COUNT = Number(process.env.FUZZ_COUNT ?? 100_000);
const RATE = Number(process.env.FUZZ_RATE ?? 15_000);
const MAX_SECONDS = 120;

let srv: Target;
before(async () => { srv = await startTarget(); });
after(async () => { await srv?.stop(); });

/** A valid query must get its answer within a few tries while the storm goes on. */
async function probe(): Promise<boolean> {
  for (let i = 0; i < 5; i++) {
    const id = 0xbeef;
    const reply = await udpExchange(srv, buildQuery({ id, name: 'www.example.com', type: 'A' }), 1000);
    if (reply && reply.readUInt16BE(0) === id) return parseMessage(reply).answer.length === 1;
  }
  return false;
}

test(`${COUNT} random and mutated UDP packets, then TCP garbage: the server survives and answers (seed ${SEED})`, { timeout: (MAX_SECONDS + 60) * 1000 }, async (t) => {
  t.diagnostic(`FUZZ_SEED=${SEED}`);
  const rand = prng(SEED);
  const base = corpus();
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  let replies = 0;
  const badReplies: string[] = [];
  sock.on('message', (msg) => {
    replies++;
    try {
      const m = parseMessage(msg);
      if (!m.qr) badReplies.push(`reply without QR: ${msg.toString('hex')}`);
    } catch (err) {
      if (badReplies.length < 10) badReplies.push(`${(err as Error).message}: ${msg.toString('hex')}`);
    }
  });
  const byKind = new Map<string, number>();
  const started = Date.now();
  let sent = 0;
  let failedProbes = 0;
  const batch = 100;
  while (sent < COUNT && Date.now() - started < MAX_SECONDS * 1000) {
    for (let i = 0; i < batch && sent < COUNT; i++, sent++) {
      const { name, packet } = mutate(base, rand);
      byKind.set(name, (byKind.get(name) ?? 0) + 1);
      sock.send(packet, srv.port, srv.host);
    }
    // Keep to RATE packets per second overall.
    const ahead = sent / RATE * 1000 - (Date.now() - started);
    if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
    if (sent % 20_000 === 0 && !(await probe())) failedProbes++;
    if (!srv.alive()) break;
  }
  await new Promise((r) => setTimeout(r, 500));
  sock.close();
  t.diagnostic(`sent ${sent} in ${Date.now() - started} ms, ${replies} replies; ${[...byKind].map(([k, n]) => `${k}=${n}`).join(' ')}`);
  assert.ok(srv.alive(), 'the server process is alive');
  assert.equal(sent, COUNT, `all packets sent within ${MAX_SECONDS} s`);
  assert.equal(failedProbes, 0, 'valid queries were answered during the storm');
  assert.deepEqual(badReplies, [], 'every reply is a well-formed DNS response');
  assert.ok(replies > 0, 'some packets were readable enough to answer (FORMERR at least)');

  // TCP: mutated frames on a few connections, and raw garbage streams.
  for (let c = 0; c < 20; c++) {
    const conn = await TcpClient.connect(srv);
    const msgs = Array.from({ length: 50 }, () => mutate(base, rand).packet);
    if (c % 4 === 3) conn.writeRaw(Buffer.concat(msgs)); // unframed garbage
    else conn.writeRaw(Buffer.concat(msgs.map(frame)));
    await conn.waitFor(msgs.length, 300);
    for (const m of conn.messages) assert.doesNotThrow(() => parseMessage(m), 'TCP replies are well-formed');
    conn.close();
  }
  assert.ok(srv.alive(), 'alive after TCP garbage');

  // Afterwards it answers dig correctly, over UDP and TCP.
  for (const mode of ['+notcp', '+tcp']) {
    const r = await dig(srv, ['www.example.com', 'A', mode]);
    assert.equal(r.status, 'NOERROR');
    assert.deepEqual(rrLines(r.answer), ['www.example.com. 300 IN A 192.0.2.10']);
    const nx = await dig(srv, ['nope.example.com', 'A', mode]);
    assert.equal(nx.status, 'NXDOMAIN');
  }
  // And it logged no crash: no handler exception, nothing at error level or above, nothing on stderr.
  const g = srv.geodns;
  if (g) {
    const bad = g.logs().filter((l) => l.level >= 50 || /threw|uncaught|unhandled/i.test(l.msg));
    assert.deepEqual(bad.slice(0, 5), [], 'no error-level log lines');
    assert.deepEqual(g.proc.stderr.filter((l) => l.trim() !== '').slice(0, 5), [], 'nothing on stderr');
  }
});
