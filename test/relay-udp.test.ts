// UDP through the relay as whole processes: dig and dnsperf against a real
// PowerDNS (bind backend) behind it; PROXY v2 per datagram (go-mmproxy style)
// across a relay → relay chain; session idle timeout and cap.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { freePort } from './helpers/ports.js';
import { tempDir } from './helpers/paths.js';
import { startRelay, type RelayProc } from './relay-harness.js';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });
let dnsPort = 0;

before(async () => {
  const t = tempDir('pdns');
  dnsPort = await freePort();
  writeFileSync(join(t.dir, 'named.conf'), `zone "relay.test" { type master; file "${t.dir}/relay.test.zone"; };\n`);
  writeFileSync(join(t.dir, 'relay.test.zone'), `$TTL 300
@ IN SOA ns1.relay.test. hostmaster.relay.test. 1 3600 600 86400 300
@ IN NS ns1.relay.test.
ns1 IN A 192.0.2.53
www IN A 192.0.2.80
`);
  const p = spawn('pdns_server', ['--no-config', '--daemon=no', '--guardian=no', '--disable-syslog', '--write-pid=no', `--socket-dir=${t.dir}`,
    '--local-address=127.0.0.1', `--local-port=${dnsPort}`, '--launch=bind', `--bind-config=${t.dir}/named.conf`, '--loglevel=3'], { stdio: 'ignore' });
  const exited = new Promise((r) => p.on('exit', r));
  cleanups.push(async () => { p.kill('SIGTERM'); await exited; t.remove(); });
  for (let i = 0; i < 50; i++) {
    if (dig(dnsPort, 'www.relay.test') === '192.0.2.80') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('pdns_server did not answer');
});

function dig(port: number, name: string): string {
  try {
    return execFileSync('dig', ['@127.0.0.1', '-p', String(port), name, 'A', '+short', '+tries=1', '+time=1'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}
async function relay(cfg: object): Promise<RelayProc> {
  const r = await startRelay(cfg);
  cleanups.push(() => r.stop('SIGKILL'));
  return r;
}

test('dig through the relay; the session ends after idle_timeout with one log line', async () => {
  const r = await relay({
    upstreams: { dns: { servers: [`127.0.0.1:${dnsPort}`] } },
    listeners: [{ name: 'dns', protocol: 'udp', listen: ['127.0.0.1:0'], idle_timeout: '300ms', routes: [{ upstream: 'dns' }] }],
  });
  assert.equal(dig(r.port('dns'), 'www.relay.test'), '192.0.2.80');
  const line = await r.waitLog((l) => l.msg === 'session', 3000);
  assert.equal(line.reason, 'idle_timeout');
  assert.equal(line.upstream, `127.0.0.1:${dnsPort}`);
  assert.ok((line.bytes_in as number) > 20 && (line.bytes_out as number) > (line.bytes_in as number));
});

test('dnsperf through the relay: every query answered (bounded run)', async () => {
  const r = await relay({
    upstreams: { dns: { servers: [`127.0.0.1:${dnsPort}`] } },
    listeners: [{ name: 'dns', protocol: 'udp', listen: ['127.0.0.1:0'], routes: [{ upstream: 'dns' }] }],
  });
  const t = tempDir('dnsperf');
  writeFileSync(join(t.dir, 'q.txt'), 'www.relay.test A\nrelay.test SOA\nnx.relay.test A\n');
  const out = execFileSync('dnsperf', ['-s', '127.0.0.1', '-p', String(r.port('dns')), '-d', join(t.dir, 'q.txt'), '-n', '500', '-c', '4', '-l', '10', '-t', '2'], { encoding: 'utf8' });
  t.remove();
  const sent = Number(/Queries sent:\s+(\d+)/.exec(out)![1]);
  const done = Number(/Queries completed:\s+(\d+)/.exec(out)![1]);
  assert.equal(sent, 1500);
  assert.equal(done, sent, out);
});

test('PROXY v2 per datagram across PoP → Pi: the Pi sees the real client; datagrams without a header are dropped', async () => {
  const pi = await relay({
    upstreams: { dns: { servers: [`127.0.0.1:${dnsPort}`] } },
    listeners: [{ name: 'pi', protocol: 'udp', listen: ['127.0.0.1:0'], idle_timeout: '300ms', proxy_protocol: { trusted: ['127.0.0.1/32'] }, routes: [{ upstream: 'dns' }] }],
  });
  const pop = await relay({
    upstreams: { pi: { servers: [`127.0.0.1:${pi.port('pi')}`], proxy_protocol: 'v2' } },
    listeners: [{ name: 'pop', protocol: 'udp', listen: ['127.0.0.1:0'], idle_timeout: '300ms', routes: [{ upstream: 'pi' }] }],
  });
  // Query from a socket whose port we know, so the Pi's log can be checked against it.
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  const query = Buffer.from('abcd01000001000000000000037777770572656c6179047465737400000100 01'.replace(/ /g, ''), 'hex');
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer through PoP → Pi')), 3000);
    sock.once('message', (m) => { clearTimeout(timer); resolve(m); });
    sock.send(query, pop.port('pop'), '127.0.0.1');
  });
  sock.close();
  assert.equal(answer.readUInt16BE(0), 0xabcd);
  assert.equal(answer.readUInt16BE(6), 1); // one answer record
  assert.deepEqual([...answer.subarray(-4)], [192, 0, 2, 80]);
  const line = await pi.waitLog((l) => l.msg === 'session', 3000);
  assert.equal(line.proxied_client, `127.0.0.1:${port}`);
  // A trusted-only listener drops a plain datagram (no header) instead of answering it.
  assert.equal(dig(pi.port('pi'), 'www.relay.test'), '');
});

test('UDP session cap: sessions beyond max_connections are dropped, existing ones keep working', async () => {
  const r = await relay({
    admin: `127.0.0.1:${await freePort()}`,
    upstreams: { dns: { servers: [`127.0.0.1:${dnsPort}`] } },
    listeners: [{ name: 'dns', protocol: 'udp', listen: ['127.0.0.1:0'], max_connections: 1, idle_timeout: '5s', routes: [{ upstream: 'dns' }] }],
  });
  const a = createSocket('udp4');
  await new Promise<void>((res) => a.bind(0, '127.0.0.1', () => res()));
  const ask = (s: typeof a) => new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 800);
    s.once('message', () => { clearTimeout(timer); resolve(true); });
    s.send(Buffer.from('abcd01000001000000000000037777770572656c61790474657374000001000' + '1', 'hex'), r.port('dns'), '127.0.0.1');
  });
  assert.equal(await ask(a), true);
  assert.equal(dig(r.port('dns'), 'www.relay.test'), ''); // a second client: over the cap
  assert.equal(await ask(a), true); // the first session still works
  a.close();
});

test('SIGHUP keeps a live UDP session: the same client keeps its session across a reload', async () => {
  const cfg = (idle: string) => ({
    upstreams: { dns: { servers: [`127.0.0.1:${dnsPort}`] } },
    listeners: [{ name: 'dns', protocol: 'udp', listen: ['127.0.0.1:0'], idle_timeout: idle, routes: [{ upstream: 'dns' }] }],
  });
  const r = await relay(cfg('2s'));
  const port = r.port('dns');
  const s = createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
  const ask = () => new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 1000);
    s.once('message', () => { clearTimeout(timer); resolve(true); });
    s.send(Buffer.from('abcd01000001000000000000037777770572656c6179047465737400000100' + '01', 'hex'), port, '127.0.0.1');
  });
  assert.equal(await ask(), true);
  // Same listen address: the socket and its sessions stay; the new snapshot applies to new sessions.
  const reloaded = await r.reload(cfg('2s'));
  assert.equal(reloaded.msg, 'configuration reloaded');
  assert.equal(await ask(), true);
  s.close();
  await new Promise((res) => setTimeout(res, 2600));
  assert.equal(r.logs.filter((l) => l.msg === 'session').length, 1); // one session, not two
});
