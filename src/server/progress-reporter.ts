import { errorMessage } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Json, Storage } from '../storage/contract/index.js';

/** At most one progress write per job this often; the last value always gets written. */
const MIN_INTERVAL_MS = 500;

/**
 * Stores what a job reports with `ctx.progress(value)` as its `progress` parameter, shown in the
 * dashboard. Writes are throttled (one per 500 ms per job, the latest value wins) so a job that
 * reports in a tight loop costs the storage little; `flush()` writes the last value before the
 * job's final state.
 */
export class ProgressReporter {
  private pending: { value: Json } | undefined;
  private lastWrite = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly storage: Storage,
    private readonly jobId: string,
    private readonly serverId: string,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  report(value: Json): void {
    this.pending = { value };
    if (this.timer) return;
    const wait = Math.max(0, this.lastWrite + MIN_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.writing.then(() => this.write());
    }, wait);
  }

  /** Writes a value still waiting for its turn; resolves when every write is done. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.writing = this.writing.then(() => this.write());
    }
    await this.writing;
  }

  private async write(): Promise<void> {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    this.lastWrite = Date.now();
    try {
      await this.storage.mergeParameters(this.jobId, this.serverId, { progress: pending.value }, this.clock.now());
    } catch (e) {
      this.logger.debug('could not store progress', { error: errorMessage(e) });
    }
  }
}
