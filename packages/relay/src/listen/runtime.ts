// What a listener's connections share. `snapshot` is swapped whole on reload;
// each connection keeps the snapshot it was accepted under.
import type { Logger } from '@geoedge/shared';
import type { ListenerConfig } from '../config.js';
import type { RelayMetrics } from '../metrics.js';
import type { UpstreamGroup } from '../upstream/group.js';
import type { ProxyAddress } from '../wire/proxy-types.js';
import type { DataPlane } from '../dataplane/engine.js';
import type { TcpPlane } from '../dataplane/plane.js';

export interface Snapshot {
  listener: ListenerConfig;
  groups: Map<string, UpstreamGroup>;
}

/** Makes a socket whose source is the client's address (transparent mode). */
export type TransparentConnector = (source: ProxyAddress, family: 4 | 6, kind: 'tcp' | 'udp') => { ok: true; fd: number } | { ok: false; message: string };

export interface ListenerRuntime {
  name: string;
  snapshot: Snapshot;
  log: Logger;
  metrics: RelayMetrics;
  /** Open connections/sessions, for caps, the active gauge and drain. */
  open: Set<{ destroy(): void }>;
  perClient: Map<string, number>;
  transparent?: TransparentConnector;
  /** Rate limit of internal-error log lines (connection.ts noteInternalError). */
  internalErrors?: { last: number; skipped: number };
  /** The TCP plane: the engine, or Node streams where it cannot run. */
  tcp: TcpPlane;
  /** The engine, for batched UDP; absent = node:dgram. */
  dataPlane?: DataPlane;
}

export function addClient(rt: ListenerRuntime, ip: string, max: number): boolean {
  const n = rt.perClient.get(ip) ?? 0;
  if (max > 0 && n >= max) return false;
  rt.perClient.set(ip, n + 1);
  return true;
}

export function removeClient(rt: ListenerRuntime, ip: string): void {
  const n = (rt.perClient.get(ip) ?? 1) - 1;
  if (n <= 0) rt.perClient.delete(ip);
  else rt.perClient.set(ip, n);
}
