// The servers one connection tries: balancer order until one accepts within
// connect_timeout, up to `tries` servers. Failures feed passive health.
import type { UpstreamGroup } from './group.js';
import type { UpstreamServer } from './server.js';
import type { ProxyAddress } from '../wire/proxy-types.js';

const NONE: ReadonlySet<UpstreamServer> = new Set();

/**
 * The servers one connection tries, in balancer order, up to the group's
 * `tries`: each counts as active from its pick; a failure feeds passive health.
 * Used by the proxy handler (handlers/proxy.ts) for every plane.
 */
export class Attempts {
  /** The server being tried (after next()). */
  current: UpstreamServer | undefined;
  count = 0;
  /** Built at the second try: the first needs no set. */
  private tried: Set<UpstreamServer> | undefined;

  /** `dest`: the connection's destination (original_destination groups connect there). */
  constructor(readonly group: UpstreamGroup, readonly clientIp: string, readonly dest?: ProxyAddress) {}

  next(): UpstreamServer | undefined {
    if (this.current) (this.tried ??= new Set()).add(this.current);
    this.current = undefined;
    if (this.count >= this.group.cfg.tries) return undefined;
    const s = this.group.pick(this.clientIp, this.tried ?? NONE, Date.now(), this.dest);
    this.current = s;
    if (!s) return undefined;
    this.count++;
    s.active++;
    return s;
  }

  failed(s: UpstreamServer): void {
    s.active--;
    s.failed(Date.now(), this.group.cfg.maxFails, this.group.cfg.failTimeoutMs);
  }

  /** The failure code once next() gave nothing. */
  get code(): 'ERR_NO_UPSTREAM' | 'ERR_UPSTREAM_CONNECT' {
    return this.count ? 'ERR_UPSTREAM_CONNECT' : 'ERR_NO_UPSTREAM';
  }
}
