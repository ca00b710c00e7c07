import { sampleOffset, type ClockOffset } from '../clock-offset.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/contract/index.js';
import { CLOCK_OFFSET_WARNING_MS } from './defaults.js';
import { PeriodicProcess } from './periodic-process.js';

/** Samples taken at start, so the server starts on corrected time: the best of three. */
const INITIAL_SAMPLES = 3;

/**
 * Keeps the server's clock on the storage's (Postgres `clock_timestamp()`, Redis `TIME`): one
 * sample of the offset every heartbeat interval into the shared `ClockOffset`, which corrects
 * the clock every part of the server reads (due times, leases, heartbeats, cron occurrences).
 * Logs a warning when the offset is over `CLOCK_OFFSET_WARNING_MS`: Kiln corrects for it, but
 * the host's other programs do not. For a storage without a clock (memory, SQLite) it measures
 * once at start, learns there is nothing to correct, and never runs.
 */
export class ClockSync {
  readonly process: PeriodicProcess;
  /** Whether the storage has a clock of its own; known after `initial()`. */
  private hasClock = false;
  private warnedAt: number | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly base: Clock,
    private readonly offset: ClockOffset,
    intervalMs: number,
    private readonly logger: Logger,
  ) {
    this.process = new PeriodicProcess('clock-sync', intervalMs, () => this.sample(), logger);
  }

  /** Measures before the server announces itself; resolves true when the storage has a clock. */
  async initial(): Promise<boolean> {
    for (let i = 0; i < INITIAL_SAMPLES; i++) {
      if (!(await sampleOffset(this.storage, this.base, this.offset))) return false;
    }
    this.hasClock = true;
    this.check();
    return true;
  }

  /** Starts the periodic samples if the storage has a clock. */
  start(): void {
    if (this.hasClock) this.process.start();
  }

  private async sample(): Promise<void> {
    await sampleOffset(this.storage, this.base, this.offset);
    this.check();
  }

  /** Warns when the offset is large: once, and again when it moved by more than the threshold. */
  private check(): void {
    const ms = this.offset.ms;
    if (Math.abs(ms) <= CLOCK_OFFSET_WARNING_MS) return;
    if (this.warnedAt !== undefined && Math.abs(ms - this.warnedAt) <= CLOCK_OFFSET_WARNING_MS) return;
    this.warnedAt = ms;
    this.logger.warn(
      `this host's clock is ${Math.abs(ms)} ms ${ms > 0 ? 'behind' : 'ahead of'} the storage's; Kiln corrects its own times by it, but check the host's time synchronization (NTP)`,
      { clockOffsetMs: ms },
    );
  }
}
