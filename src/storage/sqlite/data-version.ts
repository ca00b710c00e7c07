import { errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';

/**
 * Polls a connection's `PRAGMA data_version` every `intervalMs` while started, and calls
 * `onChange` when it moved: the value changes when another connection commits, and never for the
 * connection's own commits, so a change means "someone else wrote". How SQLite's wake-ups and
 * job events cross processes. The timer is `unref()`ed: it never keeps a process alive.
 */
export class DataVersionWatcher {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private failing = false;

  constructor(
    private readonly read: () => number,
    private readonly intervalMs: number,
    private readonly onChange: () => void,
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  start(): void {
    if (this.timer) return;
    this.last = this.read();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    let current: number;
    try {
      current = this.read();
    } catch (error) {
      // The file is briefly unreadable: try again next tick, and say so once per run of failures.
      if (!this.failing) this.logger.warn(`SQLite ${this.what} poll failed; retrying`, { error: errorMessage(error) });
      this.failing = true;
      return;
    }
    if (this.failing) this.logger.info(`SQLite ${this.what} poll restored`);
    this.failing = false;
    if (current !== this.last) {
      this.last = current;
      this.onChange();
    }
  }
}
