// PowerDNS Authoritative (Debian pdns_server, bind backend) as a reference
// server: same zone files, private temp dir, loopback port, no syslog, no
// outside traffic (security polling off).
import { readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startProcess, type Proc } from './process.js';
import { freePort } from './ports.js';
import { tempDir } from './paths.js';
import { waitForAnswer } from './raw.js';

export const PDNS_SERVER = '/usr/sbin/pdns_server';

export interface PdnsOptions {
  zonesDir: string;
  port?: number;
  /** Packet and query caches on (benchmarks); off by default so answers follow the files. */
  cache?: boolean;
  args?: string[];
}

export interface Pdns {
  host: string;
  port: number;
  pid: number;
  proc: Proc;
  stop(): Promise<void>;
}

/** named.conf listing every "<origin>.zone" file of the directory as a master zone. */
export function namedConf(zonesDir: string): string {
  const dir = resolve(zonesDir);
  const zones = readdirSync(dir).filter((f) => f.endsWith('.zone')).sort();
  return [
    `options { directory "${dir}"; };`,
    ...zones.map((f) => `zone "${f.slice(0, -'.zone'.length)}" { type master; file "${join(dir, f)}"; };`),
    '',
  ].join('\n');
}

export function pdnsArgs(confFile: string, socketDir: string, host: string, port: number, cache: boolean): string[] {
  const ttl = cache ? '60' : '0';
  return [
    '--no-config', '--daemon=no', '--guardian=no', `--socket-dir=${socketDir}`, `--config-dir=${socketDir}`,
    `--local-address=${host}`, `--local-port=${port}`,
    '--launch=bind', `--bind-config=${confFile}`, '--bind-check-interval=0',
    '--disable-syslog', '--log-timestamp=no', '--loglevel=4',
    `--cache-ttl=${ttl}`, `--query-cache-ttl=${ttl}`, `--negquery-cache-ttl=${ttl}`,
    '--edns-subnet-processing=yes', '--security-poll-suffix=', '--webserver=no', '--api=no',
  ];
}

export async function startPdns(opts: PdnsOptions): Promise<Pdns> {
  const host = '127.0.0.1';
  const port = opts.port ?? (await freePort(host));
  const tmp = tempDir('pdns');
  const conf = join(tmp.dir, 'named.conf');
  writeFileSync(conf, namedConf(opts.zonesDir));
  return launchPdns([...pdnsArgs(conf, tmp.dir, host, port, opts.cache ?? false), ...(opts.args ?? [])], tmp, host, port);
}

/**
 * Runs pdns_server with `args` (optionally pinned to `cpu` with taskset) and
 * resolves once it answers on host:port; on failure it is stopped, `tmp` removed,
 * and the error carries the end of its output.
 */
export async function launchPdns(args: string[], tmp: { remove(): void }, host: string, port: number, cpu?: number): Promise<Pdns> {
  const proc: Proc = cpu === undefined ? startProcess(PDNS_SERVER, args) : startProcess('taskset', ['-c', String(cpu), PDNS_SERVER, ...args]);
  const stop = async (): Promise<void> => {
    await proc.stop();
    tmp.remove();
  };
  try {
    await proc.waitForLine(/ready to distribute questions/, 15_000);
    await waitForAnswer({ host, port }, 10_000);
  } catch (err) {
    await stop();
    throw new Error(`pdns_server did not start: ${(err as Error).message}\n${proc.tail()}`);
  }
  return { host, port, pid: proc.pid, proc, stop };
}
