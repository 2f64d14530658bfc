// A child process whose output is kept line by line, so tests can wait for a
// log line and show the logs when something fails.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every stdout line so far. */
  readonly stdout: string[];
  /** Every stderr line so far. */
  readonly stderr: string[];
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** True until the process exits. */
  alive(): boolean;
  /** Waits for a stdout/stderr line matching `match` (lines already seen count). */
  waitForLine(match: RegExp | ((line: string) => boolean), timeoutMs?: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves on exit. */
  stop(graceMs?: number): Promise<Exit>;
  /** The last lines of output, for failure messages. */
  tail(n?: number): string;
}

export function startProcess(cmd: string, args: string[], opts: SpawnOptions = {}): Proc {
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<(line: string) => void>();
  let exit: Exit | undefined;
  const collect = (stream: NodeJS.ReadableStream | null, into: string[]): void => {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        into.push(line);
        for (const w of [...waiters]) w(line);
      }
    });
  };
  collect(child.stdout, stdout);
  collect(child.stderr, stderr);
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
    child.once('error', (err) => {
      stderr.push(`spawn error: ${err.message}`);
      exit = { code: -1, signal: null };
      resolve(exit);
    });
  });

  const proc: Proc = {
    child,
    pid: child.pid ?? -1,
    stdout,
    stderr,
    exited,
    alive: () => exit === undefined,
    waitForLine(match, timeoutMs = 10_000) {
      const test = typeof match === 'function' ? match : (l: string) => match.test(l);
      const seen = [...stdout, ...stderr].find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const done = (fn: () => void): void => { clearTimeout(timer); waiters.delete(waiter); fn(); };
        const waiter = (line: string): void => { if (test(line)) done(() => resolve(line)); };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no log line matching ${String(match)} within ${timeoutMs} ms; last output:\n${proc.tail()}`))),
          timeoutMs,
        );
        waiters.add(waiter);
        void exited.then((e) => done(() => reject(new Error(`process exited (${e.code ?? e.signal}) before a line matched ${String(match)}:\n${proc.tail()}`))));
      });
    },
    async stop(graceMs = 5000) {
      if (exit) return exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const e = await exited;
      clearTimeout(timer);
      return e;
    },
    tail(n = 30) {
      return [...stdout.slice(-n).map((l) => `out| ${l}`), ...stderr.slice(-n).map((l) => `err| ${l}`)].join('\n');
    },
  };
  return proc;
}

/** Runs a command to completion and returns its output (never throws on a non-zero exit). */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', (e) => { err += `spawn error: ${e.message}`; });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout: out, stderr: err }); });
    // A command that exits without reading stdin (dig does) makes this write fail
    // with EPIPE; its output and exit code are what the caller wants.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}
