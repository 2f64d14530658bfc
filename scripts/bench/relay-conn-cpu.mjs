#!/usr/bin/env node
// The relay's CPU time per short connection, for connections routed at once
// (plain), after a PROXY v1 header (proxy), and after a TLS ClientHello preread
// (sni): the relay's user+system time (/proc/PID/stat) over N connections
// divided by N. CPU time per connection is steadier than connections per second
// on a shared machine (it does not count the time the relay waits for the
// load), so an A/B of two builds shows through noise that hides a throughput
// difference. The relay is pinned to CPU 0, the load generator (this process,
// C concurrent clients, each: connect, first bytes, a request, read to close)
// and the backend to CPU 1.
//   node scripts/bench/relay-conn-cpu.mjs
//   RELAY_B=/other/checkout/packages/relay/dist/main.js N=20000 ROUNDS=3 MODES=plain,proxy node scripts/bench/relay-conn-cpu.mjs
import { spawn, execFileSync } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { encodeClientHello } = await import(join(ROOT, 'packages', 'relay', 'dist', 'index.js'));
const BUILDS = { relay: join(ROOT, 'packages', 'relay', 'dist', 'main.js'), ...(process.env.RELAY_B ? { relayB: process.env.RELAY_B } : {}) };
const N = Number(process.env.N ?? 10000);
const C = Number(process.env.C ?? 50);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const MODES = (process.env.MODES ?? 'plain,proxy,sni').split(',');
const LOAD_CPU = cpus().length > 1 ? '1' : '0';
try { execFileSync('taskset', ['-pc', LOAD_CPU, String(process.pid)], { stdio: 'ignore' }); } catch { /* unpinned */ }
const dir = mkdtempSync(join(tmpdir(), 'bench-conn-cpu-'));

const backend = createServer((s) => { s.on('error', () => {}); s.on('data', () => {}); s.end('HTTP/1.0 200 OK\r\n\r\nhi'); });
await new Promise((r) => backend.listen(0, '127.0.0.1', r));
const bport = backend.address().port;
const freePort = () => new Promise((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
/** User + system time of a process in ms (clock ticks of 10 ms). */
const cpuMs = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
const FIRST = {
  plain: () => Buffer.alloc(0),
  proxy: () => Buffer.from('PROXY TCP4 198.51.100.7 127.0.0.1 40000 443\r\n'),
  sni: () => encodeClientHello({ sni: 'bench.example' }),
};
const LISTENER = {
  plain: {},
  proxy: { proxy_protocol: { trusted: ['127.0.0.1/32'] } },
  sni: { preread_timeout: '5s' },
};
const ROUTES = { plain: [{ upstream: 'u' }], proxy: [{ upstream: 'u' }], sni: [{ match: { sni: ['bench.example'] }, upstream: 'u' }] };

async function measure(name, main, mode) {
  const port = await freePort();
  const file = join(dir, `${name}-${mode}.json`);
  writeFileSync(file, JSON.stringify({
    log_level: 'warn', // no access log
    upstreams: { u: { servers: [`127.0.0.1:${bport}`] } },
    listeners: [{ name: 'l', listen: [`127.0.0.1:${port}`], max_connections: 20000, routes: ROUTES[mode], ...LISTENER[mode] }],
  }));
  const p = spawn('taskset', ['-c', '0', process.execPath, main, '--config', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (;;) {
    const up = await new Promise((r) => { const s = connect(port, '127.0.0.1', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const first = FIRST[mode]();
  const one = () => new Promise((res) => {
    const s = connect(port, '127.0.0.1', () => { if (first.length) s.write(first); s.write('GET / HTTP/1.0\r\n\r\n'); });
    s.on('data', () => {});
    s.on('error', () => res());
    s.on('close', () => res());
  });
  for (let i = 0; i < 500; i++) await one(); // warm up
  const c0 = cpuMs(p.pid), t0 = Date.now();
  let started = 0;
  await Promise.all(Array.from({ length: C }, async () => { while (started++ < N) await one(); }));
  const used = cpuMs(p.pid) - c0, wall = Date.now() - t0;
  p.kill('SIGKILL');
  await new Promise((r) => p.on('exit', r));
  return { us: (used * 1000) / N, rate: N / (wall / 1000) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`relay CPU per connection: ${N} connections, ${C} at a time, median of ${ROUNDS}; relay on CPU 0, load on CPU ${LOAD_CPU}`);
console.log(`${'mode'.padEnd(8)}${Object.keys(BUILDS).map((b) => `${b} µs/conn`.padStart(18) + `${b} conn/s`.padStart(16)).join('')}${BUILDS.relayB ? '   relay/relayB µs' : ''}`);
for (const mode of MODES) {
  const got = Object.fromEntries(Object.keys(BUILDS).map((b) => [b, []]));
  // Builds take turns within each round, so a shift in the machine's speed hits both alike.
  for (let r = 0; r < ROUNDS; r++) for (const [b, main] of Object.entries(BUILDS)) got[b].push(await measure(b, main, mode));
  const cols = Object.keys(BUILDS).map((b) => median(got[b].map((x) => x.us)).toFixed(1).padStart(18) + Math.round(median(got[b].map((x) => x.rate))).toString().padStart(16));
  const ratio = BUILDS.relayB ? (median(got.relay.map((x) => x.us)) / median(got.relayB.map((x) => x.us))).toFixed(2).padStart(18) : '';
  console.log(`${mode.padEnd(8)}${cols.join('')}${ratio}`);
}
backend.close();
rmSync(dir, { recursive: true, force: true });
