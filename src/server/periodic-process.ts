import type { Logger } from '../logger.js';

/** The longest pause after repeated failures of a process. */
const MAX_BACKOFF_MS = 10_000;

/**
 * One of the server's background processes: runs `tick` now, then again after the delay it
 * returns (or `intervalMs`), or at once when woken. A tick that throws is logged and retried with
 * a doubling back-off (250 ms up to 10 s) — shorter than Hangfire's n² s up to 5 min, because a
 * job server that sleeps minutes after a database blip is late for everything.
 */
export class PeriodicProcess {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private woken = false;
  private failures = 0;

  private lastRun = 0;
  private dueAt = Infinity;

  /**
   * `minWakeGapMs`: a wake-up within this long of the last run waits for the rest of it, so a
   * process woken by every batch of completions still runs at most that often (default 0).
   */
  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly tick: () => Promise<number | void>,
    private readonly logger: Logger,
    private readonly minWakeGapMs = 0,
  ) {}

  start(): void {
    this.stopped = false;
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

  /** Stops; resolves when a tick in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
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
      const asked = await this.tick();
      if (typeof asked === 'number') next = Math.min(asked, this.intervalMs);
      if (this.failures > 0) this.logger.info(`${this.name} works again after ${this.failures} failure(s)`);
      this.failures = 0;
    } catch (e) {
      this.failures++;
      next = Math.min(250 * 2 ** (this.failures - 1), MAX_BACKOFF_MS);
      this.logger.warn(`${this.name} failed (${this.failures} in a row), retrying in ${next} ms`, { error: errorText(e) });
    }
    this.running = undefined;
    if (this.woken && this.failures === 0) next = this.minWakeGapMs;
    this.woken = false;
    this.schedule(next);
  }
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
