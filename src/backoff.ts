/**
 * Kiln's one back-off: how long to wait after the n-th failure in a row of something that will be
 * tried again (a fetch, a completion batch, a maintenance process, a listener's reconnect, a lock
 * wait). Doubling from `initialMs` up to `maxMs`, with no jitter: each caller is one loop per
 * process, so there is no herd to spread.
 */
export interface BackoffOptions {
  /** The wait after the first failure. */
  initialMs: number;
  /** The longest wait. */
  maxMs: number;
}

/** Storage operations of the server's loops: 250 ms, doubling to 10 s (Hangfire waits n² s up to 5 min; a job server should not sleep for minutes after a database blip). */
export const STORAGE_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000 };

export class Backoff {
  private count = 0;

  constructor(private readonly options: BackoffOptions = STORAGE_BACKOFF) {}

  /** Failures in a row so far. */
  get failures(): number {
    return this.count;
  }

  /** Records a failure; returns how long to wait before the next try. */
  fail(): number {
    this.count++;
    return this.delay(this.count);
  }

  /** Records a success; returns how many failures in a row it ends (0 if none). */
  succeed(): number {
    const ended = this.count;
    this.count = 0;
    return ended;
  }

  /** The wait after the n-th failure in a row (n ≥ 1). */
  delay(n: number): number {
    const { initialMs, maxMs } = this.options;
    return Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(0, n - 1), 30));
  }
}
