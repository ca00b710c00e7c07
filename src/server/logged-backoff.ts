import { Backoff, STORAGE_BACKOFF, type BackoffOptions } from '../backoff.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * `Backoff` for a server loop that says what it does: each failure is logged with its wait, and
 * the first success after failures is logged once, so an outage shows as a start and an end in
 * the log rather than silence or a line per try.
 */
export class LoggedBackoff {
  private readonly backoff: Backoff;

  /** `what` completes "… failed" and "… works again", e.g. `'fetching jobs'`, `'watchdog'`. */
  constructor(
    private readonly what: string,
    private readonly logger: Logger,
    options: BackoffOptions = STORAGE_BACKOFF,
  ) {
    this.backoff = new Backoff(options);
  }

  /** Failures in a row so far. */
  get failures(): number {
    return this.backoff.failures;
  }

  /** Records and logs a failure; returns how long to wait before the next try. */
  fail(error: unknown): number {
    const wait = this.backoff.fail();
    this.logger.warn(`${this.what} failed (${this.backoff.failures} in a row), retrying in ${wait} ms`, { error: errorMessage(error) });
    return wait;
  }

  /** Records a success; logs the end of a run of failures. */
  succeed(): void {
    const ended = this.backoff.succeed();
    if (ended > 0) this.logger.info(`${this.what} works again after ${ended} failure(s)`);
  }
}
