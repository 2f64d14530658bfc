#!/usr/bin/env node
// npm run bench:dns — geodns against PowerDNS (pdns_server, bind backend,
// packet cache on), same zone files. Both servers are pinned to CPU 0 and
// dnsperf to CPU 1 (taskset); dnsperf drives one server at a time, the runs
// alternating geodns, PowerDNS, geodns, ... so that load from elsewhere on a
// shared machine hits both alike (the idle one costs nothing). For each case:
// fixed-length throughput runs, repeated, median QPS; then a run at a fixed
// rate with per-query latencies (dnsperf -v) for p50/p99. Prints both servers
// and the ratio geodns/PowerDNS.
//
// Cases: a static A record; the same with a different ECS subnet on every
// query (dnsperf -B binary input, one wire-format query per subnet); NXDOMAIN
// (random names); a wildcard (random names under it).
//
// Environment (defaults in brackets):
//   BENCH_DURATION   seconds per throughput run [10]     BENCH_RUNS  runs per case [3]
//   BENCH_RATE       QPS of the latency run [20000]      BENCH_LAT_DURATION seconds [5]
//   BENCH_CLIENTS    dnsperf -c [8]   BENCH_OUTSTANDING dnsperf -q [256]
//   BENCH_CASES      comma list of static,ecs,nxdomain,wildcard [those four], and
//                    cookie: static with a good DNS Cookie (client + server) in every query
//   BENCH_SERVERS    comma list of geodns,geodns-rrl,pdns [geodns,pdns]; geodns-rrl is geodns with
//                    response rate limiting on (at 1,000,000/s, so no limit is hit: the whole
//                    limiter path runs per query) and a cookie secret; BENCH_RRL=1 adds it
//   BENCH_NAMES      distinct random names for nxdomain/wildcard [2000000]: more
//                    than one run sends, so no answer comes from a packet cache
// Quick check: BENCH_DURATION=2 BENCH_RUNS=1 BENCH_LAT_DURATION=2 npm run bench:dns
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PIN, pinned, median, freePort, ecsQuery, pdnsArgs, startAnswering } from './lib/dns-bench.mjs';
import { NODE_FLAGS } from '../../packages/geodns/dist/node-flags.js'; // geodns runs as deployed (see node-flags.ts)

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ZONES = join(ROOT, 'packages', 'geodns', 'zones');
const OUT = join(ROOT, '.bench', 'dns');
const env = (k, d) => (process.env[k] === undefined || process.env[k] === '' ? d : process.env[k]);
const CFG = {
  duration: Number(env('BENCH_DURATION', 10)),
  runs: Number(env('BENCH_RUNS', 3)),
  rate: Number(env('BENCH_RATE', 20000)),
  latDuration: Number(env('BENCH_LAT_DURATION', 5)),
  clients: Number(env('BENCH_CLIENTS', 8)),
  outstanding: Number(env('BENCH_OUTSTANDING', 256)),
  cases: env('BENCH_CASES', 'static,ecs,nxdomain,wildcard').split(','),
  servers: env('BENCH_SERVERS', env('BENCH_RRL', '') === '1' ? 'geodns,geodns-rrl,pdns' : 'geodns,pdns').split(','),
  names: Number(env('BENCH_NAMES', 2_000_000)),
};

// ---- inputs -------------------------------------------------------------

const CASES = {
  static: { file: 'static.txt', rcode: 'NOERROR', about: 'www.example.com A' },
  ecs: { file: 'ecs.bin', binary: true, rcode: 'NOERROR', about: 'www.example.com A, ECS /24 differing per query (20,000 subnets, cycled)' },
  nxdomain: { file: 'nxdomain.txt', random: 'example.com', rcode: 'NXDOMAIN', about: 'random <label>.example.com A, fresh names every run' },
  wildcard: { file: 'wildcard.txt', random: 'wild.example.com', rcode: 'NOERROR', about: 'random <label>.wild.example.com A, fresh names every run' },
  cookie: { file: 'static.txt', rcode: 'NOERROR', cookie: true, about: 'www.example.com A with a COOKIE option good for geodns-rrl\'s secret (for geodns: a server cookie it renews; PowerDNS 4.7 ignores it)' },
};
// geodns-rrl's cookie secret, and a client + server cookie (RFC 9018) it accepts from 127.0.0.1.
const COOKIE_SECRET = '000102030405060708090a0b0c0d0e0f';
async function goodCookie() {
  const { CookieSigner } = await import('../../packages/geodns/dist/wire/cookie.js');
  const signer = new CookieSigner(Buffer.from(COOKIE_SECRET, 'hex'));
  const client = Buffer.from('0123456789abcdef', 'hex');
  signer.check(client, 0, 8, Buffer.from([127, 0, 0, 1]), 0, 4, Math.floor(Date.now() / 1000));
  return signer.reply.toString('hex');
}

function randomLabel(i) {
  return `r${i.toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
}

function randomNames(file, suffix) {
  // Regenerated before every run: names a previous run sent could be answered from a cache.
  const chunks = [];
  for (let i = 0; i < CFG.names; i += 100_000) {
    const n = Math.min(100_000, CFG.names - i);
    chunks.push(Array.from({ length: n }, (_, j) => `${randomLabel(i + j)}.${suffix} A`).join('\n') + '\n');
  }
  writeFileSync(join(OUT, file), chunks.join(''));
}

function writeInputs() {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'static.txt'), 'www.example.com A\n');
  const qs = [];
  for (let i = 0; i < 20_000; i++) qs.push(ecsQuery('www.example.com', 10 + (i >> 16), (i >> 8) & 0xff, i & 0xff));
  writeFileSync(join(OUT, 'ecs.bin'), Buffer.concat(qs));
}

// ---- servers ------------------------------------------------------------

async function startServer(kind) {
  const port = await freePort();
  let cmd, args;
  const tmp = join(OUT, `${kind}-run`);
  mkdirSync(tmp, { recursive: true });
  if (kind === 'geodns' || kind === 'geodns-rrl') {
    const extra = [];
    if (kind === 'geodns-rrl') {
      const conf = join(tmp, 'geodns.yaml');
      writeFileSync(conf, `rrl: { enabled: true, responsesPerSecond: 1000000 }\ncookies: { secret: ${COOKIE_SECRET} }\n`);
      extra.push('--config', conf);
    }
    [cmd, args] = pinned(0, process.execPath, [...NODE_FLAGS, join(ROOT, 'packages', 'geodns', 'dist', 'main.js'), '--listen', `127.0.0.1:${port}`, '--zones', ZONES, '--log-level', 'warn', ...extra]);
  } else {
    const conf = join(tmp, 'named.conf');
    const zones = readdirSync(ZONES).filter((f) => f.endsWith('.zone'));
    writeFileSync(conf, zones.map((f) => `zone "${f.slice(0, -5)}" { type master; file "${join(ZONES, f)}"; };`).join('\n') + '\n');
    [cmd, args] = pinned(0, '/usr/sbin/pdns_server', pdnsArgs({ tmp, port, launch: 'bind', extra: [
      `--bind-config=${conf}`, '--cache-ttl=60', '--query-cache-ttl=60', '--negquery-cache-ttl=60', '--edns-subnet-processing=yes',
    ] }));
  }
  return startAnswering(kind, [cmd, args], port, 'example.com');
}

// ---- dnsperf --------------------------------------------------------------

function dnsperf(port, c, extra) {
  if (c.random) randomNames(c.file, c.random);
  const base = ['-s', '127.0.0.1', '-p', String(port), '-d', join(OUT, c.file), ...(c.binary ? ['-B'] : []), ...(c.cookie ? ['-E', `10:${c.cookie}`] : []), ...extra];
  const [cmd, args] = pinned(1, 'dnsperf', base);
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`dnsperf failed (${r.status}): ${r.stderr}${r.stdout.slice(-2000)}`);
  return r.stdout;
}

function checkRcodes(out, want, label) {
  const codes = /Response codes:\s+(.*)/.exec(out)?.[1] ?? '';
  if (!codes.startsWith(want) || /,/.test(codes)) console.warn(`  warning: ${label}: expected only ${want}, got ${codes}`);
}

function throughput(port, c, label) {
  const out = dnsperf(port, c, ['-l', String(CFG.duration), '-c', String(CFG.clients), '-q', String(CFG.outstanding)]);
  checkRcodes(out, c.rcode, label);
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1]);
  const lost = /Queries lost:\s+(\d+)/.exec(out)?.[1];
  return { qps, lost: Number(lost) };
}

function latency(port, c, label) {
  const out = dnsperf(port, c, ['-l', String(CFG.latDuration), '-Q', String(CFG.rate), '-c', String(CFG.clients), '-v']);
  checkRcodes(out, c.rcode, label);
  const lat = [];
  for (const m of out.matchAll(/^> \S+ .* ([\d.]+)$/gm)) lat.push(Number(m[1]));
  lat.sort((a, b) => a - b);
  const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] * 1000 : NaN);
  const lost = Number(/Queries lost:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return { p50: pct(0.5), p99: pct(0.99), n: lat.length, lost };
}


// ---- main -----------------------------------------------------------------

async function benchAll() {
  const servers = {};
  const results = {};
  try {
    for (const kind of CFG.servers) servers[kind] = await startServer(kind);
    if (CFG.cases.includes('cookie')) CASES.cookie.cookie = await goodCookie();
    for (const name of CFG.cases) {
      const c = CASES[name];
      const runs = Object.fromEntries(CFG.servers.map((k) => [k, []]));
      for (let i = 0; i < CFG.runs; i++) {
        for (const kind of CFG.servers) runs[kind].push(throughput(servers[kind].port, c, `${kind} ${name}`));
      }
      for (const kind of CFG.servers) {
        const lat = latency(servers[kind].port, c, `${kind} ${name} @${CFG.rate}`);
        const r = { qps: median(runs[kind].map((x) => x.qps)), runs: runs[kind].map((x) => Math.round(x.qps)), lost: runs[kind].reduce((a, x) => a + x.lost, 0), ...lat };
        (results[kind] ??= {})[name] = r;
        console.log(`  ${kind.padEnd(10)} ${name.padEnd(9)} QPS ${r.runs.join(' / ')} → median ${Math.round(r.qps)}; at ${CFG.rate}/s p50 ${lat.p50.toFixed(3)} ms p99 ${lat.p99.toFixed(3)} ms (${lat.n} answers, ${lat.lost} lost)`);
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
  return results;
}

function table(results) {
  const g = results.geodns ?? {};
  const p = results.pdns ?? {};
  const r = results['geodns-rrl'];
  const f = (x, d = 0) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
  const rows = [['case', 'geodns QPS', 'pdns QPS', 'QPS ratio', 'geodns p50/p99 ms', 'pdns p50/p99 ms', 'p99 ratio',
    ...(r ? ['geodns-rrl QPS', 'rrl/geodns', 'rrl/pdns', 'geodns-rrl p50/p99 ms'] : [])]];
  for (const name of CFG.cases) {
    const a = g[name];
    const b = p[name];
    const c = r?.[name];
    rows.push([
      name, f(a?.qps), f(b?.qps), a && b ? f(a.qps / b.qps, 2) : '-',
      a ? `${f(a.p50, 3)} / ${f(a.p99, 3)}` : '-', b ? `${f(b.p50, 3)} / ${f(b.p99, 3)}` : '-', a && b ? f(a.p99 / b.p99, 2) : '-',
      // rrl/geodns: the median of the per-run ratios (runs alternate, so a run and its pair share the machine's load).
      ...(r ? [f(c?.qps), a && c ? f(median(c.runs.map((q, i) => q / a.runs[i])), 3) : '-', b && c ? f(c.qps / b.qps, 2) : '-', c ? `${f(c.p50, 3)} / ${f(c.p99, 3)}` : '-'] : []),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n');
}

async function main() {
  for (const bin of ['dnsperf', '/usr/sbin/pdns_server']) {
    if (spawnSync(bin, ['--version']).error) throw new Error(`${bin} not found: run scripts/setup-test-deps.sh`);
  }
  if (!existsSync(join(ROOT, 'packages', 'geodns', 'dist', 'main.js'))) throw new Error('geodns is not built: run npx tsc -b');
  if (!PIN) console.warn('warning: fewer than 2 CPUs or no taskset: running unpinned, figures are not comparable');
  console.log(`bench:dns ${JSON.stringify(CFG)} pinned=${PIN}`);
  writeInputs();
  const results = await benchAll();
  console.log(`\n${table(results)}\n`);
  for (const name of CFG.cases) console.log(`  ${name}: ${CASES[name].about}`);
  if (results['geodns-rrl']) console.log('  geodns-rrl: RRL on at 1,000,000/s (no limit hit) and a cookie secret; rrl/geodns is the median of per-run ratios');
  console.log(`  QPS: median of ${CFG.runs} × ${CFG.duration} s; latency: ${CFG.latDuration} s at ${CFG.rate} QPS (dnsperf -Q, -v per-query times)`);
  writeFileSync(join(OUT, 'results.json'), JSON.stringify({ when: new Date().toISOString(), config: CFG, pinned: PIN, results }, null, 2));
}

main().catch((err) => {
  console.error(`bench:dns: ${err.message}`);
  process.exit(1);
});
