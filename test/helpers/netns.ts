// Test hosts as network namespaces on one L2 segment: a bridge in a namespace
// of its own, one veth per host. Addresses exist only inside these namespaces
// (nothing is routed out of them); everything is deleted by destroy(), which
// is safe to call after a partial setup. Needs root and iproute2.
// (netns-routed.ts builds a client — router — server topology on namespaceOps.)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export interface TestNet {
  /** Runs a command in a host's namespace and returns its stdout (throws on non-zero exit). */
  exec(host: string, args: string[], opts?: number | ExecOptions): string;
  /** Same, but resolves with the exit code and output instead of throwing. */
  run(host: string, args: string[], timeoutMs?: number): Promise<{ code: number | null; out: string }>;
  /** Starts a long-running process in a host's namespace; killed by destroy(). Its stdin is /dev/null unless `stdin` (then child.stdin is a pipe). */
  spawn(host: string, args: string[], env?: NodeJS.ProcessEnv, opts?: { stdin?: boolean }): HostProc;
  destroy(): void;
}

/** exec's options; a bare number is timeoutMs. */
export interface ExecOptions {
  /** Default 20 s; 0 waits as long as the command runs. */
  timeoutMs?: number;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin. */
  input?: string;
}

export interface HostProc {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves when the output matches, rejects when the process exits or the time runs out. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  kill(): void;
}

export const sh = (args: string[], opts: number | ExecOptions = {}): string => {
  const { timeoutMs = 20_000, env, input } = typeof opts === 'number' ? { timeoutMs: opts } : opts;
  return execFileSync(args[0]!, args.slice(1), {
    encoding: 'utf8', stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: timeoutMs, input, env: env && { ...process.env, ...env },
  });
};

/** Why namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (ip netns)';
  try {
    sh(['ip', 'netns', 'list']);
    return undefined;
  } catch (err) {
    return `ip netns unavailable: ${(err as Error).message}`;
  }
}

/**
 * Creates one namespace per host (`<tag>-<host>`), each with address `ip/24`
 * on a veth joined to a bridge. Host names are short words (they name devices).
 */
export function createTestNet(tag: string, hosts: Record<string, string>): TestNet {
  const names: string[] = [];
  const nsOf = (h: string) => `${tag}-${h}`;
  const lan = nsOf('lan');
  const net = namespaceOps(nsOf, names);
  try {
    sh(['ip', 'netns', 'add', lan]);
    names.push(lan);
    sh(['ip', 'netns', 'exec', lan, 'ip', 'link', 'add', 'br0', 'type', 'bridge']);
    sh(['ip', 'netns', 'exec', lan, 'ip', 'link', 'set', 'br0', 'up']);
    for (const [i, [host, ip]] of Object.entries(hosts).entries()) {
      const ns = nsOf(host);
      sh(['ip', 'netns', 'add', ns]);
      names.push(ns);
      const port = `p${i}`;
      sh(['ip', 'link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', lan]);
      sh(['ip', 'netns', 'exec', lan, 'ip', 'link', 'set', port, 'master', 'br0', 'up']);
      sh(['ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'eth0', 'up']);
      sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    }
  } catch (err) {
    net.destroy();
    throw err;
  }
  return net;
}

/** One namespace `<tag>-<host>` with nothing but lo (up), for tests whose traffic stays inside it. */
export function createHostNs(tag: string, host: string): TestNet {
  const ns = `${tag}-${host}`;
  const names: string[] = [];
  const net = namespaceOps((h) => `${tag}-${h}`, names);
  try {
    sh(['ip', 'netns', 'add', ns]);
    names.push(ns);
    net.exec(host, ['ip', 'link', 'set', 'lo', 'up']);
  } catch (err) {
    net.destroy();
    throw err;
  }
  return net;
}

/**
 * exec/run/spawn in the namespace `nsOf(host)`; destroy() kills what spawn
 * started and deletes the namespaces in `names` (filled in by the caller as
 * it makes them), newest first.
 */
export function namespaceOps(nsOf: (host: string) => string, names: string[]): TestNet {
  const procs: HostProc[] = [];
  return {
    exec: (host, args, opts) => sh(['ip', 'netns', 'exec', nsOf(host), ...args], opts),
    run: (host, args, timeoutMs = 20_000) => new Promise((resolve) => {
      const c = spawn('ip', ['netns', 'exec', nsOf(host), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (out += d));
      const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
      c.on('close', (code) => { clearTimeout(t); resolve({ code, out }); });
    }),
    spawn(host, args, env, opts) {
      const child = spawn('ip', ['netns', 'exec', nsOf(host), ...args], { stdio: [opts?.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
      let out = '';
      const waiters = new Set<() => void>();
      const onData = (d: Buffer) => { out += d; for (const w of waiters) w(); };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      const p: HostProc = {
        child,
        output: () => out,
        waitFor: (re, timeoutMs = 20_000) => new Promise((resolve, reject) => {
          const done = (err?: Error) => { clearTimeout(t); waiters.delete(check); child.off('exit', onExit); if (err) reject(err); else resolve(); };
          const check = () => { if (re.test(out)) done(); };
          const onExit = (code: number | null) => done(new Error(`${args.join(' ')} in ${host} exited ${code} before ${re}:\n${out.slice(-2000)}`));
          const t = setTimeout(() => done(new Error(`${args.join(' ')} in ${host}: no ${re} within ${timeoutMs} ms:\n${out.slice(-2000)}`)), timeoutMs);
          waiters.add(check);
          child.once('exit', onExit);
          check();
        }),
        kill: () => { if (child.exitCode === null) child.kill('SIGKILL'); },
      };
      procs.push(p);
      return p;
    },
    destroy() {
      for (const p of procs) p.kill();
      for (const n of names.reverse()) { try { sh(['ip', 'netns', 'del', n]); } catch { /* already gone */ } }
    },
  };
}
