// Shared pieces of the DNS benchmarks (dns.mjs, dns-lua.mjs, dns-udp-batch.mjs):
// CPU pinning, free ports, query encoding for dnsperf -B, starting a server and
// waiting until it answers, and the PowerDNS flags every benchmark uses.
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';

/** Servers go on CPU 0, dnsperf on CPU 1, when the machine has two CPUs and taskset works. */
export const PIN = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

export function pinned(cpu, cmd, args) {
  return PIN ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

export function encodeName(name) {
  const parts = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/** A wire-format A query with an OPT carrying ECS a.b.c.0/24 (RFC 7871 §6), length-prefixed for dnsperf -B; `dnssecOk` sets DO. */
export function ecsQuery(name, a, b, c, dnssecOk = false) {
  const header = Buffer.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
  const question = Buffer.concat([encodeName(name), Buffer.from([0, 1, 0, 1])]);
  const ecs = Buffer.from([0, 8, 0, 7, 0, 1, 24, 0, a, b, c]);
  const opt = Buffer.concat([Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, dnssecOk ? 0x80 : 0, 0, 0, ecs.length]), ecs]);
  const msg = Buffer.concat([header, question, opt]);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

/** True when something on `port` answers a SOA query for `zone` within 300 ms. */
function answers(port, zone) {
  return new Promise((res) => {
    const sock = createSocket('udp4');
    const q = Buffer.concat([Buffer.from([0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), encodeName(zone), Buffer.from([0, 6, 0, 1])]);
    const t = setTimeout(() => { sock.close(); res(false); }, 300);
    sock.on('message', () => { clearTimeout(t); sock.close(); res(true); });
    sock.send(q, port, '127.0.0.1');
  });
}

/** PowerDNS flags shared by every benchmark: no config file, foreground, quiet, no network beyond loopback. */
export function pdnsArgs({ tmp, port, launch, extra = [] }) {
  return [
    '--no-config', '--daemon=no', '--guardian=no', `--socket-dir=${tmp}`, `--config-dir=${tmp}`,
    '--local-address=127.0.0.1', `--local-port=${port}`, `--launch=${launch}`,
    '--disable-syslog', '--loglevel=3', '--security-poll-suffix=', '--webserver=no', '--api=no',
    ...extra,
  ];
}

/** Spawns [cmd, args] and resolves once it answers for `zone` on `port` (20 s at most). */
export async function startAnswering(kind, [cmd, args], port, zone) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const deadline = Date.now() + 20_000;
  while (!(await answers(port, zone))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${kind} did not start:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    port,
    stderr: () => stderr,
    stop: () => new Promise((r) => {
      if (child.exitCode !== null) return r();
      child.once('exit', r);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }),
  };
}
