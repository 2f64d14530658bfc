#!/usr/bin/env node
// Relay benchmark: the same loads through edge-relay, nginx stream and HAProxy in
// one run, each proxy pinned to CPU 0 with one worker, load generators and
// backends on CPU 1. Prints medians and ratios to nginx.
//   node scripts/bench/relay.mjs              (DURATION=3 REPS=3 by default)
//   DURATION=2 REPS=1 PROXIES=relay,nginx LOADS=conn,keepalive,idle node scripts/bench/relay.mjs
// The proxies run side by side and take turns, load by load.
// RELAY_NODE_FLAGS="--perf-basic-prof-only-functions" (say) adds node flags to edge-relay,
// for profiling it with perf record -C 0 while the bench runs.
// RELAY_B=/path/to/other/checkout/packages/relay/dist/main.js adds a second relay build
// ("relayB", with RELAY_B_NODE_FLAGS) to the same run: an A/B of two builds on the same noisy
// machine, e.g. git worktree add /tmp/base HEAD~1 && (cd /tmp/base && npm ci && npx tsc -b).
// Loads: iperf3 bulk TCP (1 and 8 streams); wrk short connections (Connection:
// close, 50 and 500 connections) and keep-alive latency (500 connections);
// dnsperf UDP queries; RSS per idle proxied connection.
// TPROXY=1 (root) adds "relayTproxy": the same relay config with `tproxy: true` listeners, which
// the loads reach through interception (they connect to 198.18.0.1, the RFC 2544 benchmark
// range, on the listener's port; an nft TPROXY rule hands the packets to the listener on
// 127.0.0.1). The whole run then happens in a network namespace the script creates and deletes,
// so the host's rules and routes are never touched. Target: relayTproxy/relay >= 0.95 for
// conn/s and bulk (median of the per-round ratios), e.g. TPROXY=1 PROXIES=relay,relayTproxy LOADS=tcp,conn node scripts/bench/relay.mjs
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TPROXY_DEST = '198.18.0.1';
if (process.env.TPROXY === '1' && !process.env.BENCH_NETNS) process.exit(runInNamespace());
/** Re-runs this script inside a fresh network namespace with the TPROXY rule; returns its exit code. */
function runInNamespace() {
  const ns = `gebench${process.pid}`;
  const sh = (...a) => execFileSync(a[0], a.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
  const inNs = (...a) => sh('ip', 'netns', 'exec', ns, ...a);
  sh('ip', 'netns', 'add', ns);
  try {
    inNs('ip', 'link', 'set', 'lo', 'up');
    // 198.18.0.1 is local, but nothing listens on it: only the TPROXY rule makes a connection succeed.
    // src 127.0.0.1: a client's own address is not the intercepted one (for a local route the kernel
    // otherwise picks the destination itself as source, and every reply would pass the TPROXY rule too).
    inNs('ip', 'route', 'add', 'local', '198.18.0.0/15', 'dev', 'lo', 'src', '127.0.0.1');
    execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: `table ip gebench {\n chain prerouting {\n type filter hook prerouting priority mangle; policy accept;\n ip daddr ${TPROXY_DEST} meta l4proto { tcp, udp } tproxy to 127.0.0.1 accept\n }\n}\n` });
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, BENCH_NETNS: ns } });
    return r.status ?? 1;
  } finally {
    sh('ip', 'netns', 'del', ns);
  }
}
const RELAY = join(ROOT, 'packages', 'relay', 'dist', 'main.js');
const DURATION = Number(process.env.DURATION ?? 3);
const REPS = Number(process.env.REPS ?? 3);
const IDLE = Number(process.env.IDLE_CONNS ?? 2000);
const PROXIES = (process.env.PROXIES ?? `relay,${process.env.RELAY_B ? 'relayB,' : ''}${process.env.TPROXY === '1' ? 'relayTproxy,' : ''}nginx,haproxy`).split(',');
if (PROXIES.includes('relayTproxy') && !process.env.BENCH_NETNS) throw new Error('relayTproxy needs TPROXY=1 (and root): it runs in a network namespace with a TPROXY rule');
const PROXY_CPU = '0';
const LOAD_CPU = cpus().length > 1 ? '1' : '0';
const dir = mkdtempSync(join(tmpdir(), 'bench-relay-'));
const children = [];
// Free ports picked by the kernel (checked free for TCP and UDP), never guessed.
const used = new Set();
async function port() {
  for (;;) {
    const p = await new Promise((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const n = s.address().port; s.close(() => r(n)); }); });
    if (used.has(p)) continue;
    const udpOk = await new Promise((r) => { const u = createSocket('udp4'); u.once('error', () => { u.close(); r(false); }); u.bind(p, '127.0.0.1', () => u.close(() => r(true))); });
    if (udpOk) { used.add(p); return p; }
  }
}
// Whatever happens, no proxy or backend outlives the run.
process.on('exit', () => children.forEach((c) => { try { c.kill('SIGKILL'); } catch { /* gone */ } }));
process.on('SIGINT', () => process.exit(130));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function start(cmd, args, cpu, name) {
  const p = spawn('taskset', ['-c', cpu, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  p.on('exit', (code) => { if (code && !p.stopping) console.error(`${name} exited ${code}: ${err.slice(0, 500)}`); });
  children.push(p);
  return p;
}
function stop(p) { p.stopping = true; p.kill('SIGKILL'); }
async function waitTcp(p, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((r) => { const s = connect(p, '127.0.0.1', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (ok) return;
    if (Date.now() > end) throw new Error(`port ${p} not open`);
    await sleep(50);
  }
}
const run = (cmd, args) => execFileSync('taskset', ['-c', LOAD_CPU, cmd, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

// ---------- backends (CPU 1) ----------
const B = { iperf: await port(), http: await port(), dns: await port(), hold: await port() };
start('iperf3', ['-s', '-p', String(B.iperf), '-B', '127.0.0.1'], LOAD_CPU, 'iperf3');
writeFileSync(join(dir, 'backend-nginx.conf'), `daemon off; master_process off; worker_processes 1; pid ${dir}/b.pid; error_log ${dir}/b.err;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:${B.http} backlog=4096; location / { return 200 "ok\\n"; } } }`);
start('nginx', ['-p', dir, '-c', join(dir, 'backend-nginx.conf'), '-e', join(dir, 'b.err')], LOAD_CPU, 'backend nginx');
writeFileSync(join(dir, 'named.conf'), `zone "bench.test" { type master; file "${dir}/bench.zone"; };\n`);
writeFileSync(join(dir, 'bench.zone'), '$TTL 300\n@ SOA ns. h. 1 3600 600 86400 300\n@ NS ns.\nwww A 192.0.2.1\n');
start('pdns_server', ['--no-config', '--daemon=no', '--guardian=no', '--disable-syslog', '--write-pid=no', `--socket-dir=${dir}`, '--local-address=127.0.0.1', `--local-port=${B.dns}`, '--launch=bind', `--bind-config=${dir}/named.conf`, '--loglevel=0'], LOAD_CPU, 'pdns');
const holder = createServer((s) => s.on('error', () => {})); // idle-connection backend: accepts and holds
await new Promise((r) => holder.listen(B.hold, '127.0.0.1', r));
writeFileSync(join(dir, 'q.txt'), 'www.bench.test A\n');

// ---------- proxies (CPU 0), each: tcp ports for iperf/http/hold, udp for dns ----------
async function proxyPorts() { return { iperf: await port(), http: await port(), hold: await port(), dns: await port() }; }
function relayProxy(name, main, flags, tproxy = false) {
  return async (P) => {
    // Intercepted: the loads connect to TPROXY_DEST on the listener's port.
    if (tproxy) P.host = TPROXY_DEST;
    const cfg = {
      log_level: 'warn', // no access log, like the nginx/haproxy configs here
      upstreams: { iperf: { servers: [`127.0.0.1:${B.iperf}`] }, http: { servers: [`127.0.0.1:${B.http}`] }, hold: { servers: [`127.0.0.1:${B.hold}`] }, dns: { servers: [`127.0.0.1:${B.dns}`] } },
      listeners: [
        { name: 'iperf', listen: [`127.0.0.1:${P.iperf}`], max_connections: 20000, routes: [{ upstream: 'iperf' }] },
        { name: 'http', listen: [`127.0.0.1:${P.http}`], max_connections: 20000, routes: [{ upstream: 'http' }] },
        { name: 'hold', listen: [`127.0.0.1:${P.hold}`], max_connections: 20000, routes: [{ upstream: 'hold' }] },
        { name: 'dns', protocol: 'udp', listen: [`127.0.0.1:${P.dns}`], idle_timeout: '30s', max_connections: 20000, routes: [{ upstream: 'dns' }] },
      ],
    };
    if (tproxy) for (const l of cfg.listeners) l.tproxy = true;
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(cfg));
    return start(process.execPath, [...(flags ?? '').split(' ').filter(Boolean), main, '--config', join(dir, `${name}.json`)], PROXY_CPU, name);
  };
}
const proxies = {
  relay: relayProxy('relay', RELAY, process.env.RELAY_NODE_FLAGS),
  relayB: relayProxy('relayB', process.env.RELAY_B, process.env.RELAY_B_NODE_FLAGS),
  relayTproxy: relayProxy('relayTproxy', RELAY, process.env.RELAY_NODE_FLAGS, true),
  async nginx(P) {
    writeFileSync(join(dir, 'nginx.conf'), `load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off; master_process off; worker_processes 1; worker_rlimit_nofile 20000; pid ${dir}/n.pid; error_log ${dir}/n.err;
events { worker_connections 20000; }
stream {
  server { listen 127.0.0.1:${P.iperf} backlog=4096; proxy_pass 127.0.0.1:${B.iperf}; }
  server { listen 127.0.0.1:${P.http} backlog=4096; proxy_pass 127.0.0.1:${B.http}; }
  server { listen 127.0.0.1:${P.hold} backlog=4096; proxy_pass 127.0.0.1:${B.hold}; }
  server { listen 127.0.0.1:${P.dns} udp; proxy_pass 127.0.0.1:${B.dns}; proxy_responses 1; proxy_timeout 30s; }
}`);
    return start('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'n.err')], PROXY_CPU, 'nginx');
  },
  async haproxy(P) {
    writeFileSync(join(dir, 'haproxy.cfg'), `global
  nbthread 1
  maxconn 9000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen iperf
  bind 127.0.0.1:${P.iperf}
  server s 127.0.0.1:${B.iperf}
listen http
  bind 127.0.0.1:${P.http}
  server s 127.0.0.1:${B.http}
listen hold
  bind 127.0.0.1:${P.hold}
  server s 127.0.0.1:${B.hold}
`);
    return start('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], PROXY_CPU, 'haproxy');
  },
};

// ---------- loads ----------
function iperf(p, streams, host = '127.0.0.1') {
  const j = JSON.parse(run('iperf3', ['-c', host, '-p', String(p), '-t', String(DURATION), '-P', String(streams), '-J']));
  return j.end.sum_received.bits_per_second / 1e9;
}
function wrk(p, conns, close, host = '127.0.0.1') {
  const args = ['-t', '1', '-c', String(conns), '-d', `${DURATION}s`, '--latency', `http://${host}:${p}/`];
  if (close) args.unshift('-H', 'Connection: close');
  const out = run('wrk', args);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const m = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99ms = m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]] : NaN;
  return { rps, p99ms };
}
function dnsperf(p, host = '127.0.0.1') {
  const out = run('dnsperf', ['-s', host, '-p', String(p), '-d', join(dir, 'q.txt'), '-l', String(DURATION), '-c', '8', '-q', '200']);
  return Number(/Queries per second:\s+([\d.]+)/.exec(out)[1]);
}
async function openIdle(p, host = '127.0.0.1') {
  const socks = [];
  for (let i = 0; i < IDLE; i += 250) {
    await Promise.all(Array.from({ length: Math.min(250, IDLE - i) }, () => new Promise((r) => { const s = connect(p, host, r); s.on('error', r); socks.push(s); })));
  }
  await sleep(1000);
  return socks;
}
async function idleMemory(pid, p, host) {
  // Warm-up round first: a garbage-collected runtime otherwise shrinks while the
  // connections open and the difference means nothing.
  (await openIdle(p, host)).forEach((s) => s.destroy());
  await sleep(1500);
  const before = rssKb(pid);
  const socks = await openIdle(p, host);
  const per = ((rssKb(pid) - before) * 1024) / IDLE;
  socks.forEach((s) => s.destroy());
  await sleep(500);
  return per;
}

// All proxies run side by side and take turns load by load, so a shift in the
// shared machine's speed hits every proxy alike rather than whichever ran then.
// LOADS=conn,keepalive (names below) runs a subset while working on one figure.
const LOADS = {
  'tcp 1 stream Gbit/s': (P) => iperf(P.iperf, 1, P.host),
  'tcp 8 streams Gbit/s': (P) => iperf(P.iperf, 8, P.host),
  'conn/s close c50': (P) => wrk(P.http, 50, true, P.host).rps,
  'conn/s close c500': (P) => wrk(P.http, 500, true, P.host).rps,
  'keepalive c500': (P) => wrk(P.http, 500, false, P.host),
  'udp qps': (P, name) => (name === 'haproxy' ? NaN : dnsperf(P.dns, P.host)), // HAProxy community has no UDP proxying
};
const only = process.env.LOADS?.split(',');
const picked = Object.keys(LOADS).filter((k) => !only || only.some((o) => k.includes(o)));
const results = {};
const running = {};
await waitTcp(B.iperf); await waitTcp(B.http);
for (const name of PROXIES) {
  const P = await proxyPorts();
  const proc = await proxies[name](P);
  await waitTcp(P.http);
  running[name] = { P, proc };
  results[name] = {};
}
await sleep(300);
for (let i = 0; i < REPS; i++) {
  for (const load of picked) {
    // Odd rounds run the proxies in reverse order, so none always runs right after another's load.
    for (const name of i % 2 ? [...PROXIES].reverse() : PROXIES) {
      const v = LOADS[load](running[name].P, name);
      const r = results[name];
      if (load === 'keepalive c500') {
        (r['req/s keepalive c500'] ??= []).push(v.rps);
        (r['p99 ms keepalive c500'] ??= []).push(v.p99ms);
      } else (r[load] ??= []).push(v);
    }
  }
}
// tproxy/relay is the median of the per-round ratios: the two ran back to back in each
// round, so pairing them cancels the drift of a shared machine that moves both alike.
const pairedTproxy = {};
if (results.relayTproxy && results.relay) {
  for (const k of Object.keys(results.relay)) pairedTproxy[k] = median(results.relay[k].map((v, i) => results.relayTproxy[k][i] / v));
}
if (process.env.BENCH_RAW) for (const name of PROXIES) console.log(name, JSON.stringify(results[name]));
for (const name of PROXIES) {
  for (const k of Object.keys(results[name])) results[name][k] = median(results[name][k]);
  if (!only || only.includes('idle')) results[name]['bytes/idle conn'] = await idleMemory(running[name].proc.pid, running[name].P.hold, running[name].P.host);
}

// ---------- report ----------
const metrics = Object.keys(results[PROXIES[0]]);
const fmt = (x) => (Number.isFinite(x) ? (x >= 100 ? Math.round(x).toString() : x.toFixed(2)) : 'n/a');
console.log(`\nrelay bench: ${DURATION}s per load, median of ${REPS}, proxies pinned to CPU ${PROXY_CPU}, load on CPU ${LOAD_CPU}, ${IDLE} idle conns`);
const tpRatio = results.relayTproxy && results.relay;
const header = ['metric', ...PROXIES, ...(results.nginx ? PROXIES.filter((p) => p !== 'nginx').map((p) => `${p}/nginx`) : []), ...(tpRatio ? ['tproxy/relay'] : [])];
console.log(header.map((h, i) => (i === 0 ? h.padEnd(24) : h.padStart(14))).join(''));
for (const m of metrics) {
  const row = [m.padEnd(24), ...PROXIES.map((p) => fmt(results[p][m]).padStart(14))];
  if (results.nginx) for (const p of PROXIES.filter((x) => x !== 'nginx')) row.push(fmt(results[p][m] / results.nginx[m]).padStart(14));
  if (tpRatio) row.push(fmt(pairedTproxy[m] ?? results.relayTproxy[m] / results.relay[m]).padStart(14)); // target >= 0.95 for conn/s and bulk
  console.log(row.join(''));
}
for (const c of children) stop(c);
holder.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
