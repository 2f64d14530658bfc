#!/usr/bin/env node
// geodns UDP transports side by side: node:dgram (default) against udpBatch
// (recvmmsg/sendmmsg through @geoedge/linux), with PowerDNS (bind backend, packet cache)
// in the same run. Servers pinned to CPU 0, dnsperf to CPU 1; the three take
// turns run after run so outside load hits them alike. Static case
// (www.example.com A), fixed-length runs, median QPS, ratios to PowerDNS.
//   BENCH_DURATION seconds per run [8]   BENCH_RUNS runs per server [3]
//   BENCH_CLIENTS dnsperf -c [8]         BENCH_OUTSTANDING dnsperf -q [256]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PIN, pinned, median, freePort, pdnsArgs, startAnswering } from './lib/dns-bench.mjs';
import { NODE_FLAGS } from '../../packages/geodns/dist/node-flags.js'; // geodns runs as deployed (see node-flags.ts)

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ZONES = join(ROOT, 'packages', 'geodns', 'zones');
const OUT = join(ROOT, '.bench', 'dns-udp-batch');
const env = (k, d) => (process.env[k] ? Number(process.env[k]) : d);
const CFG = { duration: env('BENCH_DURATION', 8), runs: env('BENCH_RUNS', 3), clients: env('BENCH_CLIENTS', 8), outstanding: env('BENCH_OUTSTANDING', 256) };

function command(kind, port) {
  const tmp = join(OUT, kind);
  mkdirSync(tmp, { recursive: true });
  if (kind !== 'pdns') {
    const cfg = join(tmp, 'geodns.yaml');
    writeFileSync(cfg, `udpBatch: ${kind === 'geodns-batch'}\n`);
    return pinned(0, process.execPath, [...NODE_FLAGS, join(ROOT, 'packages', 'geodns', 'dist', 'main.js'), '--config', cfg, '--listen', `127.0.0.1:${port}`, '--zones', ZONES, '--log-level', 'warn']);
  }
  const conf = join(tmp, 'named.conf');
  const zones = readdirSync(ZONES).filter((f) => f.endsWith('.zone'));
  writeFileSync(conf, zones.map((f) => `zone "${f.slice(0, -5)}" { type master; file "${join(ZONES, f)}"; };`).join('\n') + '\n');
  return pinned(0, '/usr/sbin/pdns_server', pdnsArgs({ tmp, port, launch: 'bind', extra: [`--bind-config=${conf}`, '--cache-ttl=60', '--query-cache-ttl=60'] }));
}

async function start(kind) {
  const port = await freePort();
  return startAnswering(kind, command(kind, port), port, 'example.com');
}

function run(port) {
  const [cmd, args] = pinned(1, 'dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', join(OUT, 'static.txt'), '-l', String(CFG.duration), '-c', String(CFG.clients), '-q', String(CFG.outstanding)]);
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`dnsperf failed (${r.status}): ${r.stderr}`);
  const codes = /Response codes:\s+(.*)/.exec(r.stdout)?.[1] ?? '';
  if (!codes.startsWith('NOERROR') || codes.includes(',')) console.warn(`  warning: expected only NOERROR, got ${codes}`);
  return Number(/Queries per second:\s+([\d.]+)/.exec(r.stdout)?.[1]);
}

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
