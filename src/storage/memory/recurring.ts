import type { RecurringAdvance, RecurringJobRecord, RecurringStore } from '../contract/index.js';
import type { MemoryJobs } from './jobs.js';
import { clone, type MemoryState } from './state.js';

/** Recurring job definitions in memory, and the compare-and-set claim of their occurrences. */
export class MemoryRecurring implements RecurringStore {
  constructor(
    private readonly s: MemoryState,
    private readonly jobs: MemoryJobs,
  ) {}

  async upsertRecurring(job: RecurringJobRecord): Promise<void> {
    this.s.recurring.set(job.id, clone(job));
  }

  async removeRecurring(id: string): Promise<boolean> {
    return this.s.recurring.delete(id);
  }

  async setRecurringPaused(id: string, paused: boolean): Promise<boolean> {
    const r = this.s.recurring.get(id);
    if (!r) return false;
    r.paused = paused;
    return true;
  }

  async getRecurring(id: string): Promise<RecurringJobRecord | null> {
    const r = this.s.recurring.get(id);
    return r ? clone(r) : null;
  }

  async listRecurring(): Promise<RecurringJobRecord[]> {
    return [...this.s.recurring.values()].sort((a, b) => a.id.localeCompare(b.id)).map(clone);
  }

  async dueRecurring(now: number, limit: number): Promise<RecurringJobRecord[]> {
    return [...this.s.recurring.values()]
      .filter((r) => !r.paused && r.nextExecution !== null && r.nextExecution <= now)
      .sort((a, b) => (a.nextExecution ?? 0) - (b.nextExecution ?? 0))
      .slice(0, limit)
      .map(clone);
  }

  async advanceRecurring(a: RecurringAdvance, now: number): Promise<boolean> {
    const r = this.s.recurring.get(a.id);
    if (!r || r.nextExecution !== a.expectNext) return false;
    r.nextExecution = a.nextExecution;
    r.lastExecution = a.lastExecution;
    if (a.error !== undefined) r.error = a.error;
    if (a.jobs.length > 0) {
      const created = this.jobs.create(a.jobs, now);
      r.lastJobId = created[created.length - 1]!.id;
    }
    return true;
  }
}
