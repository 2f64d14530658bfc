// Starts the real geodns program (packages/geodns/dist/main.js) on a free
// loopback port and waits until it answers a UDP query.
import { startProcess, type Proc } from './process.js';
import { freePort } from './ports.js';
import { GEODNS_MAIN } from './paths.js';
import { waitForAnswer } from './raw.js';
import type { Server } from './dig.js';

export interface GeodnsOptions {
  /** --zones DIR; omitted = the embedded default (packages/geodns/zones). */
  zonesDir?: string;
  /** Extra flags, after the ones the helper adds. */
  args?: string[];
  env?: Record<string, string>;
  /** Serve metrics on a free port too. */
  metrics?: boolean;
  /** Listen addresses; default one free 127.0.0.1 port. The first is `udp`/`tcp`. */
  listen?: Server[];
  /** How long to wait for the first answer. */
  readyTimeoutMs?: number;
  /** Node flags before the script, e.g. geodns's NODE_FLAGS as production starts it (default none). */
  nodeFlags?: readonly string[];
  /** Another Node to run it with, as an argv prefix (qemu-user and an arm64 node: test/linux-arm.test.ts). */
  node?: readonly string[];
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface Geodns extends Server {
  pid: number;
  proc: Proc;
  udp: Server;
  tcp: Server;
  metricsUrl?: string;
  /** The JSON log lines so far (non-JSON lines are kept as { level: -1, msg }). */
  logs(): LogLine[];
  /** Waits for a log line whose parsed JSON satisfies `match`. */
  waitForLog(match: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  stop(): Promise<void>;
}

export function parseLogLine(line: string): LogLine {
  try {
    const v = JSON.parse(line) as LogLine;
    if (v && typeof v === 'object') return v;
  } catch { /* not JSON */ }
  return { level: -1, msg: line };
}

export function hostPort(s: Server): string {
  return s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}

export async function startGeodns(opts: GeodnsOptions = {}): Promise<Geodns> {
  const listen = opts.listen ?? [{ host: '127.0.0.1', port: await freePort() }];
  const args = listen.flatMap((l) => ['--listen', hostPort(l)]);
  if (opts.zonesDir) args.push('--zones', opts.zonesDir);
  let metricsUrl: string | undefined;
  if (opts.metrics) {
    const mport = await freePort();
    args.push('--metrics', `127.0.0.1:${mport}`);
    metricsUrl = `http://127.0.0.1:${mport}/metrics`;
  }
  args.push(...(opts.args ?? []));
  // The test runner sets LOG_LEVEL=silent for itself; the server must still log.
  const [cmd, ...pre] = opts.node ?? [process.execPath];
  const proc = startProcess(cmd!, [...pre, ...(opts.nodeFlags ?? []), GEODNS_MAIN, ...args], { env: { ...process.env, LOG_LEVEL: 'info', ...opts.env } });
  const first = listen[0]!;
  const logs = (): LogLine[] => proc.stdout.map(parseLogLine);
  const g: Geodns = {
    host: first.host,
    port: first.port,
    udp: first,
    tcp: first,
    pid: proc.pid,
    proc,
    ...(metricsUrl ? { metricsUrl } : {}),
    logs,
    async waitForLog(match, timeoutMs = 10_000) {
      const line = await proc.waitForLine((l) => match(parseLogLine(l)), timeoutMs);
      return parseLogLine(line);
    },
    async stop() {
      await proc.stop();
    },
  };
  try {
    await waitForAnswer(first, opts.readyTimeoutMs ?? 15_000, () => !proc.alive());
  } catch (err) {
    await proc.stop();
    throw new Error(`geodns did not start: ${(err as Error).message}\n${proc.tail()}`);
  }
  return g;
}
