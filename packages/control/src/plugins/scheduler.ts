// The one node-cron import. Runs a job on a cron schedule as a lifecycle
// Service; a run still going when the next one is due is skipped (noOverlap),
// and the job's own outcome handling stays with the caller.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger, Service } from '@geoedge/shared';

export function isValidSchedule(expr: string): boolean {
  try {
    return cron.validate(expr);
  } catch {
    return false;
  }
}

export interface ScheduledJob extends Service {
  /** Next planned run, for the status route. */
  nextRun(): Date | null;
}

export function scheduleJob(name: string, expr: string, log: Logger, job: () => Promise<void>): ScheduledJob {
  let task: ScheduledTask | undefined;
  return {
    name,
    async start() {
      task = cron.createTask(
        expr,
        async () => {
          try {
            await job();
          } catch (err) {
            log.error({ err, job: name }, 'scheduled job failed');
          }
        },
        { name, noOverlap: true },
      );
      await task.start();
      log.info({ job: name, schedule: expr, next_run: task.getNextRun()?.toISOString() }, 'job scheduled');
    },
    async close() {
      await task?.destroy();
      task = undefined;
    },
    nextRun: () => task?.getNextRun() ?? null,
  };
}
