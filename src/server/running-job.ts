import type { JobRecord } from '../storage/contract/index.js';

/** Why a running job's signal was aborted. */
export type AbortCause = 'shutdown' | 'taken-away' | 'timeout';

/**
 * A job held by a worker slot. Its `AbortController` is made only when someone reads `signal`
 * (most jobs never do, and creating one costs more than running a no-op job); an abort that comes
 * first is kept and the signal is then born aborted with its reason, which job code cannot tell
 * apart from a controller made up front.
 */
export class RunningJob {
  cause: AbortCause | undefined;
  private controller: AbortController | undefined;
  private reason: Error | undefined;

  constructor(readonly job: JobRecord) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Aborts the signal (the first reason wins, as with `AbortController`). */
  abort(reason: Error): void {
    if (this.controller) this.controller.abort(reason);
    else this.reason ??= reason;
  }
}
