import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { resolveContinuations } from '../states/continuations.js';
import type { StateMachine } from '../states/state-machine.js';
import type { Storage } from '../storage/contract/index.js';
import { PeriodicProcess } from './periodic-process.js';

/**
 * Moves continuations on when their parents settle: at once when a parent finished on this
 * server (it is woken), and every `pollMs` (default 1 s) for parents settled elsewhere (deleted
 * from the dashboard, finished on another server).
 */
export class ContinuationDispatcher {
  readonly process: PeriodicProcess;

  constructor(storage: Storage, states: StateMachine, pollMs: number, clock: Clock, logger: Logger) {
    this.process = new PeriodicProcess(
      'continuations',
      pollMs,
      async () => {
        const n = await resolveContinuations(storage, states, clock);
        if (n > 0) logger.debug(`moved ${n} continuation(s) on`);
      },
      logger,
      // Woken by every batch of completions: at most every 50 ms, so a busy server does not pay a
      // continuation lookup per batch. A chain link waits at most that long.
      50,
    );
  }
}
