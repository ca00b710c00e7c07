import type * as contract from '../contract/index.js';
import { changeEvents, enqueuedEvent, progressEvent, startedEvent, type EventJob } from '../job-events.js';
import type { PostgresContext, Queryable } from './context.js';
import type { EventedWrite } from './publishing.js';
import type { ClaimedRow } from './rows.js';
import type { ChangeColumns } from './wire.js';
import { jobWriteCalls } from './write-calls.js';

/**
 * The job store's writes made with their events (see `publishing.ts`): the same functions as the
 * quick statements of `jobs.ts`, asking `listening()` in the same statement and returning what
 * `src/storage/job-events.ts` needs to build the events. Used only while someone listens.
 */
function eventedStatements(ctx: PostgresContext) {
  const s = ctx.s;
  const call = jobWriteCalls(s);
  const listening = `(SELECT ${s}.listening())`;
  return {
    insertJobs: ctx.named('insert_ev', `SELECT ${call.insertJobs} AS done, ${listening} AS listening`),
    createJobs: ctx.named(
      'create_ev',
      `SELECT coalesce((SELECT json_agg(json_build_array(c.o_i, c.o_id)) FROM ${call.createJobs} c), '[]') AS turned,
              ${listening} AS listening`,
    ),
    fetch: ctx.named('fetch_ev', `SELECT f.*, ${listening} AS o_listening FROM ${call.fetch} f`),
    /**
     * With the jobs as the statement found them (`name`, `queue`, `attempt` before the change):
     * the sub-select reads the statement's snapshot, taken before `transition_jobs` ran.
     */
    transition: ctx.named(
      'transition_ev',
      `SELECT ${call.transition} AS applied, ${listening} AS listening,
         (SELECT json_agg(json_build_object('id', j.id, 'name', j.name, 'queue', j.queue, 'attempt', j.attempt))
            FROM ${s}.jobs j WHERE j.id = ANY (string_to_array($1::text, E'\\x1e'))) AS jobs`,
    ),
    mergeParameters: ctx.named('merge_ev', `${call.mergeParameters} RETURNING id, name, queue, attempt, ${listening} AS listening`),
  };
}

export class EventedJobWrites {
  private readonly sql: ReturnType<typeof eventedStatements>;

  constructor(private readonly ctx: PostgresContext) {
    this.sql = eventedStatements(ctx);
  }

  /** `insert_jobs` (no unique keys: every job is created). */
  async insertJobs(jobs: contract.NewJob[], columns: unknown[], on: Queryable): Promise<EventedWrite<contract.CreatedJob[]>> {
    const res = await this.ctx.run<{ listening: boolean }>(this.sql.insertJobs, columns, on);
    const result = jobs.map((j) => ({ id: j.id, created: true }));
    return { result, listening: res.rows[0]?.listening === true, events: () => createdEvents(jobs, result) };
  }

  /** `create_jobs` (unique keys): the jobs turned away by a holder are not created. */
  async createJobs(jobs: contract.NewJob[], json: string, now: number, on: Queryable): Promise<EventedWrite<contract.CreatedJob[]>> {
    const res = await this.ctx.run<{ turned: Array<[number, string]>; listening: boolean }>(this.sql.createJobs, [json, now], on);
    const row = res.rows[0]!;
    const result: contract.CreatedJob[] = jobs.map((j) => ({ id: j.id, created: true }));
    for (const [i, id] of row.turned) result[i] = { id, created: false };
    return { result, listening: row.listening, events: () => createdEvents(jobs, result) };
  }

  async fetch(values: unknown[], o: contract.FetchOptions, on: Queryable): Promise<EventedWrite<Array<ClaimedRow & { o_listening: boolean }>>> {
    const res = await this.ctx.run<ClaimedRow & { o_listening: boolean }>(this.sql.fetch, values, on);
    return {
      result: res.rows,
      listening: res.rows[0]?.o_listening,
      // In claim order, as the caller sorts the rows it returns.
      events: () => sortClaimed(res.rows, o.queues).map((r) => startedEvent(claimedEventJob(r), o.serverId, o.now)),
    };
  }

  /** One round of `transition_jobs`: returns the rows of the round that applied. */
  async transition(
    changes: contract.TransitionChange[],
    round: ChangeColumns,
    values: unknown[],
    on: Queryable,
  ): Promise<EventedWrite<number[]>> {
    const res = await this.ctx.run<{ applied: number[]; listening: boolean; jobs: EventJob[] | null }>(this.sql.transition, values, on);
    const applied = res.rows[0]?.applied ?? [];
    const jobs = new Map((res.rows[0]?.jobs ?? []).map((j) => [j.id, j]));
    return {
      result: applied,
      listening: res.rows[0]?.listening === true,
      events: () =>
        [...applied]
          .sort((a, b) => round.positions[a]! - round.positions[b]!)
          .flatMap((row) => {
            const change = changes[round.positions[row]!]!;
            const job = jobs.get(change.id);
            return job ? changeEvents(change, job) : [];
          }),
    };
  }

  /** `mergeParameters` with a `progress` parameter. */
  async mergeProgress(values: unknown[], progress: contract.Json, now: number, on: Queryable): Promise<EventedWrite<boolean>> {
    const res = await this.ctx.run<EventJob & { listening: boolean }>(this.sql.mergeParameters, values, on);
    const row = res.rows[0];
    return { result: row !== undefined, listening: row?.listening, events: () => (row ? [progressEvent(row, progress, now)] : []) };
  }
}

function createdEvents(jobs: contract.NewJob[], result: contract.CreatedJob[]): contract.JobEvent[] {
  const events: contract.JobEvent[] = [];
  jobs.forEach((job, i) => {
    if (result[i]!.created && job.state.name === 'enqueued') events.push(enqueuedEvent({ ...job, attempt: 1 }, job.state.reason, job.state.at));
  });
  return events;
}

function claimedEventJob(r: ClaimedRow): EventJob {
  return { id: r.o_id, name: r.o_name, queue: r.o_queue, attempt: r.o_attempt };
}

/** Claimed rows in claim order: the queues' order, then FIFO. */
export function sortClaimed<R extends ClaimedRow>(rows: R[], queues: string[]): R[] {
  const rank = new Map<string, number>();
  queues.forEach((q, i) => {
    if (!rank.has(q)) rank.set(q, i);
  });
  return rows.sort(
    (a, b) => (rank.get(a.o_queue) ?? 0) - (rank.get(b.o_queue) ?? 0) || b.o_priority - a.o_priority || a.o_seq - b.o_seq,
  );
}
