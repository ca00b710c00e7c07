import { drainInBatches } from '../batch-drain.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/contract/index.js';
import { PeriodicProcess } from './periodic-process.js';

/**
 * Crash recovery. Every `serverCheckIntervalMs`: removes servers silent for longer than
 * `serverTimeoutMs` and requeues the jobs they held at once, and requeues jobs whose lease ended
 * (a server that died before it announced itself, or lost its storage). Both are compare-and-set
 * operations, so any number of servers may run this at once.
 */
export class Watchdog {
  readonly process: PeriodicProcess;

  constructor(storage: Storage, serverTimeoutMs: number, serverCheckIntervalMs: number, clock: Clock, logger: Logger) {
    this.process = new PeriodicProcess(
      'watchdog',
      serverCheckIntervalMs,
      async (signal) => {
        const now = clock.now();
        const dead = await storage.removeDeadServers(now - serverTimeoutMs, now);
        if (dead.length > 0) logger.warn(`removed ${dead.length} server(s) silent for over ${serverTimeoutMs} ms; their jobs are requeued`, { servers: dead });
        const released = await drainInBatches((limit) => storage.releaseExpiredLeases(clock.now(), limit), { signal });
        if (released > 0) logger.warn(`requeued ${released} job(s) whose lease expired`);
      },
      logger,
    );
  }
}
