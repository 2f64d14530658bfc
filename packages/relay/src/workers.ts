// `workers: N` (N > 1): the primary process forks N workers that each run the
// whole relay; with SCHED_NONE they share the listening sockets and the kernel
// spreads new connections, as nginx worker_processes do. The primary only
// supervises: it restarts a worker that dies, and forwards SIGHUP and SIGTERM.
// Each worker serves the admin port + its index (0, 1, ...), so every worker's
// metrics can be scraped.
import cluster from 'node:cluster';
import type { Logger } from '@geoedge/shared';

export function runPrimary(workers: number, log: Logger): void {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let stopping = false;
  const fork = (index: number) => {
    const w = cluster.fork({ RELAY_WORKER_INDEX: String(index) });
    w.on('exit', (code, signal) => {
      if (stopping) return;
      log.error({ worker: index, code, signal }, 'worker died, restarting');
      setTimeout(() => fork(index), 500);
    });
  };
  for (let i = 0; i < workers; i++) fork(i);
  const each = (signal: NodeJS.Signals) => Object.values(cluster.workers ?? {}).forEach((w) => w?.process.kill(signal));
  process.on('SIGHUP', () => each('SIGHUP'));
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping workers');
    each('SIGTERM');
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length === 0) { clearInterval(check); process.exit(0); }
    }, 100);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** This process's worker index (0 when not clustered). */
export function workerIndex(): number {
  return cluster.isWorker ? Number(process.env.RELAY_WORKER_INDEX ?? 0) : 0;
}

export const isPrimaryOfMany = (workers: number) => workers > 1 && cluster.isPrimary;
