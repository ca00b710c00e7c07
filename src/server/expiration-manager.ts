import { drainInBatches } from '../batch-drain.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/contract/index.js';
import { PeriodicProcess } from './periodic-process.js';

const LOCK = 'kiln:expiration-manager';
/** The lock outlives a slow pass; a server that dies holding it delays the next one by this much at most. */
const LOCK_TTL_MS = 60_000;

/**
 * Deletes jobs whose retention ended (succeeded and deleted ones, after 1 day by default) in
 * bounded batches, under a distributed lock so that one server of a fleet does it at a time.
 * Runs at start and every `expirationCheckIntervalMs`.
 */
export class ExpirationManager {
  readonly process: PeriodicProcess;

  constructor(storage: Storage, serverId: string, expirationCheckIntervalMs: number, clock: Clock, logger: Logger) {
    this.process = new PeriodicProcess(
      'expiration manager',
      expirationCheckIntervalMs,
      async (signal) => {
        if (!(await storage.acquireLock(LOCK, serverId, LOCK_TTL_MS, clock.now()))) return;
        try {
          const deleted = await drainInBatches((limit) => storage.deleteExpired(clock.now(), limit), { signal });
          if (deleted > 0) logger.debug(`deleted ${deleted} expired job(s)`);
        } finally {
          await storage.releaseLock(LOCK, serverId);
        }
      },
      logger,
    );
  }
}
