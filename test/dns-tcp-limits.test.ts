// TCP on the public internet (issue 17), as an attacker would try it:
//   - a client that pipelines 20,000 queries for a 61 KB RRset and never reads
//     must not grow geodns (answers wait in a small bound, reading stops) nor
//     stall UDP;
//   - 1,100 slowloris connections from one address must not lock out another
//     client (per-address cap, whole-query deadline, oldest idle evicted).
// Runs geodns with its default TCP limits (only metrics on).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildQuery, copyZones, frame, parseMessage, scrape, startGeodns, sum, tcpExchange, TcpClient, udpExchange, TARGET,
  type Geodns,
} from './helpers/index.js';

const skip = TARGET === 'pdns' && 'geodns limits';
let srv: Geodns;
let zones: ReturnType<typeof copyZones>;

// 232 distinct 250-octet TXT strings: an RRset of about 61 KB on the wire.
function floodZone(): string {
  const lines = ['$TTL 300', '@ IN SOA ns1 hostmaster 1 3600 600 86400 300', '@ IN NS ns1', 'ns1 IN A 192.0.2.53'];
  for (let i = 0; i < 232; i++) lines.push(`big IN TXT "${String(i).padStart(4, '0')}${'x'.repeat(246)}"`);
  return lines.join('\n') + '\n';
}

before(async () => {
  if (skip) return;
  zones = copyZones();
  writeFileSync(join(zones.dir, 'flood.test.zone'), floodZone());
  srv = await startGeodns({ zonesDir: zones.dir, metrics: true });
});
after(async () => {
  await srv?.stop();
  zones?.remove();
});

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

/** Round-trip times of one UDP query every `everyMs` until `stop()` says so; a lost answer counts as Infinity. */
function probeUdp(everyMs: number): { stop(): Promise<number[]> } {
  const times: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      const r = await udpExchange(srv, buildQuery({ name: 'www.example.com' }), 3000);
      times.push(r ? performance.now() - t0 : Infinity);
      await new Promise((res) => setTimeout(res, everyMs));
    }
  })();
  return { async stop() { running = false; await loop; return times; } };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

test('a client pipelining 20,000 queries for a 61 KB RRset without reading: RSS bounded, UDP answered', { skip }, async (t) => {
  const q = buildQuery({ name: 'big.flood.test', type: 'TXT' });
  const one = await tcpExchange(srv, q, 5000);
  assert.ok(one && one.length > 60_000, `the RRset is ${one?.length} octets`);
  await new Promise((r) => setTimeout(r, 500));
  const rss0 = rssMiB(srv.pid);
  const probe = probeUdp(50);
  const sock: Socket = connect({ host: srv.host, port: srv.port });
  sock.on('error', () => undefined);
  sock.pause(); // never read: the answers pile up on the server's side
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  sock.write(Buffer.concat(Array.from({ length: 20_000 }, () => frame(q))));
  let peak = rss0;
  const started = Date.now();
  while (Date.now() - started < 6000) {
    peak = Math.max(peak, rssMiB(srv.pid));
    await new Promise((r) => setTimeout(r, 100));
  }
  const times = await probe.stop();
  sock.destroy();
  await closed;
  const grew = peak - rss0;
  const median = quantile(times, 0.5);
  const p90 = quantile(times, 0.9);
  const m = await scrape(srv.metricsUrl!);
  const paused = sum(m, 'geodns_tcp_read_paused_total');
  t.diagnostic(`RSS ${rss0.toFixed(0)} → peak ${peak.toFixed(0)} MiB; UDP median ${median.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms over ${times.length} probes; paused ${paused}`);
  assert.ok(grew < 64, `RSS grew by ${grew.toFixed(1)} MiB (from ${rss0.toFixed(0)}), limit 64`);
  // 50 ms is the target; the median is what a loaded shared 2-core machine can promise,
  // and nothing may wait the seconds the unbounded writes used to stall the loop.
  assert.ok(median < 50, `UDP median ${median.toFixed(1)} ms over ${times.length} probes`);
  assert.ok(p90 < 250 && Math.max(...times) < 1500, `UDP p90 ${p90.toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`);
  assert.ok(paused >= 1, `geodns_tcp_read_paused_total = ${paused}`);
});

test('a paused connection resumes when the client reads: every pipelined answer arrives, in order', { skip }, async () => {
  const c = await TcpClient.connect(srv);
  c.socket.pause();
  const n = 300;
  c.send(...Array.from({ length: n }, (_, i) => buildQuery({ id: i, name: 'big.flood.test', type: 'TXT' })));
  await new Promise((r) => setTimeout(r, 1000));
  c.socket.resume();
  const got = await c.waitFor(n, 20_000);
  assert.equal(got.length, n, 'all answers');
  got.forEach((m, i) => assert.equal(m.readUInt16BE(0), i, 'in order'));
  c.close();
});

/** One slowloris connection from `from`: sends one byte of a query every `everyMs`, reconnects when closed. */
function slowloris(from: string, everyMs: number, stopped: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const go = (): void => {
      if (stopped()) return resolve();
      const s = connect({ host: srv.host, port: srv.port, localAddress: from });
      const bytes = frame(buildQuery({ name: 'www.example.com' }));
      let i = 0;
      const t = setInterval(() => { if (i < bytes.length - 1) s.write(bytes.subarray(i, ++i)); }, everyMs);
      s.on('error', () => undefined);
      // Reconnects after a pause like its byte cadence: a tighter loop only loads the shared machine.
      s.once('close', () => { clearInterval(t); setTimeout(go, everyMs); });
      s.once('connect', () => s.write(bytes.subarray(0, ++i)));
      const check = setInterval(() => { if (stopped()) { clearInterval(check); s.destroy(); } }, 200);
      s.once('close', () => clearInterval(check));
    };
    go();
  });
}

/** Fresh TCP queries from `from` every 250 ms for `ms`; each round trip (Infinity = not answered). */
async function freshQueries(from: string, ms: number): Promise<number[]> {
  const times: number[] = [];
  const started = Date.now();
  while (Date.now() - started < ms) {
    const t0 = performance.now();
    let reply: Buffer | undefined;
    try {
      reply = await tcpExchange(srv, buildQuery({ id: times.length, name: 'www.example.com' }), 2000, from);
    } catch { /* refused or timed out: counts as not answered */ }
    const dt = performance.now() - t0;
    times.push(reply && parseMessage(reply).rcode === 0 ? dt : Infinity);
    await new Promise((r) => setTimeout(r, 250));
  }
  return times;
}

const show = (times: number[]): string => times.map((t) => (Number.isFinite(t) ? t.toFixed(0) : 'lost')).join(' ');

async function underSlowloris(sources: string[], perSource: number, from: string): Promise<number[]> {
  let stop = false;
  const attackers = sources.flatMap((a) => Array.from({ length: perSource }, () => slowloris(a, 3000, () => stop)));
  await new Promise((r) => setTimeout(r, 2000)); // let them all connect
  try {
    return await freshQueries(from, 12_000);
  } finally {
    stop = true;
    await Promise.all(attackers);
  }
}

test('1,100 slowloris connections from one address: another address is answered within 2 s throughout', { skip, timeout: 120_000 }, async (t) => {
  const times = await underSlowloris(['127.0.0.2'], 1100, '127.0.0.3');
  const m = await scrape(srv.metricsUrl!);
  const refused = sum(m, 'geodns_tcp_refused_total', { reason: 'per_client' });
  t.diagnostic(`fresh queries: ${times.length}, slowest ${Math.max(...times).toFixed(0)} ms; refused per_client ${refused}; closed ${JSON.stringify(Object.fromEntries([...m].filter(([k]) => k.startsWith('geodns_tcp_closed_total'))))}`);
  assert.ok(times.every((x) => x < 2000), `every fresh query answered within 2 s: ${show(times)}`);
  assert.ok(refused >= 1000, `geodns_tcp_refused_total{reason="per_client"} = ${refused}`);
});

test('1,100 slowloris connections from 100 addresses fill the table: a newcomer still gets in (oldest stuck connection evicted)', { skip, timeout: 120_000 }, async (t) => {
  const before = sum(await scrape(srv.metricsUrl!), 'geodns_tcp_closed_total', { reason: 'evicted' });
  const sources = Array.from({ length: 100 }, (_, i) => `127.0.1.${i + 1}`); // 11 each: under the per-client cap
  const times = await underSlowloris(sources, 11, '127.0.0.4');
  const evicted = sum(await scrape(srv.metricsUrl!), 'geodns_tcp_closed_total', { reason: 'evicted' }) - before;
  t.diagnostic(`fresh queries: ${times.length}, slowest ${Math.max(...times).toFixed(0)} ms; evicted ${evicted}`);
  assert.ok(times.every((x) => x < 2000), `every fresh query answered within 2 s: ${show(times)}`);
  assert.ok(evicted >= 1, `geodns_tcp_closed_total{reason="evicted"} grew by ${evicted}`);
});

test('with --workers 2 each worker keeps its own table: a client gets between 1× and 2× the per-client cap', { skip, timeout: 60_000 }, async (t) => {
  const cfg = join(zones.dir, '..', `workers-${process.pid}.yaml`);
  writeFileSync(cfg, 'tcp:\n  maxConnectionsPerClient: 4\n');
  const g = await startGeodns({ zonesDir: zones.dir, args: ['--workers', '2', '--config', cfg], readyTimeoutMs: 45_000 });
  try {
    const deadline = Date.now() + 20_000; // both workers up
    while (new Set(g.logs().filter((l) => /ready/.test(l.msg)).map((l) => l.pid)).size < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const socks = await Promise.all(Array.from({ length: 20 }, () => TcpClient.connect(g, 3000, '127.0.0.6')));
    await new Promise((r) => setTimeout(r, 1500));
    const open = socks.filter((c) => c.isOpen).length;
    t.diagnostic(`${open} of 20 connections from one address stay open with 2 workers and a cap of 4`);
    assert.ok(open >= 4 && open <= 8, `${open} open`);
    for (const c of socks) c.close();
  } finally {
    await g.stop();
  }
});
