// Everything that owns a socket, pool, watcher, timer or job is a Service.
// Services start in order and close in reverse order; SIGTERM/SIGINT close with a
// drain deadline, SIGHUP reloads.
import type { Logger } from './logger.js';

export interface Service {
  readonly name: string;
  start(): Promise<void>;
  close(): Promise<void>;
}

export class ServiceGroup {
  private readonly started: Service[] = [];
  constructor(private readonly log: Logger) {}

  async start(services: Service[]): Promise<void> {
    for (const s of services) {
      await s.start();
      this.started.push(s);
    }
  }

  /** Closes in reverse order; a service that fails to close is logged and skipped. */
  async close(): Promise<void> {
    while (this.started.length > 0) {
      const s = this.started.pop()!;
      try {
        await s.close();
      } catch (err) {
        this.log.error({ err, service: s.name }, 'service failed to close');
      }
    }
  }
}

export interface SignalHandlers {
  reload?: () => void | Promise<void>;
  shutdown: () => Promise<void>;
  /** Hard deadline for shutdown; the process exits anyway after it. */
  drainMs?: number;
}

export function handleSignals(log: Logger, h: SignalHandlers): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.warn('drain deadline passed, exiting');
      process.exit(0);
    }, h.drainMs ?? 10_000);
    timer.unref();
    h.shutdown().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (h.reload) {
    const reload = h.reload;
    process.on('SIGHUP', () => {
      log.info({ signal: 'SIGHUP' }, 'reloading');
      Promise.resolve()
        .then(reload)
        .catch((err) => log.error({ err }, 'reload failed'));
    });
  }
}
