// Transparent mode end to end: client, relay and backend are network namespaces
// joined by veth pairs. The relay (IP_TRANSPARENT via @geoedge/linux) connects to the
// backend with the client's address as source; the backend's accepted TCP socket
// and its UDP peer address report the client, not the relay. Needs root + iproute2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from './helpers/paths.js';
import { netnsUnavailable } from './helpers/netns.js';
import { createRoutedNet, type RoutedNet } from './helpers/netns-routed.js';
import { RELAY_MAIN } from './relay-harness.js';

const tag = `ge${process.pid % 100000}`;
const SETUP = join(REPO_ROOT, 'deploy', 'transparent', 'setup.sh');
const TEARDOWN = join(REPO_ROOT, 'deploy', 'transparent', 'teardown.sh');
const tmp = tempDir('tproxy');
const skip = netnsUnavailable();
let net: RoutedNet | undefined;

before(() => {
  if (skip) return;
  // The relay terminates both legs itself: no forwarding, and the backend's way back
  // to the client's network is what deploy/transparent/setup.sh sets.
  net = createRoutedNet(tag, { client: ['10.91.1.2/24'], router: { client: ['10.91.1.1/24'], server: ['10.91.2.1/24'] }, server: ['10.91.2.2/24'] });
  net.exec('router', ['bash', SETUP, 'relay', net.routerDev.server]);
  net.exec('server', ['bash', SETUP, 'backend', '10.91.2.1', '10.91.1.0/24']);
});

after(() => {
  if (net) {
    try { net.exec('router', ['bash', TEARDOWN, 'relay', net.routerDev.server]); } catch { /* namespace goes anyway */ }
    net.destroy();
  }
  tmp.remove();
});

/** Starts a process in a namespace and waits for its ready line (the runner sets LOG_LEVEL silent). */
async function spawnIn(host: 'router' | 'server', args: string[]): Promise<void> {
  await net!.spawn(host, args, { LOG_LEVEL: 'info' }).waitFor(/READY|relay listening/);
}

test('TCP and UDP: the backend sees the client address through a transparent relay', async (t) => {
  if (skip || !net) return t.skip(skip);
  const backend = `
    const net = require('net'), dgram = require('dgram');
    net.createServer((s) => s.end('tcp-from=' + s.remoteAddress + '\\n')).listen(9000, '10.91.2.2');
    const u = dgram.createSocket('udp4');
    u.on('message', (m, r) => u.send('udp-from=' + r.address + ':' + r.port, r.port, r.address));
    u.bind(9000, '10.91.2.2', () => console.log('READY'));`;
  await spawnIn('server', [process.execPath, '-e', backend]);
  const cfgFile = join(tmp.dir, 'relay.json');
  writeFileSync(cfgFile, JSON.stringify({
    upstreams: { back: { servers: ['10.91.2.2:9000'], transparent: true } },
    listeners: [
      { name: 'tcp', listen: ['10.91.1.1:8000'], routes: [{ upstream: 'back' }] },
      { name: 'udp', protocol: 'udp', listen: ['10.91.1.1:8000'], routes: [{ upstream: 'back' }] },
    ],
  }));
  await spawnIn('router', [process.execPath, RELAY_MAIN, '--config', cfgFile]);
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
  const out = net.exec('client', [process.execPath, '-e', client], 0).trim();
  assert.equal(out, 'tcp-from=10.91.1.2 udp-from=10.91.1.2:40123');
});
