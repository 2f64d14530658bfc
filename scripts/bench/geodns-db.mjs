#!/usr/bin/env node
// geodns serving a large zone database: 10,000 zones and 1,000,000 records in
// the PowerDNS schema on a private primary/replica pair (deploy/mariadb files
// and setup-replication.sh), geodns reading the replica as NS2 does. Prints:
//   - cold load: geodns start → first correct answer for the last zone (target < 30 s);
//   - resident memory of that geodns after the load (VmRSS, and the peak VmHWM; target < 1.5 GB);
//   - commit on the primary → new answer from the replica's geodns (median of
//     several edits to random zones; target < 2 s);
//   - QPS with dnsperf on that data set (random names across all zones; the first two
//     passes over the name file printed apart as the cold figure) against
//     QPS on the small example zone (www.example.com A) in the same run, both
//     geodns pinned to CPU 0 and dnsperf to CPU 1 (taskset), runs alternating,
//     fixed duration, median (target: within 10%);
//   - the peer in the same run: PowerDNS (pdns_server, gmysql backend, packet and
//     query caches on) reading the same replica, with the same query files, pinned alike;
//   - start from the disk cache with the database down (start → first answer).
// Bounded: fixed data size, fixed repetitions and durations; the instances and
// temp files are deleted at the end.
//   node scripts/bench/geodns-db.mjs [--zones 10000] [--per-zone 100]
//   BENCH_DURATION seconds per dnsperf run [3]   BENCH_RUNS rounds [7]   BENCH_EDITS [7]
//   BENCH_NODE_FLAGS node flags for both geodns [geodns's NODE_FLAGS, as deployed; '' for none]
//   BENCH_PERF=DIR  perf profiles of the geodns processes in the last round (big-random, small, big-one), and their --trace-gc lines
// The ratios are medians of per-round ratios: the big and the small runs of one
// round follow each other, so a shift in the shared machine's speed (seen here:
// ±20% within a minute) hits both sides of a ratio alike.
// (build first: npx tsc -b packages/geodns)
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateZones } from './lib/zonedb-data.mjs';
import { openDb, migrate } from '../../packages/zonedb/dist/index.js';
import { startPair, setupReplication, waitFor, freeTcpPort } from '../../packages/zonedb/dist/testing/index.js';
import { NODE_FLAGS } from '../../packages/geodns/dist/node-flags.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(ROOT, 'packages', 'geodns', 'dist', 'main.js');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const env = (k, d) => Number(process.env[k] || d);
const ZONES = arg('zones', 10_000);
const PER_ZONE = arg('per-zone', 100); // SOA + NS + MX + (PER_ZONE - 3) A records
const HOSTS = PER_ZONE - 3;
const DURATION = env('BENCH_DURATION', 3);
const RUNS = env('BENCH_RUNS', 7);
const EDITS = env('BENCH_EDITS', 7);
// geodns's own flags as deployed (or BENCH_NODE_FLAGS), plus what BENCH_PERF needs.
const GEODNS_NODE_FLAGS = [
  ...(process.env.BENCH_NODE_FLAGS ?? NODE_FLAGS.join(' ')).split(' ').filter(Boolean),
  ...(process.env.BENCH_PERF ? ['--perf-basic-prof-only-functions', '--trace-gc'] : []),
];
const PIN = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const t = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pinned = (cpu, cmd, args) => (PIN ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]);
const hostAddr = (zone, h) => `10.${Math.floor(zone / 256) % 256}.${zone % 256}.${h % 256}`;

// ---- one UDP query, answer's first A ------------------------------------------

function encodeName(name) {
  return Buffer.concat([...name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
}
function skipName(b, i) {
  for (;;) {
    const len = b[i];
    if (len === 0) return i + 1;
    if ((len & 0xc0) === 0xc0) return i + 2;
    i += len + 1;
  }
}
/** Resolves to the first A address in the answer, '' for an answer without one, undefined on timeout. */
function queryA(port, name, timeoutMs = 300) {
  return new Promise((res) => {
    const sock = createSocket('udp4');
    const id = Math.floor(Math.random() * 65536);
    const q = Buffer.concat([Buffer.from([id >> 8, id & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), encodeName(name), Buffer.from([0, 1, 0, 1])]);
    const timer = setTimeout(() => { sock.close(); res(undefined); }, timeoutMs);
    sock.on('message', (b) => {
      if (b.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      sock.close();
      let i = skipName(b, 12) + 4;
      for (let n = b.readUInt16BE(6); n > 0; n--) {
        i = skipName(b, i);
        const type = b.readUInt16BE(i);
        const len = b.readUInt16BE(i + 8);
        if (type === 1 && len === 4) return res([...b.subarray(i + 10, i + 14)].join('.'));
        i += 10 + len;
      }
      res('');
    });
    sock.send(q, port, '127.0.0.1');
  });
}

async function untilAnswer(port, name, want, timeoutMs, alive = () => true) {
  const started = t();
  for (;;) {
    const a = await queryA(port, name);
    if (a === want) return t() - started;
    if (!alive()) throw new Error('geodns exited');
    if (t() - started > timeoutMs) throw new Error(`${name} A: ${a} after ${timeoutMs} ms, wanted ${want}`);
    await sleep(20);
  }
}

// ---- geodns processes ----------------------------------------------------------

async function startGeodns(args) {
  const port = await freeTcpPort();
  const [cmd, a] = pinned(0, process.execPath, [...GEODNS_NODE_FLAGS, MAIN, '--listen', `127.0.0.1:${port}`, '--log-level', 'info', ...args]);
  const started = t();
  const child = spawn(cmd, a, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  let rest = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { const p = (rest + d).split('\n'); rest = p.pop(); lines.push(...p); });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const g = {
    port, child, started, lines,
    alive: () => child.exitCode === null && child.signalCode === null,
    status: (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) * 1024,
    waitLog: async (re, ms) => waitFor(`log ${re}`, async () => (lines.some((l) => re.test(l)) ? true : undefined), ms, 100),
    stop: () => new Promise((r) => {
      if (!g.alive()) return r();
      child.once('exit', r);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }),
    tail: () => `${lines.slice(-10).join('\n')}\n${stderr}`,
  };
  return g;
}

async function startPdns(mysqlPort) {
  const port = await freeTcpPort();
  const dir = mkdtempSync(join(tmp, 'pdns-'));
  const [cmd, a] = pinned(0, '/usr/sbin/pdns_server', [
    '--no-config', '--daemon=no', '--guardian=no', `--socket-dir=${dir}`, `--config-dir=${dir}`,
    '--local-address=127.0.0.1', `--local-port=${port}`, '--launch=gmysql', '--gmysql-host=127.0.0.1',
    `--gmysql-port=${mysqlPort}`, '--gmysql-user=root', '--gmysql-password=', '--gmysql-dbname=pdns',
    '--disable-syslog', '--loglevel=3', '--security-poll-suffix=', '--webserver=no', '--api=no',
    '--cache-ttl=60', '--query-cache-ttl=60', '--negquery-cache-ttl=60',
  ]);
  const child = spawn(cmd, a, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const g = {
    port, child,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: () => new Promise((r) => {
      if (!g.alive()) return r();
      child.once('exit', r);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }),
    tail: () => stderr,
  };
  return g;
}

// The perf record of the last dnsperf() call: it can only be reaped once the event loop runs again.
let perfRecording;

/** QPS of one dnsperf run: DURATION seconds, or `passes` times through the file when given. */
function dnsperf(port, file, passes, perfAs) {
  // BENCH_PERF=DIR: a CPU profile of the answering process during the last round (perf record -g).
  const rec = perfAs && process.env.BENCH_PERF
    ? spawn('perf', ['record', '-F', '999', '-g', '-p', String(perfAs.pid), '-o', join(process.env.BENCH_PERF, `${perfAs.name}.data`), '--', 'sleep', String(Math.max(1, DURATION - 1))], { stdio: 'ignore' })
    : undefined;
  const limit = passes ? ['-n', String(passes)] : ['-l', String(DURATION)];
  const [cmd, args] = pinned(1, 'dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', file, ...limit, '-c', '8', '-q', '256']);
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`dnsperf failed (${r.status}): ${r.stderr}${r.stdout.slice(-2000)}`);
  const codes = /Response codes:\s+(.*)/.exec(r.stdout)?.[1] ?? '';
  if (!codes.startsWith('NOERROR') || codes.includes(',')) console.warn(`  warning: expected only NOERROR, got ${codes}`);
  if (rec) perfRecording = new Promise((res) => (rec.exitCode !== null ? res() : rec.once('exit', res)));
  return Number(/Queries per second:\s+([\d.]+)/.exec(r.stdout)?.[1]);
}

// ---- main ---------------------------------------------------------------------

const tmp = mkdtempSync(join(tmpdir(), 'bench-geodns-db-'));
const { primary, replica } = await startPair();
const pools = [];
const servers = [];
const open = async (url) => {
  const r = await openDb(url);
  if (!r.ok) throw r.error;
  pools.push(r.db);
  return r.db;
};
try {
  if (!PIN) console.warn('warning: fewer than 2 CPUs or no taskset: running unpinned');
  const rep = await setupReplication(primary, replica, { password: 'bench-repl' });
  if (rep.code !== 0) throw new Error(rep.stderr);
  const admin = await open(primary.url('mysql'));
  await admin.execute('CREATE DATABASE pdns');
  const p = await open(primary.url('pdns'));
  const m = await migrate(p);
  if (!m.ok) throw new Error(m.message);

  let t0 = t();
  const total = await generateZones(p, ZONES, PER_ZONE);
  const gen = t() - t0;
  const r = await open(replica.url('pdns'));
  await waitFor('the replica to apply every row', async () => {
    const [{ n }] = await r.query('SELECT COUNT(*) AS n FROM records');
    return Number(n) === total ? true : undefined;
  }, 600_000, 500);
  await sleep(2000); // let the replica's UPDATE_TIME age, as on a quiet server

  // Cold load from the replica.
  const cache = join(tmp, 'ns2-cache.jsonl');
  const ns2 = await startGeodns(['--db', replica.url('pdns'), '--db-cache', cache]);
  servers.push(ns2);
  await untilAnswer(ns2.port, `h${HOSTS}.zone${ZONES}.example`, hostAddr(ZONES, HOSTS), 300_000, ns2.alive).catch((e) => { throw new Error(`${e.message}\n${ns2.tail()}`); });
  const cold = t() - ns2.started;
  const rssLoaded = ns2.status('VmRSS');
  await ns2.waitLog(/"msg":"zone cache written"/, 120_000);
  await sleep(1000);
  const rssSettled = ns2.status('VmRSS');
  const peak = ns2.status('VmHWM');
  const cacheBytes = statSync(cache).size;

  // Commit on the primary → answer from the replica's geodns.
  const lat = [];
  for (let i = 0; i < EDITS; i++) {
    const zone = 1 + Math.floor(Math.random() * ZONES);
    const want = `192.0.2.${i + 1}`;
    await sleep(300 + Math.random() * 500); // edits land at random points of the poll cycle
    const s = t();
    await p.execute('UPDATE records SET content = ? WHERE domain_id = ? AND name = ?', [want, zone, `h1.zone${zone}.example`]);
    await untilAnswer(ns2.port, `h1.zone${zone}.example`, want, 20_000);
    lat.push(t() - s);
  }

  // QPS: the big data set (random names across all zones) and the small example zone.
  const bigFile = join(tmp, 'big.txt');
  const names = [];
  for (let i = 0; i < 100_000; i++) names.push(`h${2 + Math.floor(Math.random() * (HOSTS - 1))}.zone${1 + Math.floor(Math.random() * ZONES)}.example A`);
  writeFileSync(bigFile, `${names.join('\n')}\n`);
  // The same one name over and over on the data set: separates the data set's size from the query mix.
  const oneFile = join(tmp, 'one.txt');
  writeFileSync(oneFile, `h1.zone${ZONES}.example A\n`);
  const smallFile = join(tmp, 'small.txt');
  writeFileSync(smallFile, 'www.example.com A\n');
  const small = await startGeodns([]);
  servers.push(small);
  await untilAnswer(small.port, 'www.example.com', '192.0.2.10', 20_000, small.alive);
  const qBig = [];
  const qOne = [];
  const qSmall = [];
  const pBig = [];
  const pOne = [];
  const pdns = await startPdns(replica.port);
  servers.push(pdns);
  await untilAnswer(pdns.port, `h${HOSTS}.zone${ZONES}.example`, hostAddr(ZONES, HOSTS), 20_000, pdns.alive).catch((e) => { throw new Error(`PowerDNS: ${e.message}\n${pdns.tail()}`); });
  // Cold: the first passes over the 100k names, each name asked for the first
  // times (geodns compiles an answer on its second ask; PowerDNS fills its
  // packet cache). Printed apart; the timed runs after it are the steady state.
  const coldBig = dnsperf(ns2.port, bigFile, 2);
  const coldPdns = dnsperf(pdns.port, bigFile, 2);
  for (let i = 0; i < RUNS; i++) {
    const last = i === RUNS - 1;
    qBig.push(dnsperf(ns2.port, bigFile, undefined, last && { pid: ns2.child.pid, name: 'big-random' }));
    await perfRecording;
    qSmall.push(dnsperf(small.port, smallFile, undefined, last && { pid: small.child.pid, name: 'small' }));
    await perfRecording;
    qOne.push(dnsperf(ns2.port, oneFile, undefined, last && { pid: ns2.child.pid, name: 'big-one' }));
    await perfRecording;
    pBig.push(dnsperf(pdns.port, bigFile));
    pOne.push(dnsperf(pdns.port, oneFile));
  }
  await pdns.stop();

  // Start from the disk cache with the database down.
  if (process.env.BENCH_PERF) {
    writeFileSync(join(process.env.BENCH_PERF, 'gc-big.log'), ns2.lines.filter((l) => !l.startsWith('{')).join('\n'));
    writeFileSync(join(process.env.BENCH_PERF, 'gc-small.log'), small.lines.filter((l) => !l.startsWith('{')).join('\n'));
  }
  await ns2.stop();
  await replica.stop();
  const fromCache = await startGeodns(['--db', replica.url('pdns'), '--db-cache', cache]);
  servers.push(fromCache);
  await untilAnswer(fromCache.port, `h${HOSTS}.zone${ZONES}.example`, hostAddr(ZONES, HOSTS), 300_000, fromCache.alive).catch((e) => { throw new Error(`${e.message}\n${fromCache.tail()}`); });
  const cacheStart = t() - fromCache.started;
  const cacheRss = fromCache.status('VmRSS');

  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const mib = (b) => `${Math.round(b / 2 ** 20)} MiB`;
  console.log(`geodns-db: ${ZONES} zones, ${total} records in MariaDB ${(await p.query('SELECT VERSION() AS v'))[0].v} (primary → replica), geodns on the replica`);
  console.log(`  generate on primary + replicate     ${s(gen)} + wait`);
  console.log(`  cold load (start → last zone answers) ${s(cold)}  (target < 30 s)`);
  console.log(`  RSS after load / settled / peak       ${mib(rssLoaded)} / ${mib(rssSettled)} / ${mib(peak)}  (target < 1536 MiB)`);
  console.log(`  commit on primary → replica answers   ${Math.round(median(lat))} ms median of ${lat.length} (min ${Math.round(Math.min(...lat))}, max ${Math.round(Math.max(...lat))}; target < 2000)`);
  console.log(`  QPS, data set, random names, cold     ${Math.round(coldBig)} (first 2 passes over the 100,000 names; PowerDNS ${Math.round(coldPdns)})`);
  console.log(`  QPS, data set, random names          ${qBig.map(Math.round).join(' / ')} → median ${Math.round(median(qBig))}`);
  console.log(`  QPS, data set, one name repeated       ${qOne.map(Math.round).join(' / ')} → median ${Math.round(median(qOne))}`);
  console.log(`  QPS, small example zone (www A)        ${qSmall.map(Math.round).join(' / ')} → median ${Math.round(median(qSmall))}`);
  const paired = (a, b) => median(a.map((x, i) => x / b[i]));
  const spread = (a, b) => a.map((x, i) => (x / b[i]).toFixed(2)).sort().join(' ');
  console.log(`  ratio data set / small zone            ${paired(qBig, qSmall).toFixed(2)} random names, ${paired(qOne, qSmall).toFixed(2)} one name  (target ≥ 0.90; median of ${RUNS} rounds × ${DURATION} s, runs alternating${PIN ? ', pinned' : ', unpinned'})`);
  console.log(`    per round: random ${spread(qBig, qSmall)}; one name ${spread(qOne, qSmall)}; ratio of the medians ${(median(qBig) / median(qSmall)).toFixed(2)} / ${(median(qOne) / median(qSmall)).toFixed(2)}`);
  console.log(`  PowerDNS 4.7 gmysql, same replica: random names ${pBig.map(Math.round).join(' / ')} → median ${Math.round(median(pBig))}; one name ${pOne.map(Math.round).join(' / ')} → median ${Math.round(median(pOne))}`);
  console.log(`  ratio geodns / PowerDNS                ${paired(qBig, pBig).toFixed(2)} random names, ${paired(qOne, pOne).toFixed(2)} one name (median of per-round ratios)`);
  console.log(`  disk cache                             ${mib(cacheBytes)}; start from it with the DB down: ${s(cacheStart)}, RSS ${mib(cacheRss)}`);
} finally {
  for (const g of servers) await g.stop();
  for (const x of pools) await x.close().catch(() => {});
  await Promise.all([primary.clean(), replica.clean()]);
  rmSync(tmp, { recursive: true, force: true });
}
