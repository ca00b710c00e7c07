import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ServerRecord, Storage } from '../storage/contract/index.js';
import { PeriodicProcess } from './periodic-process.js';

/**
 * Marks the server alive every `heartbeatIntervalMs` and renews the leases of its running
 * jobs (sliding invisibility: a job that runs for hours never times out while its server lives).
 * A job whose lease is no longer held — deleted or requeued by someone, or recovered by another
 * server — is reported to `onLost`, which aborts its signal. If the server record was removed
 * (declared dead after a long pause), it is announced again.
 *
 * The server runs it in a worker thread of its own when it can (`HeartbeatThread`), so that a job
 * blocking the main event loop does not stop it; on the main thread otherwise.
 */
export class Heartbeat {
  readonly process: PeriodicProcess;
  /** When a beat last reached the storage (record and leases), epoch ms; null before the first. */
  lastBeatAt: number | null = null;

  constructor(
    storage: Storage,
    record: () => ServerRecord,
    /** The jobs to renew: asked after the server's own heartbeat, every tick. */
    heldIds: () => string[] | Promise<string[]>,
    leaseTimeoutMs: number,
    heartbeatIntervalMs: number,
    clock: Clock,
    onLost: (ids: string[]) => void,
    logger: Logger,
    /** Told of each beat that reached the storage (the heartbeat thread reports it to the server). */
    onBeat: (at: number) => void = () => {},
  ) {
    this.process = new PeriodicProcess(
      'heartbeat',
      heartbeatIntervalMs,
      async () => {
        const server = record();
        const now = clock.now();
        if (!(await storage.heartbeat(server.id, now))) {
          logger.warn('this server was declared dead by another one; announcing it again');
          await storage.announceServer({ ...server, heartbeatAt: now });
        }
        const ids = await heldIds();
        if (ids.length > 0) {
          const lost = await storage.renewLeases(server.id, ids, leaseTimeoutMs, clock.now());
          if (lost.length > 0) onLost(lost);
        }
        this.lastBeatAt = now;
        onBeat(now);
      },
      logger,
    );
  }
}
