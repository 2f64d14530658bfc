// Whole-process helpers for the relay tests: run edge-relay, nginx (stream
// module) and HAProxy as child processes on loopback ports, each with its config
// and logs in its own temp dir. Every process is killed by the test that started it.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { REPO_ROOT, tempDir } from './helpers/paths.js';

export const RELAY_MAIN = join(REPO_ROOT, 'packages', 'relay', 'dist', 'main.js');
const NGINX_STREAM = '/usr/lib/nginx/modules/ngx_stream_module.so';

export interface LogLine { msg: string; [k: string]: unknown }

export interface RelayProc {
  proc: ChildProcess;
  logs: LogLine[];
  dir: string;
  /** Bound port of a listener's first address. */
  port(listener: string): number;
  waitLog(pred: (l: LogLine) => boolean, ms?: number): Promise<LogLine>;
  /** Rewrites the config and sends SIGHUP; resolves with the reload outcome line. */
  reload(config: object): Promise<LogLine>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  rssKb(): number;
}

/**
 * `node` runs the relay with another Node binary (argv prefix, e.g. qemu-user and
 * an arm64 node: test/linux-arm.test.ts); `startMs` is how long it may take to listen.
 */
export async function startRelay(config: object, opts: { env?: Record<string, string>; node?: string[]; startMs?: number } = {}): Promise<RelayProc> {
  const t = tempDir('relay');
  const file = join(t.dir, 'relay.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  const [cmd, ...pre] = opts.node ?? [process.execPath];
  const proc = spawn(cmd!, [...pre, RELAY_MAIN, '--config', file], { env: { ...process.env, LOG_LEVEL: 'info', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  const waiters: Array<() => void> = [];
  let stderr = '';
  let partial = '';
  proc.stdout!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const l of lines) if (l.trim()) { try { logs.push(JSON.parse(l)); } catch { logs.push({ msg: l }); } }
    waiters.splice(0).forEach((w) => w());
  });
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => { waiters.splice(0).forEach((w) => w()); resolve(code); }));
  const waitLog = (pred: (l: LogLine) => boolean, ms = 5000) => new Promise<LogLine>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay log line not seen in ${ms} ms; stderr: ${stderr}; last logs: ${JSON.stringify(logs.slice(-5))}`)), ms);
    const check = () => {
      const hit = logs.find(pred);
      if (hit) { clearTimeout(timer); resolve(hit); return; }
      if (proc.exitCode !== null) { clearTimeout(timer); reject(new Error(`relay exited ${proc.exitCode}: ${stderr}`)); return; }
      waiters.push(check);
    };
    check();
  });
  const started = await waitLog((l) => l.msg === 'relay listening', opts.startMs ?? 8000).catch(async (e) => { proc.kill('SIGKILL'); throw e; });
  const listeners = started.listeners as Record<string, string[]>;
  return {
    proc, logs, dir: t.dir, waitLog,
    port: (name) => Number(listeners[name]![0]!.split(':').pop()),
    async reload(next) {
      const mark = logs.length;
      writeFileSync(file, JSON.stringify(next, null, 2));
      proc.kill('SIGHUP');
      return waitLog((l) => logs.indexOf(l) >= mark && /^reload rejected|^configuration reloaded/.test(l.msg));
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null) proc.kill(signal);
      const kill = setTimeout(() => proc.kill('SIGKILL'), 15000);
      const code = await exited;
      clearTimeout(kill);
      t.remove();
      return code;
    },
    rssKb() {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
      return Number(m![1]);
    },
  };
}

export interface PeerProc { dir: string; stop(): Promise<void>; file(name: string): string }

async function startPeer(cmd: string, args: string[], dir: string, remove: () => void, ports: number[]): Promise<PeerProc> {
  let out = '';
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  for (const p of ports) await waitPort(p, 5000).catch((e) => { proc.kill('SIGKILL'); throw new Error(`${cmd} did not listen on ${p}: ${e.message}; output: ${out}`); });
  return {
    dir,
    file: (name) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : ''),
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(kill);
      remove();
    },
  };
}

/** nginx in the foreground, one process; `body` holds stream{} / http{} blocks. */
export async function startNginx(body: string, ports: number[]): Promise<PeerProc> {
  const t = tempDir('nginx');
  const conf = `load_module ${NGINX_STREAM};
daemon off;
master_process off;
worker_processes 1;
pid ${t.dir}/nginx.pid;
error_log ${t.dir}/error.log info;
events { worker_connections 1024; }
${body.replaceAll('$DIR', t.dir)}
`;
  writeFileSync(join(t.dir, 'nginx.conf'), conf);
  return startPeer('nginx', ['-p', t.dir, '-c', join(t.dir, 'nginx.conf'), '-e', join(t.dir, 'error.log')], t.dir, t.remove, ports);
}

/** HAProxy in the foreground (-db); `body` holds frontends and backends. */
export async function startHaproxy(body: string, ports: number[]): Promise<PeerProc> {
  const t = tempDir('haproxy');
  const conf = `global
  nbthread 1
defaults
  mode tcp
  timeout connect 2s
  timeout client 10s
  timeout server 10s
${body}
`;
  writeFileSync(join(t.dir, 'haproxy.cfg'), conf);
  return startPeer('haproxy', ['-db', '-f', join(t.dir, 'haproxy.cfg')], t.dir, t.remove, ports);
}

export function waitPort(port: number, ms: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect(port, host);
      s.once('connect', () => { s.destroy(); resolve(); });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} not open after ${ms} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Connects, writes `data` (pieces with pauses when given an array), reads until the peer closes. */
export function exchange(port: number, data: Buffer | Buffer[] | string, o: { host?: string; gapMs?: number; timeoutMs?: number; end?: boolean } = {}): Promise<{ text: string; local: number; closed: 'end' | 'error' | 'timeout' }> {
  return new Promise((resolve) => {
    const s: Socket = connect(port, o.host ?? '127.0.0.1');
    const chunks: Buffer[] = [];
    let local = 0;
    const done = (closed: 'end' | 'error' | 'timeout') => { clearTimeout(timer); s.destroy(); resolve({ text: Buffer.concat(chunks).toString('latin1'), local, closed }); };
    const timer = setTimeout(() => done('timeout'), o.timeoutMs ?? 5000);
    s.on('connect', async () => {
      local = s.localPort!;
      const parts = Array.isArray(data) ? data : [typeof data === 'string' ? Buffer.from(data) : data];
      for (const p of parts) {
        if (s.destroyed) return;
        s.write(p);
        if (o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs));
      }
      if (o.end) s.end();
    });
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => done('end'));
    s.on('error', () => done('error'));
  });
}

/** A stream server block answering with what nginx read from the PROXY header. */
export function nginxEchoProxyProtocol(port: number): string {
  return `stream {
  log_format pp '$proxy_protocol_addr $proxy_protocol_port $remote_addr';
  access_log $DIR/stream.log pp;
  server {
    listen 127.0.0.1:${port} proxy_protocol;
    return "pp=$proxy_protocol_addr:$proxy_protocol_port remote=$remote_addr\\n";
  }
}`;
}
