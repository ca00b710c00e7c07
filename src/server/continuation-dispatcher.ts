import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { resolveContinuations } from '../states/continuations.js';
import type { StateMachine } from '../states/state-machine.js';
import type { Storage } from '../storage/contract/index.js';
import { PeriodicProcess } from './periodic-process.js';

/**
 * Woken by every batch of completions, the dispatcher runs at most this often, so a busy server
 * does not pay a continuation lookup per batch. A chain link waits at most that long.
 */
const MIN_WAKE_GAP_MS = 50;

/**
 * Moves continuations on when their parents settle: at once when a parent finished on this
 * server (it is woken), and every `schedulePollingIntervalMs` for parents settled elsewhere
 * (deleted from the dashboard, finished on another server).
 */
export class ContinuationDispatcher {
  readonly process: PeriodicProcess;

  constructor(storage: Storage, states: StateMachine, schedulePollingIntervalMs: number, clock: Clock, logger: Logger) {
    this.process = new PeriodicProcess(
      'continuations',
      schedulePollingIntervalMs,
      async (signal) => {
        const n = await resolveContinuations(storage, states, clock, signal);
        if (n > 0) logger.debug(`moved ${n} continuation(s) on`);
      },
      logger,
      MIN_WAKE_GAP_MS,
    );
  }
}
