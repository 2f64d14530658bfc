#!/usr/bin/env node
// In-process cold LUA queries: the geodns query path (chain.ts's handler, the
// real LUA stage with its fast path and VM, the embedded GeoLite2 City) fed
// wire-format queries, each with an ECS option for a /24 not asked before (a
// fresh chain per run: empty caches), as bench:dns-lua's closest-cold and
// octo-cold cases but without sockets or dnsperf, so a change to the cold path
// can be compared A/B on a loaded machine: run it against two checkouts in the
// same shell, alternating (BENCH_ROOTS=/path/a,/path/b), and compare medians.
//
// Environment (defaults in brackets):
//   BENCH_QUERIES cold queries per run [100000]  BENCH_RUNS runs per case and tree [5]
//   BENCH_ROOTS comma list of repository roots [this one]
//   BENCH_CASES closest,octo [both]; closest-warm, octo-warm: 20,000 /24s cycled
//     instead, after three passes over them (bench:dns-lua's warm cases)
// Prints CPU µs per query (median of the runs) and the queries per second of one
// core at that cost, per tree.
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ZONE, zoneText, subnets } from './lib/lua-zone.mjs';

const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = (k, d) => (process.env[k] === undefined || process.env[k] === '' ? d : process.env[k]);
const QUERIES = Number(env('BENCH_QUERIES', 100_000));
const RUNS = Number(env('BENCH_RUNS', 5));
const ROOTS = env('BENCH_ROOTS', HERE).split(',');
const CASES = env('BENCH_CASES', 'closest,octo').split(',');
function encodeName(name) {
  return Buffer.concat([...name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
}

function ecsQuery(name, [a, b, c], id) {
  const header = Buffer.from([id >> 8, id & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
  const question = Buffer.concat([encodeName(name), Buffer.from([0, 1, 0, 1])]);
  const ecs = Buffer.from([0, 8, 0, 7, 0, 1, 24, 0, a, b, c]);
  return Buffer.concat([header, question, Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, ecs.length]), ecs]);
}

async function loadTree(root) {
  const dist = (p) => pathToFileURL(resolve(root, 'packages/geodns/dist', p)).href;
  const { loadConfig } = await import(dist('config.js'));
  const { createDynamic } = await import(dist('dynamic.js'));
  const { buildChain } = await import(dist('chain.js'));
  const { createMetrics } = await import(dist('metrics.js'));
  const { buildZoneSet } = await import(dist('zones/zone-set.js'));
  const { loadZoneText } = await import(dist('zones/file-source.js'));
  const { createLogger } = await import(pathToFileURL(resolve(root, 'packages/shared/dist/index.js')).href);
  const log = createLogger({ name: 'bench', level: 'silent' });
  const dir = join(tmpdir(), `lua-cold-micro-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const cfg = loadConfig(undefined, { zones: dir, listen: ['127.0.0.1:0'] }, {});
  const zr = loadZoneText(join(dir, `${ZONE}.zone`), zoneText(), true);
  if (zr.kind !== 'ok') throw new Error(`zone: ${JSON.stringify(zr).slice(0, 400)}`);
  const zs = buildZoneSet([zr.zone]);
  // A fresh process's state each run: GeoIP reader (and its record cache), fast path, chain.
  const fresh = async () => {
    const metrics = createMetrics();
    const dynamic = await createDynamic(cfg, log, metrics.registry, () => zs);
    for (const s of dynamic.services) await s.start();
    const handle = buildChain({
      lua: dynamic.chainLua, snapshot: () => zs, log, metrics, logQueries: false,
      ednsPayload: cfg.edns.payload, chainLimit: cfg.cnameChainLimit, answerCacheEntries: cfg.answerCache.entries,
    });
    const close = async () => { for (const s of [...dynamic.services].reverse()) await s.close(); };
    return { handle, close, counts: metrics.answerCache };
  };
  return { root, fresh };
}

const PEER = { transport: 'udp', address: '127.0.0.1', port: 5353, localAddress: '127.0.0.1', ip: new Uint8Array([127, 0, 0, 1]), ipAt: 0, ipLen: 4 };

async function run(tree, queries, warm) {
  const { handle, close, counts } = await tree.fresh();
  // Three rounds: the steady state bench:dns-lua's warm cases measure (its runs cycle the
  // subnets dozens of times; the per-address map turns on within two rounds, dynamic-cache.ts).
  if (warm) for (let round = 0; round < 3; round++) for (const q of warm) handle(q, PEER);
  const hits0 = counts.luaHit, misses0 = counts.luaMiss;
  let bad = 0;
  // CPU time of this process (all threads: GC helpers count, idle VM workers cost
  // nothing): unlike wall time it does not grow when other processes take the CPU.
  const c0 = process.cpuUsage();
  for (const q of queries) {
    const r = handle(q, PEER);
    if (r === null || (r[3] & 15) !== 0 || r[7] === 0) bad++;
  }
  const c = process.cpuUsage(c0);
  const us = (c.user + c.system) / queries.length;
  await close();
  if (bad) throw new Error(`${tree.root}: ${bad} queries without a NOERROR answer`);
  tree.hitRate = (counts.luaHit - hits0) / (counts.luaHit - hits0 + counts.luaMiss - misses0);
  return us;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const trees = [];
for (const r of ROOTS) trees.push(await loadTree(r));
// One set of /24s per run (different seeds), the same for every tree.
const nets = Array.from({ length: RUNS + 1 }, (_, i) => subnets(QUERIES, 1000 + i));
console.log(`lua-cold-micro: ${QUERIES} cold queries per run, ${RUNS} runs (+1 warm-up), trees: ${ROOTS.join(' | ')}`);
for (const c of CASES) {
  const name = `${c.startsWith('closest') ? 'closest' : 'octo'}.${ZONE}`;
  const warm = c.endsWith('-warm');
  const cycled = warm ? nets[0].slice(0, 20_000).map((s, i) => ecsQuery(name, s, i & 0xffff)) : undefined;
  const inputs = warm ? nets.map(() => Array.from({ length: QUERIES }, (_, i) => cycled[i % cycled.length])) : nets.map((set) => set.map((s, i) => ecsQuery(name, s, i & 0xffff)));
  const us = trees.map(() => []);
  for (let i = 0; i <= RUNS; i++) {
    // Alternate the trees within each run so load swings hit both alike.
    for (const [k, t] of trees.entries()) { const v = await run(t, inputs[i], cycled); if (i > 0) us[k].push(v); }
  }
  const m = us.map(median);
  trees.forEach((t, k) => console.log(`  ${c.padEnd(8)} ${t.root.padEnd(28)} ${m[k].toFixed(2)} µs/query (${Math.round(1e6 / m[k])} q/s)  runs ${us[k].map((x) => x.toFixed(2)).join(' ')}  LUA cache hits ${(100 * t.hitRate).toFixed(0)}%`));
  if (trees.length > 1) console.log(`  ${c.padEnd(8)} ratio ${trees.slice(1).map((t, k) => `${t.root}: ${(m[0] / m[k + 1]).toFixed(2)}× faster than ${trees[0].root}`).join(', ')}`);
}
process.exit(0);
