// The one prom-client import. Hot paths never call prom-client: they bump plain
// numbers in LabeledCounter / FastHistogram, and prom-client reads them when
// Prometheus scrapes (collect()). That keeps a query's cost to an array write.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import client from 'prom-client';
import type { Logger } from './logger.js';
import type { Service } from './lifecycle.js';
import { parseHostPort } from './hostport.js';

export type Registry = client.Registry;

/**
 * A registry with prom-client's default process metrics under their standard
 * names (process_cpu_seconds_total, process_resident_memory_bytes, nodejs_*), as
 * every Prometheus client library exports them: generic dashboards and alerts
 * find them, and the scrape's job label says which program. The programs' own
 * metrics carry the program prefix in their names (geodns_, relay_, geoctl_);
 * a prefix here as well gave names such as geodns_process_process_cpu_seconds_total.
 */
export function createRegistry(): Registry {
  const reg = new client.Registry();
  client.collectDefaultMetrics({ register: reg });
  return reg;
}

/** A counter whose label values are known at the call site; `inc` is a Map lookup. */
export class LabeledCounter {
  private readonly counts = new Map<string, { labels: string[]; n: number }>();
  /** Two-label sets by first then second label: no key string to build and hash per call. */
  private readonly pairs = new Map<string, Map<string, { labels: string[]; n: number }>>();
  constructor(reg: Registry, name: string, help: string, private readonly labelNames: string[]) {
    const self = this;
    new client.Counter({
      name,
      help,
      labelNames,
      registers: [reg],
      collect() {
        this.reset();
        for (const { labels, n } of self.counts.values()) {
          const l: Record<string, string> = {};
          labelNames.forEach((k, i) => (l[k] = labels[i]!));
          this.inc(l, n);
        }
      },
    });
  }
  inc(labels: string[], n = 1): void {
    if (labels.length === 2) return this.inc2(labels[0]!, labels[1]!, n);
    const key = labels.length === 1 ? labels[0]! : labels.join('\u0000');
    const c = this.counts.get(key);
    if (c) c.n += n;
    else this.counts.set(key, { labels: [...labels], n });
  }
  /** inc([a, b], n) without the array (per-connection paths). */
  inc2(a: string, b: string, n = 1): void {
    let byB = this.pairs.get(a);
    if (!byB) this.pairs.set(a, (byB = new Map()));
    let c = byB.get(b);
    if (!c) {
      const key = `${a}\u0000${b}`;
      c = this.counts.get(key);
      if (!c) this.counts.set(key, (c = { labels: [a, b], n: 0 }));
      byB.set(b, c);
    }
    c.n += n;
  }
  /** Sum over all label sets, or the sets whose first labels equal `prefix`. */
  total(prefix: string[] = []): number {
    let t = 0;
    for (const { labels, n } of this.counts.values()) if (prefix.every((p, i) => labels[i] === p)) t += n;
    return t;
  }
}

/** A gauge computed on scrape. */
export function gaugeFn(reg: Registry, name: string, help: string, fn: () => number): void {
  new client.Gauge({ name, help, registers: [reg], collect() { this.set(fn()); } });
}

/** A labeled gauge computed on scrape from a list of [labels, value]. */
export function labeledGaugeFn(reg: Registry, name: string, help: string, labelNames: string[], fn: () => Array<[Record<string, string>, number]>): void {
  new client.Gauge({
    name, help, labelNames, registers: [reg],
    collect() { this.reset(); for (const [l, v] of fn()) this.set(l, v); },
  });
}

/** A labeled counter read on scrape from plain numbers the hot path bumps: [label values, total] pairs. */
export function counterFn(reg: Registry, name: string, help: string, labelNames: string[], fn: () => Array<[string[], number]>): void {
  new client.Counter({
    name, help, labelNames, registers: [reg],
    collect() {
      this.reset();
      for (const [values, n] of fn()) {
        const l: Record<string, string> = {};
        labelNames.forEach((k, i) => (l[k] = values[i]!));
        this.inc(l, n);
      }
    },
  });
}

/** A histogram with fixed buckets (seconds); observe() is a short loop over a Float64Array. */
export class FastHistogram {
  private readonly counts: Float64Array;
  private sum = 0;
  private n = 0;
  constructor(reg: Registry, name: string, help: string, private readonly buckets: number[]) {
    this.counts = new Float64Array(buckets.length);
    const self = this;
    const h = new client.Histogram({ name, help, buckets, registers: [reg] });
    // prom-client has no "set histogram state" API; publish through a custom get().
    // The registry reads getForPromString() for text and get() for JSON/cluster: replace both.
    const hooks = h as unknown as { get: () => Promise<unknown>; getForPromString: () => Promise<unknown> };
    hooks.get = hooks.getForPromString = async () => ({
      name, help, type: 'histogram', aggregator: 'sum',
      values: [
        ...buckets.map((le, i) => ({ labels: { le }, value: self.cumulative(i), metricName: `${name}_bucket` })),
        { labels: { le: '+Inf' }, value: self.n, metricName: `${name}_bucket` },
        { labels: {}, value: self.sum, metricName: `${name}_sum` },
        { labels: {}, value: self.n, metricName: `${name}_count` },
      ],
    });
  }
  observe(seconds: number): void {
    this.sum += seconds;
    this.n++;
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (seconds <= b[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
  private cumulative(i: number): number {
    let t = 0;
    for (let j = 0; j <= i; j++) t += this.counts[j]!;
    return t;
  }
}

/** In a cluster worker: make this registry answer the primary's aggregation requests. */
export function shareWithClusterPrimary(reg: Registry): void {
  // prom-client installs the worker's answering listener only when an
  // AggregatorRegistry is constructed in the worker.
  new client.AggregatorRegistry();
  client.AggregatorRegistry.setRegistries([reg]);
}

/** In a cluster primary: a registry-like source that sums the workers' metrics on scrape. */
export function clusterRegistry(): Pick<Registry, 'metrics' | 'contentType'> {
  const agg = new client.AggregatorRegistry();
  return { metrics: () => agg.clusterMetrics(), contentType: agg.contentType } as Pick<Registry, 'metrics' | 'contentType'>;
}

export interface ExtraReply { status: number; body: string; type?: string }

/**
 * Serves GET /metrics (and /healthz) on `listen`; an extra handler may add routes such as /status.
 * `unhealthy` says why the program cannot serve (then /healthz answers 503 with that text), or
 * undefined while it can.
 */
export function metricsService(
  reg: Pick<Registry, 'metrics' | 'contentType'>,
  listen: string,
  log: Logger,
  /** Other paths on the same address (geodns's /status/*); gets the request for its headers and body; may answer later. */
  extra?: (path: string, req: IncomingMessage) => ExtraReply | Promise<ExtraReply> | undefined,
  unhealthy?: () => string | undefined,
): Service {
  let server: Server | undefined;
  return {
    name: 'metrics',
    async start() {
      const { host, port } = parseHostPort(listen);
      server = createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0]!;
        if (path === '/metrics') {
          reg.metrics().then(
            (text) => { res.writeHead(200, { 'content-type': reg.contentType }); res.end(text); },
            (err) => { log.error({ err }, 'metrics collection failed'); res.writeHead(500); res.end(); },
          );
          return;
        }
        if (path === '/healthz') {
          const why = unhealthy?.();
          if (why === undefined) { res.writeHead(200); res.end('ok\n'); return; }
          res.writeHead(503); res.end(`unhealthy: ${why}\n`); return;
        }
        const r = extra?.(path, req);
        const send = (x: ExtraReply) => { res.writeHead(x.status, { 'content-type': x.type ?? 'application/json' }); res.end(x.body); };
        if (r instanceof Promise) {
          r.then(send, (err) => { log.error({ err, path }, 'status request failed'); res.writeHead(500); res.end(); });
          return;
        }
        if (r) { send(r); return; }
        res.writeHead(404); res.end();
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host, () => { server!.off('error', reject); resolve(); });
      });
      log.info({ listen }, 'metrics listening');
    },
    async close() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}
