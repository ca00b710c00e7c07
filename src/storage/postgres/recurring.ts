import type { RecurringAdvance, RecurringJobRecord, RecurringStore } from '../contract/index.js';
import type { PostgresContext } from './context.js';
import type { PostgresJobStore } from './jobs.js';
import { type RecurringRow, toRecurring } from './rows.js';
import { jsonbText } from './wire.js';

/**
 * Recurring jobs' statements. Polled about once a second, yet planned per call, so a table that
 * grew to tens of thousands of definitions is never read with a plan made when it was empty.
 */
function recurringStatements(ctx: PostgresContext) {
  const s = ctx.s;
  return {
    /** The record travels as its JSON and is read by field name here. */
    upsert: ctx.plain(
      `INSERT INTO ${s}.recurring (id, name, queue, args, cron, time_zone, misfire, next_execution, last_execution,
                                    last_job_id, paused, created_at, error)
       SELECT r.id, r.name, r.queue, r.args, r.cron, r."timeZone", r.misfire, r."nextExecution", r."lastExecution",
              r."lastJobId", r.paused, r."createdAt", r.error
         FROM json_to_record($1::json) AS r(id text, name text, queue text, args text, cron text, "timeZone" text,
              misfire text, "nextExecution" bigint, "lastExecution" bigint, "lastJobId" text, paused boolean,
              "createdAt" bigint, error text)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, queue = excluded.queue, args = excluded.args,
         cron = excluded.cron, time_zone = excluded.time_zone, misfire = excluded.misfire,
         next_execution = excluded.next_execution, last_execution = excluded.last_execution,
         last_job_id = excluded.last_job_id, paused = excluded.paused, created_at = excluded.created_at,
         error = excluded.error`,
    ),
    remove: ctx.plain(`DELETE FROM ${s}.recurring WHERE id = $1::text`),
    pause: ctx.plain(`UPDATE ${s}.recurring SET paused = $2::boolean WHERE id = $1::text`),
    get: ctx.plain(`SELECT * FROM ${s}.recurring WHERE id = $1::text`),
    list: ctx.plain(`SELECT * FROM ${s}.recurring`),
    due: ctx.plain(
      `SELECT * FROM ${s}.recurring WHERE NOT paused AND next_execution <= $1::bigint
        ORDER BY next_execution, id LIMIT $2::integer`,
    ),
    /** The compare-and-set on `next_execution`; `error` changes only when $4. */
    advance: ctx.plain(
      `UPDATE ${s}.recurring SET next_execution = $2::bigint, last_execution = $3::bigint,
              error = CASE WHEN $4::boolean THEN $5::text ELSE error END
        WHERE id = $1::text AND next_execution = $6::bigint`,
    ),
    setLastJob: ctx.plain(`UPDATE ${s}.recurring SET last_job_id = $2::text WHERE id = $1::text`),
  };
}

/** Recurring job definitions on Postgres, and the once-only claim of their due occurrences. */
export class PostgresRecurringStore implements RecurringStore {
  private readonly sql: ReturnType<typeof recurringStatements>;

  /** `jobs` creates the occurrence jobs inside the advance's transaction. */
  constructor(
    private readonly ctx: PostgresContext,
    private readonly jobs: PostgresJobStore,
  ) {
    this.sql = recurringStatements(ctx);
  }

  async upsertRecurring(job: RecurringJobRecord): Promise<void> {
    await this.ctx.run(this.sql.upsert, [jsonbText(job)]);
  }

  async removeRecurring(id: string): Promise<boolean> {
    return ((await this.ctx.run(this.sql.remove, [id])).rowCount ?? 0) > 0;
  }

  async setRecurringPaused(id: string, paused: boolean): Promise<boolean> {
    return ((await this.ctx.run(this.sql.pause, [id, paused])).rowCount ?? 0) > 0;
  }

  async getRecurring(id: string): Promise<RecurringJobRecord | null> {
    const row = (await this.ctx.run<RecurringRow>(this.sql.get, [id])).rows[0];
    return row ? toRecurring(row) : null;
  }

  async listRecurring(): Promise<RecurringJobRecord[]> {
    const res = await this.ctx.run<RecurringRow>(this.sql.list, []);
    return res.rows.map(toRecurring).sort((a, b) => a.id.localeCompare(b.id));
  }

  async dueRecurring(now: number, limit: number): Promise<RecurringJobRecord[]> {
    if (limit <= 0) return [];
    const res = await this.ctx.run<RecurringRow>(this.sql.due, [now, limit]);
    return res.rows.map(toRecurring);
  }

  /**
   * One transaction: the compare-and-set on `next_execution` (concurrent servers queue on the
   * row lock, and all but the first then see a changed value), the occurrence jobs, `lastJobId`.
   */
  async advanceRecurring(a: RecurringAdvance, now: number): Promise<boolean> {
    return this.ctx.inTransaction(async (client) => {
      const moved = await this.ctx.run(
        this.sql.advance,
        [a.id, a.nextExecution, a.lastExecution, a.error !== undefined, a.error ?? null, a.expectNext],
        client,
      );
      if ((moved.rowCount ?? 0) === 0) return false;
      if (a.jobs.length > 0) {
        const created = await this.jobs.insertJobs(a.jobs, now, client);
        await this.ctx.run(this.sql.setLastJob, [a.id, created[created.length - 1]!.id], client);
      }
      return true;
    });
  }
}
