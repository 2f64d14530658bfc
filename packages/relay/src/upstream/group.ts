// An upstream group: its servers, the balancer, and which servers may be tried
// now (primaries first; backups only when no primary is available).
import type { UpstreamConfig } from '../config.js';
import { consistentHash, leastConn, roundRobin, type Balancer } from './balancer.js';
import { UpstreamServer } from './server.js';

export class UpstreamGroup {
  readonly servers: UpstreamServer[];
  private readonly primaries: UpstreamServer[];
  private readonly backups: UpstreamServer[];
  private readonly primaryBalancer: Balancer;
  private readonly backupBalancer: Balancer;

  constructor(readonly cfg: UpstreamConfig, previous?: UpstreamGroup) {
    this.servers = cfg.servers.map((s) => new UpstreamServer(s));
    if (previous) {
      for (const s of this.servers) {
        const old = previous.servers.find((o) => o.cfg.address === s.cfg.address);
        if (old) s.adopt(old);
      }
    }
    this.primaries = this.servers.filter((s) => !s.cfg.backup);
    this.backups = this.servers.filter((s) => s.cfg.backup);
    const make = (list: UpstreamServer[]) =>
      cfg.balance === 'hash' ? consistentHash(list) : cfg.balance === 'least_conn' ? leastConn() : roundRobin();
    this.primaryBalancer = make(this.primaries);
    this.backupBalancer = make(this.backups);
  }

  /** The next server to try, skipping `tried`; undefined when none is left. */
  pick(clientIp: string, tried: ReadonlySet<UpstreamServer>, now = Date.now()): UpstreamServer | undefined {
    // The usual first pick (nothing tried, every primary up) builds no candidate list.
    if (tried.size === 0 && allAvailable(this.primaries, now)) return this.primaryBalancer.pick(this.primaries, clientIp);
    const p = this.primaries.filter((s) => !tried.has(s) && s.available(now));
    if (p.length) return this.primaryBalancer.pick(p, clientIp);
    const b = this.backups.filter((s) => !tried.has(s) && s.available(now));
    if (b.length) return this.backupBalancer.pick(b, clientIp);
    // Everything is marked down: like nginx, try the primaries anyway rather than refuse.
    const any = this.primaries.filter((s) => !tried.has(s));
    return any.length && tried.size === 0 ? this.primaryBalancer.pick(any, clientIp) : undefined;
  }
}

/** A loop, not every(): no closure on the per-connection path. */
function allAvailable(list: UpstreamServer[], now: number): boolean {
  if (list.length === 0) return false;
  for (const s of list) if (!s.available(now)) return false;
  return true;
}
