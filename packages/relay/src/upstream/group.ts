// An upstream group: its servers, the balancer, and which servers may be tried
// now (primaries first; backups only when no primary is available).
import type { UpstreamConfig } from '../config.js';
import { consistentHash, leastConn, roundRobin, type Balancer } from './balancer.js';
import { UpstreamServer } from './server.js';
import type { ProxyAddress } from '../wire/proxy-types.js';

/** Original-destination servers kept for reuse (one per destination, not per connection). */
const DEST_CACHE_MAX = 4096;

export class UpstreamGroup {
  readonly servers: UpstreamServer[];
  private readonly primaries: UpstreamServer[];
  private readonly backups: UpstreamServer[];
  private readonly primaryBalancer: Balancer;
  private readonly backupBalancer: Balancer;
  /** original_destination: a server object per destination seen, bounded (cleared when full). */
  private readonly byDest: Map<string, UpstreamServer> | undefined;

  constructor(readonly cfg: UpstreamConfig, previous?: UpstreamGroup) {
    this.servers = cfg.servers.map((s) => new UpstreamServer(s));
    if (cfg.originalDestination) this.byDest = new Map();
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
  pick(clientIp: string, tried: ReadonlySet<UpstreamServer>, now = Date.now(), dest?: ProxyAddress): UpstreamServer | undefined {
    if (this.byDest) return tried.size === 0 && dest ? this.toDestination(dest) : undefined;
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

  /** The server for one original destination: no passive health across connections (max_fails applies per address object). */
  private toDestination(dest: ProxyAddress): UpstreamServer {
    const map = this.byDest!;
    const address = dest.family === 6 ? `[${dest.address}]:${dest.port}` : `${dest.address}:${dest.port}`;
    let s = map.get(address);
    if (!s) {
      if (map.size >= DEST_CACHE_MAX) map.clear();
      s = new UpstreamServer({ host: dest.address, port: dest.port, address, weight: 1, backup: false });
      map.set(address, s);
    }
    return s;
  }
}

/** A loop, not every(): no closure on the per-connection path. */
function allAvailable(list: UpstreamServer[], now: number): boolean {
  if (list.length === 0) return false;
  for (const s of list) if (!s.available(now)) return false;
  return true;
}
