// Transparent mode end to end: client, relay and backend are network namespaces
// joined by veth pairs. The relay (IP_TRANSPARENT via @geoedge/linux) connects to the
// backend with the client's address as source; the backend's accepted TCP socket
// and its UDP peer address report the client, not the relay. Needs root + iproute2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from './helpers/paths.js';
import { RELAY_MAIN } from './relay-harness.js';

const tag = `ge${process.pid % 100000}`;
const ns = { cli: `${tag}-cli`, rel: `${tag}-rel`, back: `${tag}-back` };
const SETUP = join(REPO_ROOT, 'deploy', 'transparent', 'setup.sh');
const TEARDOWN = join(REPO_ROOT, 'deploy', 'transparent', 'teardown.sh');
const procs: ChildProcess[] = [];
const tmp = tempDir('tproxy');
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
  sh('ip', 'link', 'add', `${tag}b`, 'netns', ns.back, 'type', 'veth', 'peer', 'name', `${tag}r1`, 'netns', ns.rel);
  const cfg: Array<[string, string, string]> = [[ns.cli, `${tag}c`, '10.91.1.2/24'], [ns.rel, `${tag}r0`, '10.91.1.1/24'], [ns.rel, `${tag}r1`, '10.91.2.1/24'], [ns.back, `${tag}b`, '10.91.2.2/24']];
  for (const [n, dev, addr] of cfg) {
    inNs(n, 'ip', 'addr', 'add', addr, 'dev', dev);
    inNs(n, 'ip', 'link', 'set', dev, 'up');
    inNs(n, 'ip', 'link', 'set', 'lo', 'up');
  }
  inNs(ns.cli, 'ip', 'route', 'add', 'default', 'via', '10.91.1.1');
  inNs(ns.rel, 'bash', SETUP, 'relay', `${tag}r1`);
  inNs(ns.back, 'bash', SETUP, 'backend', '10.91.2.1', '10.91.1.0/24');
});

after(() => {
  for (const p of procs) p.kill('SIGKILL');
  if (!skip) {
    try { inNs(ns.rel, 'bash', TEARDOWN, 'relay', `${tag}r1`); } catch { /* namespace goes anyway */ }
  }
  for (const n of Object.values(ns)) { try { sh('ip', 'netns', 'del', n); } catch { /* not created */ } }
  tmp.remove();
});

function spawnIn(n: string, args: string[]): Promise<ChildProcess> {
  const p = spawn('ip', ['netns', 'exec', n, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } }); // the runner sets silent
  procs.push(p);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start: ${out}`)), 20000);
    const onData = (d: Buffer) => {
      out += d;
      if (/READY|relay listening/.test(out)) { clearTimeout(timer); resolve(p); }
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${out}`)); });
  });
}

test('TCP and UDP: the backend sees the client address through a transparent relay', async (t) => {
  if (skip) return t.skip(skip);
  const backend = `
    const net = require('net'), dgram = require('dgram');
    net.createServer((s) => s.end('tcp-from=' + s.remoteAddress + '\\n')).listen(9000, '10.91.2.2');
    const u = dgram.createSocket('udp4');
    u.on('message', (m, r) => u.send('udp-from=' + r.address + ':' + r.port, r.port, r.address));
    u.bind(9000, '10.91.2.2', () => console.log('READY'));`;
  await spawnIn(ns.back, [process.execPath, '-e', backend]);
  const cfgFile = join(tmp.dir, 'relay.json');
  writeFileSync(cfgFile, JSON.stringify({
    upstreams: { back: { servers: ['10.91.2.2:9000'], transparent: true } },
    listeners: [
      { name: 'tcp', listen: ['10.91.1.1:8000'], routes: [{ upstream: 'back' }] },
      { name: 'udp', protocol: 'udp', listen: ['10.91.1.1:8000'], routes: [{ upstream: 'back' }] },
    ],
  }));
  await spawnIn(ns.rel, [process.execPath, RELAY_MAIN, '--config', cfgFile]);
  const client = `
    const net = require('net'), dgram = require('dgram');
    const s = net.connect(8000, '10.91.1.1'); let out = '';
    s.on('data', (d) => out += d);
    s.on('close', () => {
      const u = dgram.createSocket('udp4');
      u.bind(40123, '10.91.1.2', () => u.send('q', 8000, '10.91.1.1'));
      u.on('message', (m) => { console.log(out.trim() + ' ' + m); process.exit(0); });
    });
    setTimeout(() => { console.log('TIMEOUT ' + out); process.exit(1); }, 15000);`;
  const out = inNs(ns.cli, process.execPath, '-e', client).trim();
  assert.equal(out, 'tcp-from=10.91.1.2 udp-from=10.91.1.2:40123');
});
