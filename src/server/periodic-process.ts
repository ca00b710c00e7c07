import type { Logger } from '../logger.js';
import { LoggedBackoff } from './logged-backoff.js';

/**
 * What a process does on each run. `signal` is aborted when the process stops, so a long run (a
 * drain of a large backlog) can end between batches instead of holding up the server's shutdown.
 * Returns how long to wait before the next run when that is sooner than the interval.
 */
export type ProcessTick = (signal: AbortSignal) => Promise<number | void>;

/**
 * One of the server's background processes: runs `tick` now, then again after the delay it
 * returns (or `intervalMs`), or at once when woken. A tick that throws is logged and retried
 * with the server's storage back-off (`STORAGE_BACKOFF`: 250 ms doubling to 10 s).
 */
export class PeriodicProcess {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private woken = false;
  private readonly backoff: LoggedBackoff;
  private abort = new AbortController();

  private lastRun = 0;
  private dueAt = Infinity;

  /**
   * `minWakeGapMs`: a wake-up within this long of the last run waits for the rest of it, so a
   * process woken by every batch of completions still runs at most that often (default 0).
   */
  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly tick: ProcessTick,
    logger: Logger,
    private readonly minWakeGapMs = 0,
  ) {
    this.backoff = new LoggedBackoff(name, logger);
  }

  start(): void {
    this.stopped = false;
    this.abort = new AbortController();
    this.schedule(0);
  }

  /** Runs the tick as soon as possible (after the current one, if one is running). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.woken = true;
      return;
    }
    const at = Math.max(Date.now(), this.lastRun + this.minWakeGapMs);
    if (at < this.dueAt) this.schedule(at - Date.now());
  }

  /** Stops; resolves when a tick in progress has finished (it sees its signal aborted). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.dueAt = Date.now() + Math.max(0, delay);
    this.timer = setTimeout(() => {
      this.dueAt = Infinity;
      this.running = this.run();
    }, Math.max(0, delay));
  }

  private async run(): Promise<void> {
    this.lastRun = Date.now();
    let next = this.intervalMs;
    try {
      const asked = await this.tick(this.abort.signal);
      if (typeof asked === 'number') next = Math.min(asked, this.intervalMs);
      this.backoff.succeed();
    } catch (e) {
      next = this.backoff.fail(e);
    }
    this.running = undefined;
    if (this.woken && this.backoff.failures === 0) next = this.minWakeGapMs;
    this.woken = false;
    this.schedule(next);
  }
}
