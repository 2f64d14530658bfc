// Socket options per listener and per upstream group, seen from outside the
// relay, in a network namespace the test creates: `ss -tinoe` shows the
// congestion control (bbr), the keepalive timer and the mark of the relayed
// sockets; the mark decides routing (10.77.0.9 is reachable only through
// `ip rule fwmark 7`, and a group without the mark cannot connect); TCP Fast
// Open cookies are exchanged, so the second connection's SYN carries data
// (TCPFastOpenActive / TCPFastOpenPassive in the namespace's /proc/net/netstat);
// the listener's first log line reports what getsockopt reads back.
// Needs root and iproute2 (ss).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers/paths.js';
import { RELAY_MAIN } from './relay-harness.js';

const nsName = `gs${process.pid % 100000}-so`;
const procs: ChildProcess[] = [];
const tmp = tempDir('sockopts');
let skip: string | undefined;

const sh = (...args: string[]) => execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (...args: string[]) => sh('ip', 'netns', 'exec', nsName, ...args);

before(() => {
  if (process.getuid?.() !== 0) { skip = 'needs root'; return; }
  try { sh('ip', 'netns', 'add', nsName); } catch (err) { skip = `cannot create network namespaces: ${(err as Error).message}`; return; }
  inNs('ip', 'link', 'set', 'lo', 'up');
  // 10.77.0.9 is local only for packets marked 7: without the mark there is no route to it.
  // (It is an address of lo, so the kernel accepts it as a source, minus its local-table route.)
  inNs('ip', 'addr', 'add', '10.77.0.9/32', 'dev', 'lo');
  inNs('ip', 'route', 'del', 'local', '10.77.0.9', 'dev', 'lo', 'table', 'local');
  inNs('ip', 'rule', 'add', 'fwmark', '7', 'lookup', '200', 'priority', '100');
  inNs('ip', 'route', 'add', 'local', '10.77.0.9', 'dev', 'lo', 'table', '200');
  // Fast Open client and server (per namespace).
  inNs('sysctl', '-qw', 'net.ipv4.tcp_fastopen=3');
  // The namespace's default is not bbr (some kernels default to it): bbr in ss is the option's doing.
  inNs('sysctl', '-qw', 'net.ipv4.tcp_congestion_control=reno');
});

after(() => {
  for (const p of procs) p.kill('SIGKILL');
  try { sh('ip', 'netns', 'del', nsName); } catch { /* not created */ }
  tmp.remove();
});

interface Proc { p: ChildProcess; out(): string; waitFor(re: RegExp, ms?: number): Promise<void> }
function spawnIn(args: string[]): Proc {
  const p = spawn('ip', ['netns', 'exec', nsName, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } });
  procs.push(p);
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => { out += d; for (const w of waiters) w(); };
  p.stdout!.on('data', onData);
  p.stderr!.on('data', onData);
  return {
    p,
    out: () => out,
    waitFor: (re, ms = 20000) => new Promise((resolve, reject) => {
      const t = setTimeout(() => { waiters.delete(check); reject(new Error(`no ${re} within ${ms} ms: ${out.slice(-3000)}`)); }, ms);
      const check = () => { if (re.test(out)) { clearTimeout(t); waiters.delete(check); resolve(); } };
      waiters.add(check);
      p.once('exit', (code) => { clearTimeout(t); reject(new Error(`exited ${code} before ${re}: ${out.slice(-3000)}`)); });
      check();
    }),
  };
}

const netstat = (): Record<string, number> => {
  const lines = inNs('cat', '/proc/net/netstat').trim().split('\n');
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const keys = lines[i]!.split(/\s+/), vals = lines[i + 1]!.split(/\s+/);
    keys.slice(1).forEach((k, j) => (out[k] = Number(vals[j + 1])));
  }
  return out;
};

// Echo backend that names the relay's source address; holds each connection until the client ends it.
const ECHO_JS = `require('net').createServer((s) => s.on('data', (d) => s.write('echo ' + d))).listen(9100, '127.0.0.1', () => console.log('READY'));
  const u = require('dgram').createSocket('udp4'); u.on('message', (m, r) => u.send('echo ' + m, r.port, r.address)); u.bind(9101, '127.0.0.1');`;
const UDP_CLIENT_JS = `const u = require('dgram').createSocket('udp4');
  u.on('message', (m) => { console.log(String(m)); process.exit(0); }); u.send('ping', 9300, '127.0.0.1');
  setTimeout(() => { console.log('timeout'); process.exit(0); }, 3000);`;
// One connection: send, read the echo, report OPEN, hold it until a line on stdin, then close.
const CLIENT_JS = `
  const net = require('net'), readline = require('readline');
  const rl = readline.createInterface({ input: process.stdin });
  const port = Number(process.argv[1]);
  const s = net.connect(port, '127.0.0.1', () => s.write('hello'));
  s.on('data', (d) => console.log('OPEN ' + d));
  s.on('error', (e) => console.log('ERROR ' + e.code));
  s.on('close', () => { console.log('CLOSED'); process.exit(0); });
  rl.on('line', () => s.end());`;

test('socket options: bbr, keepalive and mark on relayed sockets, mark routing, TFO cookies, read-back log line', async (t) => {
  if (skip) return t.skip(skip);
  try { sh('modprobe', '-q', 'tcp_bbr'); } catch { /* built in, or no modprobe: the list says */ }
  const cc = sh('cat', '/proc/sys/net/ipv4/tcp_available_congestion_control').trim().split(/\s+/);
  if (!cc.includes('bbr')) return t.skip(`bbr is not available in this kernel (${cc.join(' ')}); modprobe tcp_bbr where allowed`);
  await spawnIn([process.execPath, '-e', ECHO_JS]).waitFor(/READY/);
  const listenerSocket = { congestion: 'bbr', keepalive: { idle: '31s', interval: '7s', count: 4 }, dscp: 46, rcvbuf: 131072, user_timeout: '9s', fastopen: 64 };
  const upstreamSocket = { congestion: 'bbr', fastopen: true, mark: 7, keepalive: { idle: '41s', interval: '5s', count: 3 } };
  const cfgFile = join(tmp.dir, 'relay.json');
  writeFileSync(cfgFile, JSON.stringify({
    upstreams: {
      marked: { servers: ['10.77.0.9:9000'], socket: upstreamSocket, tries: 1 },
      unmarked: { servers: ['10.77.0.9:9000'], socket: { ...upstreamSocket, mark: undefined }, tries: 1 },
      echo: { servers: ['127.0.0.1:9100'] },
      'udp-marked': { servers: ['10.77.0.9:9053'], socket: { mark: 7 } },
      'udp-echo': { servers: ['127.0.0.1:9101'] },
    },
    listeners: [
      { name: 'front', listen: ['127.0.0.1:9200'], socket: listenerSocket, routes: [{ upstream: 'marked' }] },
      { name: 'front-unmarked', listen: ['127.0.0.1:9201'], routes: [{ upstream: 'unmarked' }] },
      // IPv6: the traffic class (IPV6_TCLASS) and the same TCP options.
      { name: 'front6', listen: ['[::1]:9202'], socket: { dscp: 10, congestion: 'bbr', user_timeout: '3s' }, routes: [{ upstream: 'echo' }] },
      // The Fast Open server: its listener's mark routes its SYN-ACKs back through table 200.
      { name: 'tfo-server', listen: ['0.0.0.0:9000'], socket: { fastopen: 64, mark: 7 }, routes: [{ upstream: 'echo' }] },
      // UDP: the session socket's mark reaches 10.77.0.9; the listener there answers marked too.
      { name: 'udp-front', protocol: 'udp', listen: ['127.0.0.1:9300'], routes: [{ upstream: 'udp-marked' }] },
      { name: 'udp-server', protocol: 'udp', listen: ['0.0.0.0:9053'], socket: { mark: 7 }, routes: [{ upstream: 'udp-echo' }] },
    ],
  }));
  const relay = spawnIn([process.execPath, RELAY_MAIN, '--config', cfgFile]);
  await relay.waitFor(/relay listening/);
  const lines = relay.out().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
  const front = lines.find((l) => l.msg === 'listener' && l.listener === 'front')!;
  assert.ok(front, relay.out());
  assert.equal(front.socket.congestion, 'bbr');
  assert.deepEqual(front.socket.keepalive, { on: true, idle: 31, interval: 7, count: 4 });
  assert.equal(front.socket.tos, 46 << 2);
  assert.ok(front.socket.rcvbuf >= 131072, `rcvbuf ${front.socket.rcvbuf}`);
  assert.equal(front.socket.user_timeout_ms, 9000);
  assert.equal(front.socket.fastopen, 64);
  assert.deepEqual(front.upstream_socket.marked, { congestion: 'bbr', fastopen: true, keepalive: { idle: 41, interval: 5, count: 3 }, mark: 7 });

  const front6 = lines.find((l) => l.msg === 'listener' && l.listener === 'front6')!;
  assert.deepEqual(front6.socket, { tos: 10 << 2, congestion: 'bbr', user_timeout_ms: 3000 });

  const tfoBefore = netstat();
  // First connection: relayed, both relayed sockets show their options in ss.
  const c1 = spawnIn([process.execPath, '-e', CLIENT_JS, '9200']);
  await c1.waitFor(/OPEN echo hello/);
  const ss = inNs('ss', '-tinoeH', 'state', 'established');
  const entry = (re: RegExp) => ss.split(/\n(?=\S)/).find((e) => re.test(e)) ?? '';
  // Columns: Recv-Q Send-Q Local Peer. The relay's upstream socket (peer 10.77.0.9:9000), its accepted one (local :9200), the client's.
  const up = entry(/^\S+\s+\S+\s+\S+\s+10\.77\.0\.9:9000\s/), acc = entry(/^\S+\s+\S+\s+127\.0\.0\.1:9200\s/), cli = entry(/^\S+\s+\S+\s+\S+\s+127\.0\.0\.1:9200\s/);
  assert.match(cli, /\breno\b/, ss);
  assert.match(up, /\bbbr\b/, ss);
  assert.match(up, /fwmark:0x7\b/, ss);
  assert.match(up, /timer:\(keepalive,(4\d|3\d)sec,0\)/, ss);
  assert.match(acc, /\bbbr\b/, ss);
  assert.match(acc, /timer:\(keepalive,(3\d|2\d)sec,0\)/, ss);
  c1.p.stdin!.write('\n');
  await c1.waitFor(/CLOSED/);
  // Second connection: the cookie from the first lets the upstream SYN carry the bytes.
  const c2 = spawnIn([process.execPath, '-e', CLIENT_JS, '9200']);
  await c2.waitFor(/OPEN echo hello/);
  c2.p.stdin!.write('\n');
  await c2.waitFor(/CLOSED/);
  const tfo = netstat();
  assert.ok(tfo.TCPFastOpenActive! > tfoBefore.TCPFastOpenActive!, `TCPFastOpenActive ${tfoBefore.TCPFastOpenActive} → ${tfo.TCPFastOpenActive}`);
  assert.ok(tfo.TCPFastOpenPassive! > tfoBefore.TCPFastOpenPassive!, `TCPFastOpenPassive ${tfoBefore.TCPFastOpenPassive} → ${tfo.TCPFastOpenPassive}`);

  // UDP through the marked session socket and the marked listener.
  assert.equal(inNs(process.execPath, '-e', UDP_CLIENT_JS).trim(), 'echo ping');
  const udpServer = lines.find((l) => l.msg === 'listener' && l.listener === 'udp-server')!;
  assert.deepEqual(udpServer.socket, { mark: 7 });

  // Without the mark the same server is unreachable: the routing decision was the mark's.
  const c3 = spawnIn([process.execPath, '-e', CLIENT_JS, '9201']);
  await c3.waitFor(/CLOSED/);
  assert.doesNotMatch(c3.out(), /OPEN/);
  await relay.waitFor(/"listener":"front-unmarked".*upstream connect failed|upstream connect failed.*"listener":"front-unmarked"/);

  // A reload cannot change a bound address's options: it says so rather than pretend.
  const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
  cfg.listeners[0].socket.keepalive.idle = '32s';
  writeFileSync(cfgFile, JSON.stringify(cfg));
  relay.p.kill('SIGHUP');
  await relay.waitFor(/"listener":"front","address":"127.0.0.1:9200".*keeps its socket and the old options until a restart/);
  await relay.waitFor(/configuration reloaded/);
});

test('--check refuses a congestion control the kernel does not have, naming the key and the available ones', () => {
  const file = join(tmp.dir, 'bad-cc.json');
  writeFileSync(file, JSON.stringify({
    upstreams: { a: { servers: ['127.0.0.1:9'], socket: { congestion: 'nosuch' } } },
    listeners: [{ name: 'x', listen: ['127.0.0.1:9999'], routes: [{ upstream: 'a' }] }],
  }));
  const available = sh('cat', '/proc/sys/net/ipv4/tcp_available_congestion_control').trim().split(/\s+/).join(', ');
  let out = '', code = 0;
  try { execFileSync(process.execPath, [RELAY_MAIN, '--config', file, '--check'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }); } catch (err) {
    const e = err as { status: number; stderr: string };
    code = e.status;
    out = e.stderr;
  }
  assert.equal(code, 2);
  assert.ok(out.includes(`/upstreams/a/socket/congestion: "nosuch" is not available in this kernel; /proc/sys/net/ipv4/tcp_available_congestion_control lists ${available}`), out);
});
