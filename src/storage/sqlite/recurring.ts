import type { RecurringAdvance, RecurringJobRecord, RecurringStore } from '../contract/index.js';
import type { SqliteContext } from './context.js';
import { insertJobs } from './jobs.js';
import { toRecurringRecord } from './rows.js';

/**
 * Recurring job definitions on SQLite. `advanceRecurring` is the compare-and-set on
 * `next_execution` and the insert of the occurrence's jobs in one write transaction, so each
 * occurrence is enqueued once however many servers and processes poll.
 */
export class SqliteRecurringStore implements RecurringStore {
  constructor(private readonly ctx: SqliteContext) {}

  async upsertRecurring(job: RecurringJobRecord): Promise<void> {
    this.ctx.open().s.recurring.upsertRecurring.run({ ...job, paused: job.paused ? 1 : 0 });
  }

  async removeRecurring(id: string): Promise<boolean> {
    return this.ctx.open().s.recurring.removeRecurring.run(id).changes > 0;
  }

  async setRecurringPaused(id: string, paused: boolean): Promise<boolean> {
    return this.ctx.open().s.recurring.pauseRecurring.run(paused ? 1 : 0, id).changes > 0;
  }

  async getRecurring(id: string): Promise<RecurringJobRecord | null> {
    const row = this.ctx.open().s.recurring.getRecurring.get(id);
    return row ? toRecurringRecord(row) : null;
  }

  /** Sorted by id with `localeCompare`, like the in-memory backend (SQL would sort by bytes). */
  async listRecurring(): Promise<RecurringJobRecord[]> {
    return this.ctx
      .open()
      .s.recurring.listRecurring.all()
      .map(toRecurringRecord)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async dueRecurring(now: number, limit: number): Promise<RecurringJobRecord[]> {
    if (!(limit > 0)) return [];
    return this.ctx.open().s.recurring.dueRecurring.all(now, limit).map(toRecurringRecord);
  }

  async advanceRecurring(a: RecurringAdvance, now: number): Promise<boolean> {
    return this.ctx.write((s, batch) => {
      const row = s.recurring.recurringNext.get(a.id);
      if (!row || row.next_execution !== a.expectNext) return false;
      let lastJobId: string | null = null;
      if (a.jobs.length > 0) {
        const created = insertJobs(s.jobs, batch, a.jobs, now);
        lastJobId = created[created.length - 1]!.id;
      }
      s.recurring.advanceRecurring.run(
        a.nextExecution,
        a.lastExecution,
        a.error !== undefined ? 1 : 0,
        a.error ?? null,
        lastJobId,
        a.id,
      );
      return true;
    });
  }
}
