import { drainInBatches } from '../batch-drain.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/contract/index.js';
import { PeriodicProcess } from './periodic-process.js';

/**
 * Moves due scheduled jobs (delayed jobs, retries) to their queues. After each pass it sets a
 * timer for the next due job, so a job due in 300 ms is enqueued then, not at the next poll;
 * the poll (`schedulePollingIntervalMs`) catches jobs scheduled by other processes.
 */
export class DelayedScheduler {
  readonly process: PeriodicProcess;

  constructor(storage: Storage, schedulePollingIntervalMs: number, clock: Clock, logger: Logger) {
    this.process = new PeriodicProcess(
      'delayed scheduler',
      schedulePollingIntervalMs,
      async (signal) => {
        const moved = await drainInBatches((limit) => storage.enqueueDue(clock.now(), limit), { signal });
        if (moved > 0) logger.debug(`enqueued ${moved} due scheduled job(s)`);
        const next = await storage.nextDueAt();
        return next === null ? schedulePollingIntervalMs : Math.max(0, next - clock.now());
      },
      logger,
    );
  }
}
