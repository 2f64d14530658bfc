// The relay as a Service: listeners (runtimes + bound sockets), upstream groups
// and health checkers built from one config snapshot. reload() swaps the
// snapshot without touching established connections; a reload that cannot bind
// its new addresses changes nothing.
import type { Logger, Service } from '@geoedge/shared';
import type { ListenerConfig, RelayConfig } from './config.js';
import { createRelayMetrics, type RelayMetrics } from './metrics.js';
import { UpstreamGroup } from './upstream/group.js';
import { startHealthChecks, type HealthChecker } from './upstream/health.js';
import { createTcpBound, type BoundSocket } from './listen/tcp.js';
import { createUdpBound } from './listen/udp.js';
import type { ListenerRuntime, TransparentConnector } from './listen/runtime.js';
import type { DataPlane } from './dataplane/engine.js';
import { streamsPlane } from './dataplane/streams.js';

export interface Relay extends Service {
  readonly metrics: RelayMetrics;
  reload(config: RelayConfig): Promise<{ ok: true } | { ok: false; message: string }>;
  /** Bound addresses by listener name (tests use port 0). */
  addresses(): Record<string, Array<{ address: string; port: number }>>;
}

export function createRelay(initial: RelayConfig, log: Logger, opts: { transparent?: TransparentConnector; dataPlane?: DataPlane } = {}): Relay {
  let config = initial;
  let groups = new Map<string, UpstreamGroup>();
  let checkers: HealthChecker[] = [];
  // One TCP plane for the whole process: the engine when it loaded, else Node streams.
  const tcp = opts.dataPlane ?? streamsPlane();
  const runtimes = new Map<string, ListenerRuntime>();
  const bound = new Map<string, { sock: BoundSocket; listener: string }>();
  const metrics = createRelayMetrics({
    active: () => [...runtimes.values()].map((r) => [r.name, r.open.size]),
    groups: () => [...groups.values()],
  });

  const buildGroups = (cfg: RelayConfig) => {
    const next = new Map<string, UpstreamGroup>();
    for (const [name, u] of cfg.upstreams) next.set(name, new UpstreamGroup(u, groups.get(name)));
    return next;
  };
  const runtimeFor = (l: ListenerConfig, g: Map<string, UpstreamGroup>): ListenerRuntime => {
    const rt: ListenerRuntime = {
      name: l.name, snapshot: { listener: l, groups: g }, log: log.child({ listener: l.name }), metrics,
      open: new Set(), perClient: new Map(), tcp,
    };
    if (opts.transparent) rt.transparent = opts.transparent;
    if (opts.dataPlane) rt.dataPlane = opts.dataPlane;
    return rt;
  };
  // Port 0 (tests) binds a fresh port per listener, so the name is part of its key.
  const keyOf = (l: ListenerConfig, i: number) => `${l.protocol} ${l.listen[i]!.host} ${l.listen[i]!.port}${l.listen[i]!.port === 0 ? ` ${l.name}` : ''}`;
  /** The bound socket already serving this address, if any: same key, or the port a port-0 listener got. */
  const existing = (l: ListenerConfig, i: number): [string, { sock: BoundSocket; listener: string }] | undefined => {
    const key = keyOf(l, i);
    const same = bound.get(key);
    if (same) return [key, same];
    const hp = l.listen[i]!;
    if (hp.port === 0) return undefined;
    for (const [k, b] of bound) {
      const a = b.sock.address();
      if (k.startsWith(`${l.protocol} ${hp.host} `) && a?.port === hp.port) return [k, b];
    }
    return undefined;
  };

  /**
   * nginx/HAProxy order: bind every new address first; only when all are bound
   * swap the snapshot in and close the addresses no longer listed. A reload
   * that cannot bind (address not local, EADDRINUSE) closes what it opened and
   * leaves the old listeners serving. An address that stays keeps its socket
   * (moved to its new listener for TCP); a UDP address moving between two
   * listeners is the one case closed before it is bound again (its sessions
   * belong to the old listener).
   */
  async function apply(cfg: RelayConfig): Promise<{ ok: true } | { ok: false; message: string }> {
    const g = buildGroups(cfg);
    const fresh: Array<{ key: string; sock: BoundSocket; listener: string }> = [];
    const kept = new Map<string, { sock: BoundSocket; listener: string; from: string }>();
    const closeFirst: string[] = [];
    const nextRuntimes = new Map<string, ListenerRuntime>();
    for (const l of cfg.listeners) {
      const rt = runtimes.get(l.name) ?? runtimeFor(l, g);
      nextRuntimes.set(l.name, rt);
      l.listen.forEach((hp, i) => {
        const key = keyOf(l, i);
        const have = existing(l, i);
        if (have && (have[1].listener === l.name || (l.protocol === 'tcp' && have[1].sock.retarget))) {
          kept.set(key, { sock: have[1].sock, listener: l.name, from: have[0] });
          const was = runtimes.get(have[1].listener)?.snapshot.listener;
          if (was && JSON.stringify([was.tproxy, was.socket]) !== JSON.stringify([l.tproxy, l.socket])) {
            log.warn({ listener: l.name, address: `${hp.host}:${hp.port}` }, 'tproxy and socket options apply when an address is bound: this one keeps its socket and the old options until a restart');
          }
          return;
        }
        if (have) closeFirst.push(have[0]);
        const sock = l.protocol === 'tcp' ? createTcpBound(hp, rt) : createUdpBound(hp, rt);
        fresh.push({ key, sock, listener: l.name });
      });
    }
    for (const key of closeFirst) {
      await bound.get(key)?.sock.close();
      bound.delete(key);
    }
    for (const [i, f] of fresh.entries()) {
      try {
        await f.sock.start();
      } catch (err) {
        for (const done of fresh.slice(0, i)) await done.sock.close();
        return { ok: false, message: `cannot listen on ${f.key}: ${(err as Error).message}` };
      }
    }
    // Every address is bound: swap.
    const keptFrom = new Set([...kept.values()].map((k) => k.from));
    for (const [key, b] of bound) if (!keptFrom.has(key)) await b.sock.close();
    bound.clear();
    for (const [key, k] of kept) {
      if (k.sock.retarget) k.sock.retarget(nextRuntimes.get(k.listener)!);
      bound.set(key, { sock: k.sock, listener: k.listener });
    }
    for (const f of fresh) bound.set(f.key, f);
    for (const l of cfg.listeners) nextRuntimes.get(l.name)!.snapshot = { listener: l, groups: g };
    runtimes.clear();
    for (const [k, v] of nextRuntimes) runtimes.set(k, v);
    checkers.forEach((c) => c.close());
    groups = g;
    checkers = [...g.values()].map((grp) => startHealthChecks(grp, log));
    config = cfg;
    return { ok: true };
  }

  return {
    name: 'relay',
    metrics,
    async start() {
      const r = await apply(config);
      if (!r.ok) throw new Error(r.message);
      log.info({ listeners: Object.fromEntries(Object.entries(this.addresses()).map(([k, v]) => [k, v.map((a) => `${a.address}:${a.port}`)])) }, 'relay listening');
    },
    reload: (cfg) => apply(cfg),
    addresses() {
      const out: Record<string, Array<{ address: string; port: number }>> = {};
      for (const b of bound.values()) {
        const a = b.sock.address();
        if (a) (out[b.listener] ??= []).push({ address: a.address, port: a.port });
      }
      return out;
    },
    async close() {
      for (const b of bound.values()) await b.sock.close();
      bound.clear();
      checkers.forEach((c) => c.close());
      const open = () => [...runtimes.values()].reduce((n, r) => n + r.open.size, 0);
      const deadline = Date.now() + config.drainTimeoutMs;
      if (open() > 0) log.info({ open: open() }, 'draining connections');
      while (open() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const r of runtimes.values()) for (const c of [...r.open]) c.destroy();
    },
  };
}
