#!/usr/bin/env node
// geodns UDP transports side by side: node:dgram (default) against udpBatch
// (recvmmsg/sendmmsg through koffi), with PowerDNS (bind backend, packet cache)
// in the same run. Servers pinned to CPU 0, dnsperf to CPU 1; the three take
// turns run after run so outside load hits them alike. Static case
// (www.example.com A), fixed-length runs, median QPS, ratios to PowerDNS.
//   BENCH_DURATION seconds per run [8]   BENCH_RUNS runs per server [3]
//   BENCH_CLIENTS dnsperf -c [8]         BENCH_OUTSTANDING dnsperf -q [256]
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ZONES = join(ROOT, 'packages', 'geodns', 'zones');
const OUT = join(ROOT, '.bench', 'dns-udp-batch');
const env = (k, d) => (process.env[k] ? Number(process.env[k]) : d);
const CFG = { duration: env('BENCH_DURATION', 8), runs: env('BENCH_RUNS', 3), clients: env('BENCH_CLIENTS', 8), outstanding: env('BENCH_OUTSTANDING', 256) };
const PIN = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const pinned = (cpu, cmd, args) => (PIN ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]);

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

function answers(port) {
  return new Promise((res) => {
    const sock = createSocket('udp4');
    // id 7, one question: example.com SOA
    const q = Buffer.from('000700000001000000000000076578616d706c6503636f6d0000060001', 'hex');
    const t = setTimeout(() => { sock.close(); res(false); }, 300);
    sock.on('message', () => { clearTimeout(t); sock.close(); res(true); });
    sock.send(q, port, '127.0.0.1');
  });
}

function command(kind, port) {
  const tmp = join(OUT, kind);
  mkdirSync(tmp, { recursive: true });
  if (kind !== 'pdns') {
    const cfg = join(tmp, 'geodns.yaml');
    writeFileSync(cfg, `udpBatch: ${kind === 'geodns-batch'}\n`);
    return pinned(0, process.execPath, [join(ROOT, 'packages', 'geodns', 'dist', 'main.js'), '--config', cfg, '--listen', `127.0.0.1:${port}`, '--zones', ZONES, '--log-level', 'warn']);
  }
  const conf = join(tmp, 'named.conf');
  const zones = readdirSync(ZONES).filter((f) => f.endsWith('.zone'));
  writeFileSync(conf, zones.map((f) => `zone "${f.slice(0, -5)}" { type master; file "${join(ZONES, f)}"; };`).join('\n') + '\n');
  return pinned(0, '/usr/sbin/pdns_server', [
    '--no-config', '--daemon=no', '--guardian=no', `--socket-dir=${tmp}`, `--config-dir=${tmp}`,
    '--local-address=127.0.0.1', `--local-port=${port}`, '--launch=bind', `--bind-config=${conf}`,
    '--disable-syslog', '--loglevel=3', '--security-poll-suffix=', '--webserver=no', '--api=no',
    '--cache-ttl=60', '--query-cache-ttl=60',
  ]);
}

async function start(kind) {
  const port = await freePort();
  const [cmd, args] = command(kind, port);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const deadline = Date.now() + 20_000;
  while (!(await answers(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${kind} did not start:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    port,
    stderr: () => stderr,
    stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); setTimeout(() => child.kill('SIGKILL'), 5000).unref(); }),
  };
}

function run(port) {
  const [cmd, args] = pinned(1, 'dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', join(OUT, 'static.txt'), '-l', String(CFG.duration), '-c', String(CFG.clients), '-q', String(CFG.outstanding)]);
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`dnsperf failed (${r.status}): ${r.stderr}`);
  const codes = /Response codes:\s+(.*)/.exec(r.stdout)?.[1] ?? '';
  if (!codes.startsWith('NOERROR') || codes.includes(',')) console.warn(`  warning: expected only NOERROR, got ${codes}`);
  return Number(/Queries per second:\s+([\d.]+)/.exec(r.stdout)?.[1]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'static.txt'), 'www.example.com A\n');
  const kinds = ['geodns-dgram', 'geodns-batch', 'pdns'];
  const servers = {};
  for (const k of kinds) servers[k] = await start(k);
  const qps = Object.fromEntries(kinds.map((k) => [k, []]));
  try {
    for (let i = 0; i < CFG.runs; i++) {
      for (const k of kinds) {
        qps[k].push(run(servers[k].port));
        console.log(`run ${i + 1} ${k}: ${qps[k].at(-1).toFixed(0)} QPS`);
      }
    }
  } finally {
    if (servers['geodns-batch'].stderr().includes('using node:dgram')) console.warn('  warning: geodns-batch fell back to node:dgram');
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
  const pd = median(qps.pdns);
  console.log(`\n${PIN ? 'servers on CPU 0, dnsperf on CPU 1' : 'not pinned'}; ${CFG.runs} × ${CFG.duration}s, -c ${CFG.clients} -q ${CFG.outstanding}; median QPS`);
  for (const k of kinds) console.log(`${k.padEnd(14)} ${median(qps[k]).toFixed(0).padStart(8)}  ×${(median(qps[k]) / pd).toFixed(2)} of pdns`);
}

main().catch((err) => { console.error(err); process.exit(1); });
