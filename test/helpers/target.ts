// The server under test. geodns by default; GEOEDGE_DNS_TARGET=pdns runs the
// same whole-process tests against PowerDNS, to tell test mistakes from server
// bugs (tests that check geodns-only choices say so and skip there).
import { startGeodns, type Geodns, type GeodnsOptions } from './geodns.js';
import { startPdns } from './pdns.js';
import { DEFAULT_ZONES } from './paths.js';
import type { Server } from './dig.js';

export type TargetKind = 'geodns' | 'pdns';

export const TARGET: TargetKind = process.env.GEOEDGE_DNS_TARGET === 'pdns' ? 'pdns' : 'geodns';

export interface Target extends Server {
  kind: TargetKind;
  pid: number;
  alive(): boolean;
  /** geodns only: the running process with its logs. */
  geodns?: Geodns;
  stop(): Promise<void>;
}

export async function startTarget(opts: GeodnsOptions = {}): Promise<Target> {
  if (TARGET === 'pdns') {
    const p = await startPdns({ zonesDir: opts.zonesDir ?? DEFAULT_ZONES });
    return { kind: 'pdns', host: p.host, port: p.port, pid: p.pid, alive: () => p.proc.alive(), stop: p.stop };
  }
  const g = await startGeodns(opts);
  return { kind: 'geodns', host: g.host, port: g.port, pid: g.pid, alive: () => g.proc.alive(), geodns: g, stop: g.stop };
}
