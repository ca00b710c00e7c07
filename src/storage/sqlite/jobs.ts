import type {
  CreatedJob,
  CreateOptions,
  FetchOptions,
  JobDetails,
  JobRecord,
  JobStore,
  Json,
  NewJob,
  StateName,
  TransitionChange,
} from '../contract/index.js';
import { KilnError } from '../../errors.js';
import { refuseTransaction } from '../no-transactions.js';
import { changeEvents, enqueuedEvent, progressEvent, startedEvent } from '../job-events.js';
import type { SqliteContext } from './context.js';
import { SqliteClaim } from './claim.js';
import { limitColumns, parseHistory, stateDataText, toJobRecord } from './rows.js';
import type { ChangeRow, JobStatements, UniqueHolder } from './statements/jobs.js';
import type { WriteBatch } from './write-batch.js';

/**
 * The job store on SQLite: the hot path. better-sqlite3 runs statements synchronously in the
 * calling thread, with no round trip, so each call is one transaction of prepared statements:
 * `fetch` claims a whole batch per queue with one `UPDATE ... RETURNING`, `transition` applies a
 * whole batch in one transaction, `createJobs` inserts any number of jobs in one. `fetch` first
 * looks with a read, so an idle server never takes the write lock.
 */
export class SqliteJobStore implements JobStore {
  constructor(private readonly ctx: SqliteContext) {}

  /**
   * Inserts the jobs in one write transaction. `options.tx` is refused (a `ValidationError`,
   * nothing written): SQLite has one writer and Kiln owns the connection, so there is no
   * application transaction to join (enqueueing inside an application's own SQLite transaction
   * would need the application to share this connection), and ignoring it would let the caller
   * believe the jobs roll back with their own writes.
   */
  async createJobs(jobs: NewJob[], options: CreateOptions): Promise<CreatedJob[]> {
    refuseTransaction(options, 'SqliteStorage', "Kiln owns its connection to the file, so an application's transaction cannot include the jobs");
    if (jobs.length === 0) return [];
    return this.ctx.write((s, batch) => insertJobs(s.jobs, batch, jobs, options.now));
  }

  /** See `FetchOptions`; the claim itself is `SqliteClaim`. */
  async fetch(o: FetchOptions): Promise<JobRecord[]> {
    if (!(o.max > 0) || o.queues.length === 0) return [];
    const { jobs } = this.ctx.open().s;
    if (!o.queues.some((q) => jobs.hasEnqueued.get(q) !== undefined)) return [];
    return this.ctx.write((s, batch) => {
      const claim = new SqliteClaim(s, batch, o);
      const jobs: JobRecord[] = [];
      for (const queue of o.queues) {
        const room = o.max - jobs.length;
        if (room <= 0) break;
        jobs.push(...claim.queue(queue, room));
      }
      claim.finish();
      if (batch.publishing) for (const job of jobs) batch.publish(startedEvent(job, o.serverId, o.now));
      return jobs;
    });
  }

  async renewLeases(serverId: string, ids: string[], leaseMs: number, now: number): Promise<string[]> {
    if (ids.length === 0) return [];
    return this.ctx.write((s) => {
      const until = now + leaseMs;
      return ids.filter((id) => s.jobs.renewLease.run(until, id, serverId).changes === 0);
    });
  }

  async mergeParameters(id: string, serverId: string, parameters: { [key: string]: Json }, now: number): Promise<boolean> {
    return this.ctx.write((s, batch) => {
      const row = s.jobs.heldParameters.get(id, serverId);
      if (!row) return false;
      s.jobs.setParameters.run(JSON.stringify({ ...(JSON.parse(row.parameters) as object), ...parameters }), id);
      if ('progress' in parameters && batch.publishing) batch.publish(progressEvent(row, parameters['progress']!, now));
      return true;
    });
  }

  async transition(changes: TransitionChange[], now: number): Promise<boolean[]> {
    if (changes.length === 0) return [];
    return this.ctx.write((s, batch) => changes.map((c) => applyChange(s.jobs, batch, c, now)));
  }

  async getJob(id: string): Promise<JobDetails | null> {
    return this.ctx.read((s) => {
      const row = s.jobs.jobById.get(id);
      if (!row) return null;
      return { ...toJobRecord(row), history: parseHistory(row.history), continuations: s.jobs.continuationIds.all(id) };
    });
  }

  async continuationsOf(parentIds: string[]): Promise<JobRecord[]> {
    if (parentIds.length === 0) return [];
    return this.ctx.open().s.jobs.continuationsOf.all(JSON.stringify(parentIds)).map(toJobRecord);
  }

  async awaitingReady(
    limit: number,
  ): Promise<Array<{ job: JobRecord; parentState: StateName | null; parentResult: string | null }>> {
    if (!(limit > 0)) return [];
    return this.ctx
      .open()
      .s.jobs.awaitingReady.all(limit)
      .map((r) => ({ job: toJobRecord(r), parentState: r.parent_state, parentResult: r.parent_result }));
  }
}

/**
 * Inserts jobs inside the caller's write transaction, honouring unique keys. Shared with the
 * recurring store, which creates a cron occurrence's jobs in the transaction that advances it.
 */
export function insertJobs(s: JobStatements, batch: WriteBatch, jobs: NewJob[], now: number): CreatedJob[] {
  const out: CreatedJob[] = [];
  for (const job of jobs) {
    if (job.uniqueKey !== undefined && job.uniqueKey !== null) {
      // Race-free: the write lock is held, so no other writer can insert between this read and the insert.
      const holder = uniqueHolder(s, job, job.uniqueKey, now);
      if (holder) {
        if (job.uniqueMode === 'debounce' && (holder.state === 'enqueued' || holder.state === 'scheduled')) {
          replacePending(s, batch, holder, job);
        }
        out.push({ id: holder.id, created: false });
        continue;
      }
      // A job that already started holds no key for a debounced call: it gives the key up for good.
      if (job.uniqueMode === 'debounce') s.releaseKey.run(now, job.uniqueKey);
    }
    try {
      s.insertJob.run(
        job.id,
        job.name,
        job.queue,
        job.args,
        job.state.name,
        job.state.reason ?? null,
        stateDataText(job.state),
        job.createdAt,
        job.state.at,
        JSON.stringify(job.parameters),
        job.runAt ?? null,
        job.parentId ?? null,
        job.uniqueKey ?? null,
        job.uniqueUntil ?? null,
        JSON.stringify(job.state),
        ...limitColumns(job),
      );
    } catch (error) {
      if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new KilnError(`job ${job.id} already exists`, { cause: error });
      }
      throw error;
    }
    batch.count(job.state.name, job.queue, 1);
    if (job.state.name === 'enqueued') {
      batch.enqueued(job.queue);
      if (batch.publishing) batch.publish(enqueuedEvent({ ...job, attempt: 1 }, job.state.reason, job.state.at));
    }
    out.push({ id: job.id, created: true });
  }
  return out;
}

/** The oldest job holding `key` for a call in the new job's mode (see `UniqueMode`). */
function uniqueHolder(s: JobStatements, job: NewJob, key: string, now: number): UniqueHolder | undefined {
  if (job.uniqueMode === 'debounce') return s.pendingWithKey.get(key, now);
  const active = s.activeWithKey.get(key, now);
  if (job.uniqueMode !== 'throttle') return active;
  const throttled = s.throttledWithKey.get(key, now);
  if (!active || !throttled) return active ?? throttled;
  return active.seq < throttled.seq ? active : throttled;
}

/** A debounced call's replacement of a pending job: the last call's args, limits and start. */
function replacePending(s: JobStatements, batch: WriteBatch, holder: UniqueHolder, job: NewJob): void {
  s.replacePending.run(
    job.args,
    ...limitColumns(job),
    job.state.name,
    job.state.reason ?? null,
    stateDataText(job.state),
    job.state.at,
    job.runAt ?? null,
    `,${JSON.stringify(job.state)}`,
    holder.seq,
  );
  // The holder keeps its queue.
  batch.count(holder.state, holder.queue, -1);
  batch.count(job.state.name, holder.queue, 1);
  if (job.state.name === 'enqueued') batch.enqueued(holder.queue);
}

/** One compare-and-set change inside the caller's write transaction; mirrors MemoryStorage. */
function applyChange(s: JobStatements, batch: WriteBatch, c: TransitionChange, now: number): boolean {
  // The names the job events need are read only while someone listens.
  const named = batch.publishing ? s.changeRowNamed.get(c.id) : undefined;
  const row: ChangeRow | undefined = batch.publishing ? named : s.changeRow.get(c.id);
  if (!row || !c.expectStates.includes(row.state)) return false;
  if (c.expectServerId !== undefined && (row.state !== 'processing' || row.server_id !== c.expectServerId)) return false;
  if (named) batch.publish(...changeEvents(c, named));
  let history = '';
  for (const entry of c.passedThrough ?? []) history += `,${JSON.stringify(entry)}`;
  history += `,${JSON.stringify(c.to)}`;
  const queue = c.queue ?? row.queue;
  const keepsLease = c.to.name === 'processing';
  const parameters = c.parameters
    ? JSON.stringify(Object.assign(JSON.parse(row.parameters) as object, c.parameters))
    : null;
  s.applyChange.run(
    c.to.name,
    c.to.reason ?? null,
    stateDataText(c.to),
    c.to.at,
    queue,
    c.to.name === 'scheduled' ? (c.runAt ?? now) : null,
    c.expireAt ?? null,
    c.attempt ?? null,
    parameters,
    c.result ?? null,
    keepsLease ? row.server_id : null,
    keepsLease ? row.lease_until : null,
    history,
    row.seq,
  );
  changed(batch, c, row.state, row.queue, queue);
  return true;
}

/** Counts, statistics and wake-ups of one applied change. */
function changed(batch: WriteBatch, c: TransitionChange, from: StateName, fromQueue: string, queue: string): void {
  for (const entry of c.passedThrough ?? []) batch.stat(entry.name, entry.at);
  batch.stat(c.to.name, c.to.at);
  batch.count(from, fromQueue, -1);
  batch.count(c.to.name, queue, 1);
  if (from === 'processing' && c.expectServerId === undefined) batch.aborted(c.id);
  if (c.to.name === 'enqueued') batch.enqueued(queue);
}
