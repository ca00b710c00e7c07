import { drainInBatches } from '../batch-drain.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { LivenessHold, Storage } from '../storage/contract/index.js';
import { LIVENESS_REJOIN_GRACE_MS } from './defaults.js';
import { PeriodicProcess } from './periodic-process.js';

export interface WatchdogOptions {
  serverId: string;
  serverTimeoutMs: number;
  serverCheckIntervalMs: number;
  livenessCheckIntervalMs: number;
}

/**
 * Crash recovery, in two processes:
 *
 * - `liveness`, every `livenessCheckIntervalMs` (1 s): removes the servers whose liveness mark
 *   the storage released — their process died — and requeues their jobs at once
 *   (`Storage.removeVanishedServers`). It judges only while this server's own mark is held and,
 *   after its own mark had to be taken again, only once `LIVENESS_REJOIN_GRACE_MS` passed: after
 *   a storage restart every mark is gone for a moment, not every server.
 * - `process`, every `serverCheckIntervalMs` (5 s): the fallback for what marks cannot see (a
 *   frozen VM, a partition): removes servers silent for longer than `serverTimeoutMs` and requeues
 *   their jobs, and requeues jobs whose lease ended (a server that died before it announced
 *   itself, or lost its storage).
 *
 * Every removal is a compare-and-set in the storage, so any number of servers may run these at once.
 */
export class Watchdog {
  readonly process: PeriodicProcess;
  readonly liveness: PeriodicProcess;
  private firstHeldSince: number | null | undefined;

  constructor(storage: Storage, o: WatchdogOptions, ownHold: () => LivenessHold | null | undefined, clock: Clock, logger: Logger) {
    this.process = new PeriodicProcess(
      'watchdog',
      o.serverCheckIntervalMs,
      async (signal) => {
        const now = clock.now();
        const dead = await storage.removeDeadServers(now - o.serverTimeoutMs, now);
        if (dead.length > 0) logger.warn(`removed ${dead.length} server(s) silent for over ${o.serverTimeoutMs} ms; their jobs are requeued`, { servers: dead });
        const released = await drainInBatches((limit) => storage.releaseExpiredLeases(clock.now(), limit), { signal });
        if (released > 0) logger.warn(`requeued ${released} job(s) whose lease expired`);
      },
      logger,
    );
    this.liveness = new PeriodicProcess(
      'liveness',
      o.livenessCheckIntervalMs,
      async () => {
        if (!this.mayJudge(ownHold())) return;
        const gone = await storage.removeVanishedServers(clock.now(), o.serverId);
        if (gone.length > 0) logger.warn(`found ${gone.length} server(s) gone (their process ended); their jobs are requeued`, { servers: gone });
      },
      logger,
    );
  }

  private mayJudge(hold: LivenessHold | null | undefined): boolean {
    if (!hold || hold.heldSince === null) return false;
    this.firstHeldSince ??= hold.heldSince;
    return hold.heldSince === this.firstHeldSince || Date.now() - hold.heldSince >= LIVENESS_REJOIN_GRACE_MS;
  }
}
