import type { NewJob } from './jobs.js';

/** What to do with cron occurrences missed while no server was running. */
export type MisfirePolicy = 'relaxed' | 'strict' | 'ignorable';

/** A recurring job definition. */
export interface RecurringJobRecord {
  id: string;
  /** The job definition's name. */
  name: string;
  queue: string;
  args: string;
  cron: string;
  timeZone: string;
  misfire: MisfirePolicy;
  /** The next occurrence to enqueue, epoch ms; null when the cron has no future occurrence. */
  nextExecution: number | null;
  lastExecution: number | null;
  lastJobId: string | null;
  paused: boolean;
  createdAt: number;
  /** Why the last attempt to schedule failed, if it did. */
  error: string | null;
}

/**
 * The compare-and-set advance of a recurring job after its due occurrences were computed: applies
 * only if `nextExecution` is still `expectNext`, and then creates `jobs` in the same transaction,
 * so each occurrence is enqueued once however many servers poll.
 */
export interface RecurringAdvance {
  id: string;
  expectNext: number;
  nextExecution: number | null;
  lastExecution: number | null;
  jobs: NewJob[];
  error?: string | null;
}

/** Recurring job definitions and the atomic claim of their due occurrences. */
export interface RecurringStore {
  upsertRecurring(job: RecurringJobRecord): Promise<void>;
  removeRecurring(id: string): Promise<boolean>;
  setRecurringPaused(id: string, paused: boolean): Promise<boolean>;
  getRecurring(id: string): Promise<RecurringJobRecord | null>;
  listRecurring(): Promise<RecurringJobRecord[]>;
  /** Not paused, `nextExecution <= now`, earliest first. */
  dueRecurring(now: number, limit: number): Promise<RecurringJobRecord[]>;
  /** Compare-and-set on `nextExecution`; creates the occurrence jobs in the same transaction. */
  advanceRecurring(advance: RecurringAdvance, now: number): Promise<boolean>;
}
