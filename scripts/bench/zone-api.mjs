#!/usr/bin/env node
// The zone API: geoctl serve vs pdns_server 4.7 (api=yes, launch=gmysql), same
// private MariaDB server (started for the run, stopped at exit), each on its own throwaway database, same requests in the
// same run. One zone with --records A records; then, for --seconds each, one
// client in a loop:
//   patch  PATCH REPLACE of one A RRset (a transaction, rectify, serial bump)
//   get    GET of the whole zone
//   list   GET of the zone list
//   keys   GET of the zone's cryptokeys (with --dnssec)
// --dnssec creates the zone with "dnssec": true on both (one ECDSA CSK), so every
// PATCH also writes NSEC order names (rectify of a signed zone).
// Prints requests/s and median/p95 latency per program and the ratio
// (geoctl / pdns; > 1 means geoctl is faster for req/s). Bounded: fixed
// duration per phase, loopback only; everything started is stopped and dropped.
//   node scripts/bench/zone-api.mjs [--records 1000] [--seconds 5] [--dnssec]
// (build first: npx tsc -b packages/control)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { migrate } from '../../packages/zonedb/dist/index.js';
import { scratchDatabase, sharedMariaDb } from '../../packages/zonedb/dist/testing/index.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const RECORDS = arg('records', 1000);
const SECONDS = arg('seconds', 5);
const DNSSEC = process.argv.includes('--dnssec');
const KEY = 'bench-key';
const freePort = () => new Promise((res) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

function start(cmd, args, ready) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start`)), 15000);
    const onData = (d) => { if (ready.test(String(d))) { clearTimeout(timer); resolve(child); } };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
}

/** Starts a program that logs nothing at LOG_LEVEL=warn once up: ready when `url` answers. */
async function startPolled(cmd, args, url) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  for (const until = Date.now() + 15000; Date.now() < until && child.exitCode === null;) {
    try { await (await fetch(url)).arrayBuffer(); return child; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  child.kill();
  throw new Error(`${cmd} did not start`);
}

async function call(base, method, path, body) {
  const r = await fetch(base + path, { method, headers: { 'X-API-Key': KEY, Accept: 'application/json', 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  await r.arrayBuffer();
  if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status}`);
}

async function phase(base, make) {
  const lat = [];
  const until = performance.now() + SECONDS * 1000;
  let i = 0;
  while (performance.now() < until) {
    const [m, p, b] = make(i++);
    const t0 = performance.now();
    await call(base, m, p, b);
    lat.push(performance.now() - t0);
  }
  return { rps: lat.length / SECONDS, p50: pct(lat, 0.5), p95: pct(lat, 0.95) };
}

const Z = '/api/v1/servers/localhost/zones';
const phases = {
  patch: (i) => ['PATCH', `${Z}/bench.test.`, { rrsets: [{ name: `h${i % RECORDS}.bench.test.`, type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: `192.0.2.${i % 250}`, disabled: false }] }] }],
  get: () => ['GET', `${Z}/bench.test.`],
  list: () => ['GET', Z],
  ...(DNSSEC ? { keys: () => ['GET', `${Z}/bench.test./cryptokeys`] } : {}),
};

const dbs = await Promise.all([scratchDatabase('bench_pdns'), scratchDatabase('bench_ours')]);
const dir = mkdtempSync(join(tmpdir(), 'zone-api-bench-'));
const procs = [];
try {
  for (const d of dbs) if (!(await migrate(d.db)).ok) throw new Error('migrate failed');
  const [pPort, dnsPort, oPort] = [await freePort(), await freePort(), await freePort()];
  procs.push(await start('/usr/sbin/pdns_server', [
    '--no-config', '--daemon=no', '--guardian=no', `--socket-dir=${dir}`, `--config-dir=${dir}`, '--local-address=127.0.0.1', `--local-port=${dnsPort}`,
    '--launch=gmysql', '--gmysql-host=127.0.0.1', `--gmysql-port=${(await sharedMariaDb()).port}`, '--gmysql-user=root', '--gmysql-password=', `--gmysql-dbname=${dbs[0].name}`, '--gmysql-dnssec=yes',
    '--webserver=yes', '--api=yes', `--api-key=${KEY}`, '--webserver-address=127.0.0.1', `--webserver-port=${pPort}`, '--webserver-allow-from=127.0.0.1',
    '--security-poll-suffix=', '--disable-syslog', '--loglevel=4',
  ], /ready to distribute questions/));
  // geoctl honours LOG_LEVEL=warn (no line per request, as the bench intends), so no "listening" line either.
  procs.push(await startPolled(process.execPath, ['packages/control/dist/main.js', 'serve', '--listen', `127.0.0.1:${oPort}`, '--db', dbs[1].url, '--api-key', KEY], `http://127.0.0.1:${oPort}/metrics`));
  const targets = { pdns: `http://127.0.0.1:${pPort}`, geoctl: `http://127.0.0.1:${oPort}` };
  for (const base of Object.values(targets)) {
    await call(base, 'POST', Z, { name: 'bench.test.', kind: 'Native', nameservers: ['ns1.bench.test.'], ...(DNSSEC ? { dnssec: true } : {}) });
    const rrsets = Array.from({ length: RECORDS }, (_, i) => ({ name: `h${i}.bench.test.`, type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: '192.0.2.1', disabled: false }] }));
    await call(base, 'PATCH', `${Z}/bench.test.`, { rrsets });
  }
  console.log(`zone with ${RECORDS} A RRsets${DNSSEC ? ', signed (NSEC)' : ''}; ${SECONDS} s per phase, one client`);
  for (const [name, make] of Object.entries(phases)) {
    const r = {};
    for (const [who, base] of Object.entries(targets)) r[who] = await phase(base, make);
    const f = (x) => `${x.rps.toFixed(1)} req/s, p50 ${x.p50.toFixed(1)} ms, p95 ${x.p95.toFixed(1)} ms`;
    console.log(`${name.padEnd(5)} pdns: ${f(r.pdns)} | geoctl: ${f(r.geoctl)} | ratio ${(r.geoctl.rps / r.pdns.rps).toFixed(2)}`);
  }
} finally {
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(dbs.map((d) => d.drop()));
  rmSync(dir, { recursive: true, force: true });
}
