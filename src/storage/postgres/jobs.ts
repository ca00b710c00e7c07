import { ValidationError } from '../../errors.js';
import { claimedJob } from '../claimed-job.js';
import type * as contract from '../contract/index.js';
import { type PostgresContext, type Queryable, pgCode, UNIQUE_VIOLATION } from './context.js';
import { EventedJobWrites, sortClaimed } from './evented-writes.js';
import type { EventPublishing } from './publishing.js';
import { type ClaimedRow, jobColumns, type JobRow, toJob, unclaimedFields } from './rows.js';
import { ChangeColumns, jsonbText, keyedJobsJson, newJobColumns } from './wire.js';
import { jobWriteCalls } from './write-calls.js';

/**
 * The job store's statements: prepared, each a call of one of the schema's functions. The writes
 * that publish job events carry `quiet` (see `publishing.ts`): made without their events, they
 * raise when someone listens, before writing anything.
 */
function jobStatements(ctx: PostgresContext) {
  const s = ctx.s;
  const cols = jobColumns('j');
  const quiet = `(SELECT ${s}.quiet())`;
  const call = jobWriteCalls(s);
  return {
    createJobs: ctx.named('create', `SELECT o_i, o_id FROM ${call.createJobs} WHERE ${quiet}`),
    insertJobs: ctx.named('insert', `SELECT ${call.insertJobs} WHERE ${quiet}`),
    fetch: ctx.named('fetch', `SELECT * FROM ${call.fetch} WHERE ${quiet}`),
    transition: ctx.named('transition', `SELECT ${call.transition} AS applied WHERE ${quiet}`),
    renewLeases: ctx.named('renew', `SELECT id FROM ${s}.renew_leases($1::text, $2::text[], $3::bigint) id`),
    mergeParameters: ctx.named('merge_parameters', call.mergeParameters),
    mergeProgress: ctx.named('merge_progress', `${call.mergeParameters} AND ${quiet}`),
    getJob: ctx.named(
      'get_job',
      `SELECT ${cols}, j.history, ${s}.children(j.id) AS continuations FROM ${s}.get_job($1::text) j`,
    ),
    continuationsOf: ctx.named('continuations_of', `SELECT ${cols} FROM ${s}.continuations_of($1::text[]) j`),
    awaitingReady: ctx.named(
      'awaiting_ready',
      `SELECT ${jobColumns('(r.job)')}, r.parent_state, r.parent_result FROM ${s}.awaiting_ready($1::integer) r`,
    ),
  };
}

/**
 * The job store on Postgres: the hot path of every server, one round trip per call. `fetch`
 * claims a batch with `FOR UPDATE SKIP LOCKED` in queue priority order; `transition` applies a
 * whole batch of compare-and-set changes with history, counters and wake-ups in one statement;
 * `createJobs` inserts a batch, resolves unique keys and notifies in one call (also inside the
 * application's own transaction, with `{ tx }`).
 */
export class PostgresJobStore implements contract.JobStore {
  private readonly sql: ReturnType<typeof jobStatements>;
  private readonly evented: EventedJobWrites;

  constructor(
    private readonly ctx: PostgresContext,
    private readonly publishing: EventPublishing,
  ) {
    this.sql = jobStatements(ctx);
    this.evented = new EventedJobWrites(ctx);
  }

  /**
   * With `tx` (a `pg.Client` or `pg.PoolClient` inside the application's `BEGIN`), the jobs are
   * inserted on that connection: they exist, and their wake-ups are sent, only if the
   * application commits. Without it, a batch whose unique keys deadlocked against another
   * batch's (taken in the opposite order) is retried; inside a `tx` the error is the
   * application's to handle, since its transaction is aborted.
   */
  async createJobs(jobs: contract.NewJob[], options: contract.CreateOptions): Promise<contract.CreatedJob[]> {
    if (jobs.length === 0) return [];
    if (options.tx !== undefined) {
      const tx = options.tx as Partial<Queryable> | null;
      if (!tx || typeof tx.query !== 'function') {
        throw new ValidationError('options.tx', 'must be a pg.Client or pg.PoolClient inside BEGIN');
      }
      return this.insertJobs(jobs, options.now, tx as Queryable);
    }
    if (!jobs.some((j) => j.uniqueKey !== undefined)) {
      const columns = newJobColumns(jobs);
      return this.publishing.write(
        async () => {
          await this.ctx.run(this.sql.insertJobs, columns);
          return jobs.map((j) => ({ id: j.id, created: true }));
        },
        (client) => this.evented.insertJobs(jobs, columns, client),
      );
    }
    const json = keyedJobsJson(jobs);
    return this.publishing.write(
      async () => {
        const res = await this.ctx.run<{ o_i: number; o_id: string }>(this.sql.createJobs, [json, options.now]);
        const out: contract.CreatedJob[] = jobs.map((j) => ({ id: j.id, created: true }));
        for (const row of res.rows) out[row.o_i] = { id: row.o_id, created: false };
        return out;
      },
      (client) => this.evented.createJobs(jobs, json, options.now, client),
    );
  }

  /**
   * Inserts on `on`, a transaction already open (the application's `tx`, a recurring advance's),
   * with the jobs' events when someone listens; no retry.
   */
  async insertJobs(jobs: contract.NewJob[], now: number, on: Queryable): Promise<contract.CreatedJob[]> {
    return this.publishing.publish(on, (client) =>
      jobs.some((j) => j.uniqueKey !== undefined)
        ? this.evented.createJobs(jobs, keyedJobsJson(jobs), now, client)
        : this.evented.insertJobs(jobs, newJobColumns(jobs), client),
    );
  }

  async fetch(o: contract.FetchOptions): Promise<contract.JobRecord[]> {
    if (o.max <= 0 || o.queues.length === 0) return [];
    const values = [o.queues, o.max, o.serverId, o.now + o.leaseMs, o.now];
    const rows = await this.publishing.write(
      async () => (await this.ctx.run<ClaimedRow>(this.sql.fetch, values)).rows,
      (client) => this.evented.fetch(values, o, client),
    );
    return sortClaimed(rows, o.queues).map((r) => claimedJob(unclaimedFields(r), o));
  }

  async mergeParameters(id: string, serverId: string, parameters: contract.JobRecord['parameters'], now: number): Promise<boolean> {
    const values = [id, serverId, jsonbText(parameters)];
    if (!('progress' in parameters)) return (await this.ctx.run(this.sql.mergeParameters, values)).rowCount === 1;
    return this.publishing.write(
      async () => (await this.ctx.run(this.sql.mergeProgress, values)).rowCount === 1,
      (client) => this.evented.mergeProgress(values, parameters['progress']!, now, client),
    );
  }

  async renewLeases(serverId: string, ids: string[], leaseMs: number, now: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const res = await this.ctx.run<{ id: string }>(this.sql.renewLeases, [serverId, ids, now + leaseMs]);
    const held = new Set(res.rows.map((r) => r.id));
    return ids.filter((id) => !held.has(id));
  }

  /**
   * Applies the changes in one statement when their ids are distinct (the worker's batched
   * completions). When one job appears several times, the changes run in rounds (the n-th change
   * of each job in round n), so later changes see the earlier ones, as in memory.
   */
  async transition(changes: contract.TransitionChange[], now: number): Promise<boolean[]> {
    const results = changes.map(() => false);
    const rounds: ChangeColumns[] = [];
    const seen = new Map<string, number>();
    changes.forEach((c, i) => {
      const round = seen.get(c.id) ?? 0;
      seen.set(c.id, round + 1);
      (rounds[round] ??= new ChangeColumns()).add(c, i);
    });
    for (const round of rounds) {
      for (const row of await this.transitionRound(changes, round, now)) results[round.positions[row]!] = true;
    }
    return results;
  }

  /** Applies one round; returns the rows (indexes into the round) that applied. */
  private async transitionRound(changes: contract.TransitionChange[], round: ChangeColumns, now: number): Promise<number[]> {
    const values = round.values();
    try {
      return await this.transitionOnce(changes, round, [...values, now, true]);
    } catch (err) {
      if (pgCode(err) !== UNIQUE_VIOLATION) throw err;
      // Two jobs coming back to an active state raced for one unique key: let them come back
      // without taking it rather than fail the batch.
      return this.transitionOnce(changes, round, [...values, now, false]);
    }
  }

  private transitionOnce(changes: contract.TransitionChange[], round: ChangeColumns, values: unknown[]): Promise<number[]> {
    return this.publishing.write(
      async () => (await this.ctx.run<{ applied: number[] }>(this.sql.transition, values)).rows[0]?.applied ?? [],
      (client) => this.evented.transition(changes, round, values, client),
    );
  }

  async getJob(id: string): Promise<contract.JobDetails | null> {
    const res = await this.ctx.run<JobRow & { history: string; continuations: string[] }>(this.sql.getJob, [id]);
    const row = res.rows[0];
    if (!row) return null;
    const history = JSON.parse(`[${row.history}]`) as contract.StateEntry[];
    return { ...toJob(row), history, continuations: row.continuations };
  }

  async continuationsOf(parentIds: string[]): Promise<contract.JobRecord[]> {
    if (parentIds.length === 0) return [];
    const res = await this.ctx.run<JobRow>(this.sql.continuationsOf, [parentIds]);
    return res.rows.map(toJob);
  }

  async awaitingReady(limit: number): ReturnType<contract.JobStore['awaitingReady']> {
    if (limit <= 0) return [];
    type ReadyRow = JobRow & { parent_state: contract.StateName | null; parent_result: string | null };
    const res = await this.ctx.run<ReadyRow>(this.sql.awaitingReady, [limit]);
    return res.rows.map((r) => ({ job: toJob(r), parentState: r.parent_state, parentResult: r.parent_result }));
  }
}
