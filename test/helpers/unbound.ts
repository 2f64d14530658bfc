// Debian's unbound as a real validating resolver for tests: loopback only, no
// root hints used (every name asked is under a stub-zone pointing at the
// server under test), trust anchors given as DS or DNSKEY lines.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, type Proc } from './process.js';
import { freePort } from './ports.js';
import { tempDir } from './paths.js';
import { waitForAnswer } from './raw.js';
import type { Server } from './dig.js';

export interface UnboundOptions {
  /** Zones sent to `target` (stub-zone), e.g. ["example.test"]. */
  stubs: string[];
  target: Server;
  /** Trust anchors in zone-file form: "example.test. DS 1234 13 2 ab…". */
  anchors: string[];
}

export interface Unbound extends Server {
  proc: Proc;
  stop(): Promise<void>;
}

export async function startUnbound(opts: UnboundOptions): Promise<Unbound> {
  const tmp = tempDir('unbound');
  const port = await freePort();
  const conf = [
    'server:',
    '  interface: 127.0.0.1', `  port: ${port}`, '  do-ip6: no',
    '  do-daemonize: no', '  use-syslog: no', '  logfile: ""', '  chroot: ""', '  username: ""',
    `  directory: "${tmp.dir}"`, `  pidfile: "${join(tmp.dir, 'unbound.pid')}"`,
    '  do-not-query-localhost: no', '  access-control: 127.0.0.0/8 allow',
    '  module-config: "validator iterator"', '  val-log-level: 2', '  verbosity: 1',
    '  qname-minimisation: no', '  minimal-responses: no', '  cache-max-ttl: 5', '  cache-max-negative-ttl: 5',
    // Every zone we ask for has an anchor or a stub; nothing may go to the root.
    '  harden-referral-path: no', '  target-fetch-policy: "0 0 0 0 0"',
    ...opts.anchors.map((a) => `  trust-anchor: "${a}"`),
    // Only the stubs resolve: anything else is refused here, never sent to the root servers.
    '  local-zone: "." refuse',
    ...opts.stubs.map((z) => `  local-zone: "${z}" transparent`),
    'remote-control:', '  control-enable: no',
    ...opts.stubs.flatMap((z) => ['stub-zone:', `  name: "${z}"`, `  stub-addr: ${opts.target.host}@${opts.target.port}`]),
    '',
  ].join('\n');
  const file = join(tmp.dir, 'unbound.conf');
  writeFileSync(file, conf);
  const proc = startProcess('/usr/sbin/unbound', ['-d', '-c', file]);
  const stop = async () => { await proc.stop(); tmp.remove(); };
  try {
    await waitForAnswer({ host: '127.0.0.1', port }, 15_000, () => !proc.alive());
  } catch (err) {
    await stop();
    throw new Error(`unbound did not start: ${(err as Error).message}\n${conf}\n${proc.tail()}`);
  }
  return { host: '127.0.0.1', port, proc, stop };
}
