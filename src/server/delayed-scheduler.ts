import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/contract/index.js';
import { PeriodicProcess } from './periodic-process.js';

const BATCH = 1000;

/**
 * Moves due scheduled jobs (delayed jobs, retries) to their queues. After each pass it sets a
 * timer for the next due job, so a job due in 300 ms is enqueued then, not at the next poll;
 * the poll (default 1 s, Hangfire 15 s) catches jobs scheduled by other processes.
 */
export class DelayedScheduler {
  readonly process: PeriodicProcess;

  constructor(storage: Storage, pollMs: number, clock: Clock, logger: Logger) {
    this.process = new PeriodicProcess(
      'delayed scheduler',
      pollMs,
      async () => {
        let moved = 0;
        for (;;) {
          const n = await storage.enqueueDue(clock.now(), BATCH);
          moved += n;
          if (n < BATCH) break;
        }
        if (moved > 0) logger.debug(`enqueued ${moved} due scheduled job(s)`);
        const next = await storage.nextDueAt();
        return next === null ? pollMs : Math.max(0, next - clock.now());
      },
      logger,
    );
  }
}
