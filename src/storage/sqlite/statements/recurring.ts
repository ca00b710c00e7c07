import type BetterSqlite3 from 'better-sqlite3';
import type { RecurringJobRecord } from '../../contract/index.js';
import type { RecurringRow } from '../rows.js';
import type { Statement } from './index.js';

/** The statements of recurring job definitions and their compare-and-set advance. */
export class RecurringStatements {
  /** Binds a `RecurringJobRecord` by name, `paused` as 0/1. */
  readonly upsertRecurring: Statement<[Omit<RecurringJobRecord, 'paused'> & { paused: number }]>;
  readonly removeRecurring: Statement<[string]>;
  readonly pauseRecurring: Statement<[number, string]>;
  readonly getRecurring: Statement<[string], RecurringRow>;
  readonly listRecurring: Statement<[], RecurringRow>;
  readonly dueRecurring: Statement<[number, number], RecurringRow>;
  readonly recurringNext: Statement<[string], { next_execution: number | null }>;
  readonly advanceRecurring: Statement<
    [next: number | null, last: number | null, setError: number, error: string | null, lastJobId: string | null, id: string]
  >;

  constructor(db: BetterSqlite3.Database) {
    this.upsertRecurring = db.prepare(
      `INSERT INTO kiln_recurring (id, name, queue, args, cron, time_zone, misfire, next_execution, last_execution,
         last_job_id, paused, created_at, error)
       VALUES (@id, @name, @queue, @args, @cron, @timeZone, @misfire, @nextExecution, @lastExecution,
         @lastJobId, @paused, @createdAt, @error)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, queue = excluded.queue, args = excluded.args,
         cron = excluded.cron, time_zone = excluded.time_zone, misfire = excluded.misfire,
         next_execution = excluded.next_execution, last_execution = excluded.last_execution,
         last_job_id = excluded.last_job_id, paused = excluded.paused, created_at = excluded.created_at,
         error = excluded.error`,
    );
    this.removeRecurring = db.prepare(`DELETE FROM kiln_recurring WHERE id = ?`);
    this.pauseRecurring = db.prepare(`UPDATE kiln_recurring SET paused = ? WHERE id = ?`);
    this.getRecurring = db.prepare(`SELECT * FROM kiln_recurring WHERE id = ?`);
    this.listRecurring = db.prepare(`SELECT * FROM kiln_recurring`);
    this.dueRecurring = db.prepare(
      `SELECT * FROM kiln_recurring
       WHERE paused = 0 AND next_execution IS NOT NULL AND next_execution <= ?
       ORDER BY next_execution, rowid LIMIT ?`,
    );
    this.recurringNext = db.prepare(`SELECT next_execution FROM kiln_recurring WHERE id = ?`);
    this.advanceRecurring = db.prepare(
      `UPDATE kiln_recurring
       SET next_execution = ?, last_execution = ?, error = iif(?, ?, error), last_job_id = coalesce(?, last_job_id)
       WHERE id = ?`,
    );
  }
}
