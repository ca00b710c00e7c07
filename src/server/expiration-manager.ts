import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/contract/index.js';
import { PeriodicProcess } from './periodic-process.js';

const BATCH = 1000;
const LOCK = 'kiln:expiration-manager';

/**
 * Deletes jobs whose retention ended (succeeded and deleted ones, after 1 day by default) in
 * bounded batches, under a distributed lock so that one server of a fleet does it at a time.
 * Runs at start and every `intervalMs` (default 5 min).
 */
export class ExpirationManager {
  readonly process: PeriodicProcess;

  constructor(storage: Storage, serverId: string, intervalMs: number, clock: Clock, logger: Logger) {
    this.process = new PeriodicProcess(
      'expiration manager',
      intervalMs,
      async () => {
        if (!(await storage.acquireLock(LOCK, serverId, 60_000, clock.now()))) return;
        try {
          let deleted = 0;
          for (;;) {
            const n = await storage.deleteExpired(clock.now(), BATCH);
            deleted += n;
            if (n < BATCH) break;
          }
          if (deleted > 0) logger.debug(`deleted ${deleted} expired job(s)`);
        } finally {
          await storage.releaseLock(LOCK, serverId);
        }
      },
      logger,
    );
  }
}
