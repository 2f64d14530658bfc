// TPROXY interception end to end, IPv4 and IPv6: three network namespaces the
// test creates (client, relay router, origin host) joined by veth pairs, the
// relay namespace routing between the other two. The client sends TCP to the
// origin's address on ports 443 and 8443 and UDP on port 53. Without the rules
// (deploy/tproxy/setup.sh) the origin answers: proof the checks can fail. With
// them the relay's tproxy listeners take everything, log the original
// destination, route by `dest` to two backends in the relay namespace (each
// reads the client's own address and the original destination from the PROXY
// header), the UDP answer comes back from the origin's address, and the
// origin's counting listeners see nothing; port 8080 goes on to the origin
// itself (`original_destination`, transparent: the origin sees the client), and so does UDP to 5353.
// Run twice: rules made with nft (TCP to a listener the engine serves directly), then with
// iptables/ip6tables (TCP to one whose SNI route makes it preread first). Needs root, iproute2, nft and
// iptables (scripts/setup-test-deps.sh).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from './helpers/paths.js';
import { RELAY_MAIN } from './relay-harness.js';

const tag = `gt${process.pid % 100000}`;
const ns = { cli: `${tag}-cli`, rel: `${tag}-rel`, org: `${tag}-org` };
const SETUP = join(REPO_ROOT, 'deploy', 'tproxy', 'setup.sh');
const TEARDOWN = join(REPO_ROOT, 'deploy', 'tproxy', 'teardown.sh');
const PORT = '15001';
/**
 * The iptables run sends TCP to a second tproxy listener whose first route
 * matches SNI: its connections are read by the engine (the ClientHello preread)
 * before the route decides, rather than routed at once.
 */
const PREREAD_PORT = '15002';
const ruleArgs = (backend: 'nft' | 'iptables') => [`${tag}r0`, backend === 'nft' ? PORT : PREREAD_PORT, '443,8443,8080', '53,5353'];
const ORIGIN = { 4: '10.91.2.2', 6: 'fd91:2::2' } as const;
const CLIENT = { 4: '10.91.1.2', 6: 'fd91:1::2' } as const;
const procs: ChildProcess[] = [];
const tmp = tempDir('tproxy-intercept');
let skip: string | undefined;

const sh = (...args: string[]) => execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (n: string, ...args: string[]) => sh('ip', 'netns', 'exec', n, ...args);

before(() => {
  if (process.getuid?.() !== 0) { skip = 'needs root'; return; }
  try {
    for (const n of Object.values(ns)) sh('ip', 'netns', 'add', n);
  } catch (err) {
    skip = `cannot create network namespaces: ${(err as Error).message}`;
    return;
  }
  sh('ip', 'link', 'add', `${tag}c`, 'netns', ns.cli, 'type', 'veth', 'peer', 'name', `${tag}r0`, 'netns', ns.rel);
  sh('ip', 'link', 'add', `${tag}o`, 'netns', ns.org, 'type', 'veth', 'peer', 'name', `${tag}r1`, 'netns', ns.rel);
  const cfg: Array<[string, string, string, string]> = [
    [ns.cli, `${tag}c`, '10.91.1.2/24', 'fd91:1::2/64'], [ns.rel, `${tag}r0`, '10.91.1.1/24', 'fd91:1::1/64'],
    [ns.rel, `${tag}r1`, '10.91.2.1/24', 'fd91:2::1/64'], [ns.org, `${tag}o`, '10.91.2.2/24', 'fd91:2::2/64'],
  ];
  for (const [n, dev, a4, a6] of cfg) {
    inNs(n, 'ip', 'addr', 'add', a4, 'dev', dev);
    inNs(n, 'ip', '-6', 'addr', 'add', a6, 'dev', dev, 'nodad');
    inNs(n, 'ip', 'link', 'set', dev, 'up');
    inNs(n, 'ip', 'link', 'set', 'lo', 'up');
  }
  inNs(ns.cli, 'ip', 'route', 'add', 'default', 'via', '10.91.1.1');
  inNs(ns.cli, 'ip', '-6', 'route', 'add', 'default', 'via', 'fd91:1::1');
  inNs(ns.org, 'ip', 'route', 'add', 'default', 'via', '10.91.2.1');
  inNs(ns.org, 'ip', '-6', 'route', 'add', 'default', 'via', 'fd91:2::1');
  inNs(ns.rel, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  inNs(ns.rel, 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1');
});

after(() => {
  for (const p of procs) p.kill('SIGKILL');
  for (const n of Object.values(ns)) { try { sh('ip', 'netns', 'del', n); } catch { /* not created */ } }
  tmp.remove();
});

interface Proc { p: ChildProcess; out(): string }
function spawnIn(n: string, args: string[], ready: RegExp): Promise<Proc> {
  const p = spawn('ip', ['netns', 'exec', n, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } });
  procs.push(p);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start: ${out}`)), 20000);
    const onData = (d: Buffer) => {
      out += d;
      if (ready.test(out)) { clearTimeout(timer); resolve({ p, out: () => out }); }
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${out}`)); });
  });
}

// The origin host: counting listeners on every port the client uses, both families.
const ORIGIN_JS = `
  const net = require('net'), dgram = require('dgram');
  for (const port of [443, 8443, 8080]) net.createServer((s) => {
    console.log('HIT tcp ' + port + ' ' + s.remoteAddress);
    s.end('origin ' + port + ' ' + s.remoteAddress);
  }).listen({ port, host: '::', ipv6Only: false });
  let bound = 0;
  for (const port of [53, 5353]) {
    const u = dgram.createSocket({ type: 'udp6', ipv6Only: false });
    u.on('message', (m, r) => { console.log('HIT udp ' + port + ' ' + r.address); u.send('origin ' + port + ' ' + r.address, r.port, r.address); });
    u.bind(port, '::', () => { if (++bound === 2) setTimeout(() => console.log('READY'), 100); });
  }`;

// Backends in the relay namespace: each answers with its name and what the PROXY header said.
const BACKENDS_JS = `
  const net = require('net'), dgram = require('dgram');
  function v2(b) {
    const fam = b[13] >> 4, len = b.readUInt16BE(14);
    if (fam === 1) return { src: [...b.subarray(16, 20)].join('.'), dst: [...b.subarray(20, 24)].join('.'), dport: b.readUInt16BE(26), len: 16 + len };
    const h = (o) => [0,2,4,6,8,10,12,14].map((i) => b.readUInt16BE(o + i).toString(16)).join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
    return { src: h(16), dst: h(32), dport: b.readUInt16BE(50), len: 16 + len };
  }
  net.createServer((s) => s.once('data', (d) => {
    const line = d.toString().split('\\r\\n')[0].split(' ');
    s.end('A ' + line[2] + ' ' + line[3] + ' ' + line[5]);
  })).listen(9001, '127.0.0.1');
  net.createServer((s) => s.once('data', (d) => { const h = v2(d); s.end('B ' + h.src + ' ' + h.dst + ' ' + h.dport); })).listen(9002, '127.0.0.1');
  const u = dgram.createSocket('udp4');
  u.on('message', (m, r) => { const h = v2(m); u.send('B udp ' + h.src + ' ' + h.dst + ' ' + h.dport + ' ' + m.subarray(h.len), r.port, r.address); });
  u.bind(9002, '127.0.0.1', () => console.log('READY'));`;

// The client: TCP to the origin on 443, 8443 and 8080, UDP on 53, per family; prints JSON.
const CLIENT_JS = `
  const net = require('net'), dgram = require('dgram');
  const origin = ${JSON.stringify(ORIGIN)};
  const tcp = (host, port) => new Promise((res) => {
    const s = net.connect({ host, port }); let out = '';
    s.on('data', (d) => out += d); s.on('error', (e) => res('error ' + e.code)); s.on('close', () => res(out));
    setTimeout(() => { s.destroy(); res('timeout ' + out); }, 5000);
  });
  // Two datagrams from one socket: the second belongs to the session the first opened.
  const udp = (fam, host, port) => new Promise((res) => {
    const u = dgram.createSocket(fam === 4 ? 'udp4' : 'udp6');
    const got = [];
    const t = setTimeout(() => { u.close(); res('timeout ' + got.join(' | ')); }, 5000);
    u.on('message', (m, r) => {
      got.push(r.address + ':' + r.port + ' ' + m);
      if (got.length === 1) return u.send('r' + fam, port, host);
      clearTimeout(t); u.close(); res(got.join(' | '));
    });
    u.send('q' + fam, port, host);
  });
  (async () => {
    const out = {};
    for (const fam of [4, 6]) {
      const h = origin[fam];
      out[fam] = { t443: await tcp(h, 443), t8443: await tcp(h, 8443), t8080: await tcp(h, 8080), u53: await udp(fam, h, 53), u5353: await udp(fam, h, 5353) };
    }
    console.log(JSON.stringify(out));
  })();`;

/**
 * Why the kernel cannot do TPROXY with this back end (undefined when it can):
 * a scratch rule with the TPROXY target and the socket match is made and
 * removed in the relay namespace, after trying to load the modules.
 */
function tproxyUnavailable(backend: 'nft' | 'iptables'): string | undefined {
  try { sh('modprobe', '-q', ...(backend === 'nft' ? ['-a', 'nft_tproxy', 'nft_socket'] : ['-a', 'xt_TPROXY', 'xt_socket'])); } catch { /* built in, or no modprobe: the probe says */ }
  try {
    if (backend === 'nft') {
      execFileSync('ip', ['netns', 'exec', ns.rel, 'nft', '-f', '-'], { input: 'table inet geoedge_probe {\n chain p {\n type filter hook prerouting priority mangle;\n meta l4proto tcp socket transparent 1 accept\n meta l4proto tcp tproxy to :1 accept\n }\n}\n', stdio: ['pipe', 'pipe', 'pipe'] });
      inNs(ns.rel, 'nft', 'delete', 'table', 'inet', 'geoedge_probe');
    } else {
      for (const ipt of ['iptables', 'ip6tables']) {
        const rule = ['PREROUTING', '-p', 'tcp', '-m', 'socket', '--transparent', '-j', 'TPROXY', '--on-port', '1', '--tproxy-mark', '1'];
        inNs(ns.rel, ipt, '-t', 'mangle', '-A', ...rule);
        inNs(ns.rel, ipt, '-t', 'mangle', '-D', ...rule);
      }
    }
    return undefined;
  } catch (err) {
    return `the kernel has no TPROXY/socket support for ${backend} (nft_tproxy/nft_socket or xt_TPROXY/xt_socket): ${(err as { stderr?: string }).stderr ?? (err as Error).message}`;
  }
}

const hits = (origin: Proc) => origin.out().split('\n').filter((l) => l.startsWith('HIT'));
/** The origin's hit lines once there are `n` (its stdout arrives after the client is done), then a moment more for any stray one. */
async function hitsAtLeast(origin: Proc, n: number): Promise<string[]> {
  const deadline = Date.now() + 15000; // a loaded machine delivers the origin's stdout late
  while (hits(origin).length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  return hits(origin);
}

/** The origin, the backends and the relay, started once for both rule back ends. */
let peers: Promise<{ origin: Proc; relay: Proc }> | undefined;
async function startPeers(): Promise<{ origin: Proc; relay: Proc }> {
  const origin = await spawnIn(ns.org, [process.execPath, '-e', ORIGIN_JS], /READY/);
  await spawnIn(ns.rel, [process.execPath, '-e', BACKENDS_JS], /READY/);
  const cfgFile = join(tmp.dir, 'relay.json');
  writeFileSync(cfgFile, JSON.stringify({
    upstreams: {
      a: { servers: ['127.0.0.1:9001'], proxy_protocol: 'v1' },
      b: { servers: ['127.0.0.1:9002'], proxy_protocol: 'v2' },
      direct: { original_destination: true, transparent: true },
    },
    listeners: [
      {
        name: 'intercept-tcp', tproxy: true, listen: [`0.0.0.0:${PORT}`, `[::]:${PORT}`], routes: [
          { match: { dest: { ports: [443] } }, upstream: 'a' },
          { match: { dest: { ports: ['8443-8443'] } }, upstream: 'b' },
          { match: { dest: { addresses: ['10.91.2.0/24', 'fd91:2::/64'], ports: [8080] } }, upstream: 'direct' },
          { close: true },
        ],
      },
      {
        name: 'intercept-preread', tproxy: true, preread_timeout: '300ms', listen: [`0.0.0.0:${PREREAD_PORT}`, `[::]:${PREREAD_PORT}`], routes: [
          { match: { sni: ['never.example'] }, close: true },
          { match: { dest: { ports: [443] } }, upstream: 'a' },
          { match: { dest: { ports: ['8443-8443'] } }, upstream: 'b' },
          { match: { dest: { addresses: ['10.91.2.0/24', 'fd91:2::/64'], ports: [8080] } }, upstream: 'direct' },
          { close: true },
        ],
      },
      {
        name: 'intercept-udp', protocol: 'udp', tproxy: true, listen: [`0.0.0.0:${PREREAD_PORT}`, `[::]:${PREREAD_PORT}`, `0.0.0.0:${PORT}`, `[::]:${PORT}`], routes: [
          { match: { dest: { ports: [53] } }, upstream: 'b' },
          { match: { dest: { ports: [5353] } }, upstream: 'direct' },
        ],
      },
    ],
  }));
  const relay = await spawnIn(ns.rel, [process.execPath, RELAY_MAIN, '--config', cfgFile], /relay listening/);
  const listenerLines = relay.out().split('\n').filter((l) => l.includes('"msg":"listener"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(listenerLines.length, 8, relay.out());
  assert.ok(listenerLines.every((l) => l.tproxy === true));
  return { origin, relay };
}

const connectionLines = (relay: Proc) => relay.out().split('\n').filter((l) => l.includes('"msg":"connection"')).map((l) => JSON.parse(l) as Record<string, unknown>);

// The same checks with the rules made by nft and by iptables/ip6tables (deploy/tproxy/setup.sh does both).
for (const backend of ['nft', 'iptables'] as const) {
  test(`tproxy listeners intercept TCP and UDP for the origin, route by dest, keep client and destination (${backend} rules)`, async (t) => {
    if (skip) return t.skip(skip);
    try { sh(backend, '--version'); } catch { return t.skip(`${backend} is not installed (scripts/setup-test-deps.sh installs it)`); }
    const missing = tproxyUnavailable(backend);
    if (missing) return t.skip(missing);
    const { origin, relay } = await (peers ??= startPeers());
    const logsBefore = connectionLines(relay).length;

    // Without the rules the relay sees nothing and the origin answers everything.
    const start = hits(origin).length;
    const plain = JSON.parse(inNs(ns.cli, process.execPath, '-e', CLIENT_JS).trim());
    for (const fam of [4, 6] as const) {
      assert.equal(plain[fam].t443, `origin 443 ${fam === 4 ? `::ffff:${CLIENT[4]}` : CLIENT[6]}`);
      assert.match(plain[fam].u53, /origin 53 \S+ \| .*origin 53 \S+$/);
      assert.match(plain[fam].u5353, /origin 5353 \S+ \| .*origin 5353 \S+$/);
    }
    const before = (await hitsAtLeast(origin, start + 14)).length;
    assert.equal(before - start, 14, hits(origin).join('\n'));

    const env = { ...process.env, TPROXY_BACKEND: backend };
    execFileSync('ip', ['netns', 'exec', ns.rel, 'bash', SETUP, ...ruleArgs(backend)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const got = JSON.parse(inNs(ns.cli, process.execPath, '-e', CLIENT_JS).trim());
      for (const fam of [4, 6] as const) {
        const [c, o] = [CLIENT[fam], ORIGIN[fam]];
        // Backend A (PROXY v1) and B (PROXY v2): the client's own address and the original destination.
        assert.equal(got[fam].t443, `A ${c} ${o} 443`, JSON.stringify(got));
        assert.equal(got[fam].t8443, `B ${c} ${o} 8443`, JSON.stringify(got));
        // original_destination + transparent: the origin itself answers, and sees the client.
        assert.equal(got[fam].t8080, `origin 8080 ${fam === 4 ? `::ffff:${c}` : c}`, JSON.stringify(got));
        // The UDP answers come from the address and port the client asked, the second through the same session.
        const from = `${o}:53`;
        assert.equal(got[fam].u53, `${from} B udp ${c} ${o} 53 q${fam} | ${from} B udp ${c} ${o} 53 r${fam}`, JSON.stringify(got));
        // UDP original_destination + transparent: the origin answers the client's own address, through the relay.
        const seen = fam === 4 ? `::ffff:${c}` : c;
        assert.equal(got[fam].u5353, `${o}:5353 origin 5353 ${seen} | ${o}:5353 origin 5353 ${seen}`, JSON.stringify(got));
      }
      // The origin saw only what the relay sent on on purpose: the 8080 connections and the 5353 datagrams.
      const after = (await hitsAtLeast(origin, before + 6)).slice(before);
      assert.deepEqual(after.map((l) => l.split(' ').slice(0, 3).join(' ')).sort(), ['HIT tcp 8080', 'HIT tcp 8080', 'HIT udp 5353', 'HIT udp 5353', 'HIT udp 5353', 'HIT udp 5353'], after.join('\n'));

      // The relay logged each connection's original destination.
      const deadline = Date.now() + 10000;
      while (connectionLines(relay).length < logsBefore + 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const mine = connectionLines(relay).slice(logsBefore);
      assert.deepEqual([...new Set(mine.map((l) => l.listener))], [backend === 'nft' ? 'intercept-tcp' : 'intercept-preread']);
      const dsts = mine.map((l) => l.original_dst).sort();
      assert.deepEqual(dsts, [`${ORIGIN[4]}:443`, `${ORIGIN[4]}:8080`, `${ORIGIN[4]}:8443`, `${ORIGIN[6]}:443`, `${ORIGIN[6]}:8080`, `${ORIGIN[6]}:8443`].sort());
    } finally {
      execFileSync('ip', ['netns', 'exec', ns.rel, 'bash', TEARDOWN, ...ruleArgs(backend)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    }
  });
}
