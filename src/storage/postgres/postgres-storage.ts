import pg from 'pg';
import { denseTimeline, HOUR_MS, hourBucket, timelineRange } from '../buckets.js';
import { claimedJob } from '../claimed-job.js';
import type {
  CreatedJob,
  CreateOptions,
  FetchOptions,
  JobDetails,
  JobPage,
  JobRecord,
  ListJobsQuery,
  NewJob,
  QueueStatistics,
  RecurringAdvance,
  RecurringJobRecord,
  ServerRecord,
  StateEntry,
  StateName,
  Storage,
  StorageEvent,
  StorageStatistics,
  TimelinePoint,
  TransitionChange,
  Json,
} from '../contract/index.js';
import { STATE_NAMES } from '../contract/index.js';
import { NotificationListener } from './listener.js';
import { migrateSchema } from './migrations.js';
import {
  checkSchema,
  consoleLogger,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_LISTENER_MAX_BACKOFF_MS,
  DEFAULT_LISTENER_MIN_BACKOFF_MS,
  DEFAULT_POOL_SIZE,
  DEFAULT_SCHEMA,
  type PostgresConnection,
  type PostgresLogger,
  type PostgresStorageOptions,
} from './options.js';
import {
  KILN_TYPES,
  unclaimedFields,
  toJob,
  toRecurring,
  toServer,
  type ClaimedRow,
  type JobRow,
  type RecurringRow,
  type ServerRow,
} from './rows.js';
import { statements, type Statement, type Statements } from './sql.js';
import { splitConnection } from '../url.js';

/** Something that runs queries: the pool, a checked-out client, or the application's `tx`. */
interface Queryable {
  query(config: pg.QueryConfig): Promise<pg.QueryResult>;
}

/** Errors after which a whole statement can safely run again: it was rolled back. */
const RETRYABLE = new Set(['40P01' /* deadlock_detected */, '40001' /* serialization_failure */]);
const UNIQUE_VIOLATION = '23505';

function pgCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** Runs a single-statement operation again (up to 5 times) when Postgres rolled it back for a deadlock. */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = pgCode(err);
      if (attempt >= 5 || code === undefined || !RETRYABLE.has(code)) throw err;
    }
  }
}

/**
 * The separator of the texts that carry one column of a batch (see `ChangeColumns`), and the
 * stand-in for null among names.
 */
const SEPARATOR = '\x1e';
const NULL_MARK = '\x1f';

/** Joins names for `string_to_array(text, E'\x1e', E'\x1f')`; `what` names them in the error. */
function joinNames(values: (string | null)[], what: string): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v != null && (v.includes(SEPARATOR) || v.includes(NULL_MARK))) {
      throw new Error(`PostgresStorage: ${what} ${JSON.stringify(v)} contains U+001E or U+001F`);
    }
    out += (i === 0 ? '' : SEPARATOR) + (v ?? NULL_MARK);
  }
  return out;
}

/**
 * `JSON.stringify(entry)` for a history entry whose data is already JSON text: the state data is
 * stringified once for its column and pasted here, not a second time (a worker's completions are
 * most of what a drain sends).
 */
function entryJson(entry: StateEntry, data: string | undefined): string {
  let out = `{"name":${JSON.stringify(entry.name)}`;
  if (entry.reason !== undefined) out += `,"reason":${JSON.stringify(entry.reason)}`;
  if (data !== undefined) out += `,"data":${data}`;
  return `${out},"at":${JSON.stringify(entry.at)}}`;
}

/**
 * Jobs without unique keys as `insert_jobs` takes them: one text or array per column, encoded as
 * for transitions (see `ChangeColumns`). A JSON text cut at U+001E could not happen (JSON never
 * holds it unescaped); names and ids are checked.
 */
function newJobColumns(jobs: NewJob[]): unknown[] {
  const n = jobs.length;
  const ids: string[] = new Array(n);
  const names: string[] = new Array(n);
  const queues: string[] = new Array(n);
  const args: string[] = new Array(n);
  const states: string[] = new Array(n);
  const reasons: (string | null)[] = new Array(n);
  const data: string[] = new Array(n);
  const created: number[] = new Array(n);
  const at: number[] = new Array(n);
  const runAt: (number | null)[] = new Array(n);
  const parents: (string | null)[] = new Array(n);
  const parameters: string[] = new Array(n);
  const entries: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const j = jobs[i]!;
    const d = j.state.data === undefined ? undefined : JSON.stringify(j.state.data);
    ids[i] = j.id;
    names[i] = j.name;
    queues[i] = j.queue;
    args[i] = j.args;
    states[i] = j.state.name;
    reasons[i] = j.state.reason ?? null;
    data[i] = d ?? '';
    created[i] = j.createdAt;
    at[i] = j.state.at;
    runAt[i] = j.runAt ?? null;
    parents[i] = j.parentId ?? null;
    parameters[i] = Object.keys(j.parameters).length === 0 ? '' : JSON.stringify(j.parameters);
    entries[i] = entryJson(j.state, d);
  }
  if (args.some((a) => a.includes(SEPARATOR))) throw new Error('PostgresStorage.createJobs: arguments contain U+001E');
  return [
    joinNames(ids, 'job id'),
    joinNames(names, 'job name'),
    joinNames(queues, 'queue'),
    args.join(SEPARATOR),
    joinNames(states, 'state'),
    reasons,
    data.join(SEPARATOR),
    numberArray(created),
    numberArray(at),
    numberArray(runAt),
    joinNames(parents, 'parent id'),
    parameters.join(SEPARATOR),
    entries.join(SEPARATOR),
  ];
}

/** An array literal of numbers, `{1,NULL,3}`: what node-pg would send, without quoting each one. */
function numberArray(values: (number | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) out += (i === 0 ? '' : ',') + (values[i] ?? 'NULL');
  return out + '}';
}

/**
 * A batch of changes as sent to the transition statement: one array per field, unnested
 * together in SQL (arrays cost Postgres a fraction of what `json_to_recordset` does: measured
 * 0.08 vs 0.52 ms per 100 changes). Most fields travel as one text joined by U+001E and are split
 * by `string_to_array`, so nothing is quoted on this side or unquoted on the other (node-pg's
 * array quoting was 5% of a drain's CPU): the JSON texts (history entries, state data,
 * parameters, results), which never contain that character unescaped, with `''` for null (no
 * JSON text is empty); and the ids, states, server ids and queue names, which the engine makes
 * and which are checked not to contain it, with U+001F for null. Numbers go as array literals
 * built here. Only the reasons, free text, go as a quoted array. The history entries arrive as
 * the text to append and the counters as each change's successes and failures in the UTC hour
 * `hb`, so the statement does no JSON work beyond storing the state data.
 */
class ChangeColumns {
  /** Position of each row in the caller's list of changes. */
  readonly positions: number[] = [];
  private readonly ids: string[] = [];
  /** Expected states, joined by commas. */
  private readonly expect: string[] = [];
  private readonly serverIds: (string | null)[] = [];
  /** The entries of `passedThrough` and `to`, as JSON texts joined by commas. */
  private readonly entries: string[] = [];
  private readonly names: StateName[] = [];
  private readonly reasons: (string | null)[] = [];
  private readonly data: string[] = [];
  private readonly at: number[] = [];
  private readonly queues: (string | null)[] = [];
  private readonly runAt: (number | null)[] = [];
  private readonly expireAt: (number | null)[] = [];
  private readonly attempts: (number | null)[] = [];
  private readonly parameters: string[] = [];
  private readonly results: string[] = [];
  private readonly succeeded: number[] = [];
  private readonly failed: number[] = [];
  private readonly hours: (number | null)[] = [];

  add(c: TransitionChange, position: number): void {
    const to = c.to;
    this.positions.push(position);
    this.ids.push(c.id);
    this.expect.push(c.expectStates.join(','));
    this.serverIds.push(c.expectServerId ?? null);
    this.names.push(to.name);
    this.reasons.push(to.reason ?? null);
    const data = to.data === undefined ? undefined : JSON.stringify(to.data);
    this.data.push(data ?? '');
    this.at.push(to.at);
    let entries = '';
    let succeeded = 0;
    let failed = 0;
    let hourOf: number | undefined;
    for (const entry of c.passedThrough ?? []) {
      entries += JSON.stringify(entry) + ',';
      if (entry.name === 'succeeded') succeeded++;
      else if (entry.name === 'failed') failed++;
      else continue;
      hourOf ??= entry.at;
    }
    this.entries.push(entries + entryJson(to, data));
    if (to.name === 'succeeded') succeeded++;
    else if (to.name === 'failed') failed++;
    // Counted in the hour of "to" when it counts, else of the first counted entry: the entries
    // of one change are made at one moment, so they share it.
    if (to.name === 'succeeded' || to.name === 'failed') hourOf = to.at;
    this.succeeded.push(succeeded);
    this.failed.push(failed);
    this.hours.push(hourOf === undefined ? null : hourBucket(hourOf));
    this.queues.push(c.queue ?? null);
    this.runAt.push(c.runAt ?? null);
    this.expireAt.push(c.expireAt ?? null);
    this.attempts.push(c.attempt ?? null);
    this.parameters.push(c.parameters === undefined ? '' : JSON.stringify(c.parameters));
    this.results.push(c.result ?? '');
  }

  /** The statement's parameters before `now` and `reacquire`, in its order. */
  values(): unknown[] {
    return [
      joinNames(this.ids, 'job id'),
      joinNames(this.expect, 'state'),
      joinNames(this.serverIds, 'server id'),
      this.entries.join(SEPARATOR),
      joinNames(this.names, 'state'),
      this.reasons,
      this.data.join(SEPARATOR),
      numberArray(this.at),
      joinNames(this.queues, 'queue'),
      numberArray(this.runAt),
      numberArray(this.expireAt),
      numberArray(this.attempts),
      this.parameters.join(SEPARATOR),
      this.results.join(SEPARATOR),
      numberArray(this.succeeded),
      numberArray(this.failed),
      numberArray(this.hours),
    ];
  }
}

/**
 * Kiln's production storage: many servers on many machines share one PostgreSQL database.
 *
 * Everything lives in one schema (default `kiln`, created by `migrate()`). The hot paths are one
 * round trip each: `fetch` claims a batch with `FOR UPDATE SKIP LOCKED` in queue priority order;
 * `transition` applies a whole batch of compare-and-set changes with history, counters and
 * wake-ups in one statement; `createJobs` inserts a batch, resolves unique keys and notifies in
 * one call (also inside the application's own transaction, with `{ tx }`). Wake-ups travel by
 * `LISTEN/NOTIFY` on the channel `kiln_<schema>`.
 *
 * Resilience: pool errors are logged, never thrown, so a Postgres restart does not crash the
 * process; while the database is down every method rejects, and works again once it is back.
 */
export class PostgresStorage implements Storage {
  /** The schema holding Kiln's tables. */
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly sql: Statements;
  private readonly logger: PostgresLogger;
  private readonly listener: NotificationListener;
  private readonly onPoolError = (err: Error): void => {
    this.logger.warn('idle connection error (Postgres restarting?)', err);
  };
  private closed = false;

  constructor(connection: PostgresConnection, options: PostgresStorageOptions = {}) {
    // `?schema=` in the URL names the schema (as for `kiln --storage`); `options.schema` wins.
    const fromUrl = splitConnection(connection, 'schema');
    connection = fromUrl.connection;
    this.schema = checkSchema(options.schema ?? fromUrl.value ?? DEFAULT_SCHEMA);
    this.logger = options.logger ?? consoleLogger;
    if (typeof connection === 'object' && 'pool' in connection) {
      this.pool = connection.pool;
      this.ownsPool = false;
    } else {
      const config: pg.PoolConfig = typeof connection === 'string' ? { connectionString: connection } : connection;
      this.pool = new pg.Pool({
        max: options.poolSize ?? DEFAULT_POOL_SIZE,
        application_name: 'kiln',
        // A call rejects after 10 s instead of waiting forever for an unreachable database, and
        // TCP keep-alive notices a connection that died silently (a failover, a dropped route).
        connectionTimeoutMillis: DEFAULT_CONNECT_TIMEOUT_MS,
        keepAlive: true,
        ...config,
      });
      this.ownsPool = true;
    }
    this.pool.on('error', this.onPoolError);
    this.sql = statements(this.schema);
    this.listener = new NotificationListener(
      { ...this.pool.options },
      this.sql.channel,
      this.logger,
      options.listenerMinBackoffMs ?? DEFAULT_LISTENER_MIN_BACKOFF_MS,
      options.listenerMaxBackoffMs ?? DEFAULT_LISTENER_MAX_BACKOFF_MS,
    );
  }

  // ---- plumbing

  private async run<R extends pg.QueryResultRow>(
    statement: Statement,
    values: unknown[],
    on: Queryable = this.pool,
  ): Promise<pg.QueryResult<R>> {
    const config: pg.QueryConfig = { text: statement.text, values, types: KILN_TYPES };
    if (statement.name !== undefined) config.name = statement.name;
    return (await on.query(config)) as pg.QueryResult<R>;
  }

  /** Runs `fn` in a transaction on one pooled connection, destroying the connection on failure. */
  private async inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const onError = (err: Error) => this.logger.warn('connection lost during a transaction', err);
    client.on('error', onError);
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.off('error', onError);
      client.release(failure);
    }
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    const onError = (err: Error) => this.logger.warn('connection lost while migrating', err);
    client.on('error', onError);
    let failure: Error | undefined;
    try {
      await migrateSchema(client, this.schema);
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.off('error', onError);
      client.release(failure);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.listener.close();
    if (this.ownsPool) await this.pool.end();
    this.pool.off('error', this.onPoolError);
  }

  // ---- jobs

  /**
   * With `tx` (a `pg.Client` or `pg.PoolClient` inside the application's `BEGIN`), the jobs are
   * inserted on that connection: they exist, and their wake-ups are sent, only if the
   * application commits. Without it, a batch whose unique keys deadlocked against another
   * batch's (taken in the opposite order) is retried; inside a `tx` the error is the
   * application's to handle, since its transaction is aborted.
   */
  async createJobs(jobs: NewJob[], options: CreateOptions): Promise<CreatedJob[]> {
    if (jobs.length === 0) return [];
    if (options.tx !== undefined) {
      const tx = options.tx as Partial<Queryable> | null;
      if (!tx || typeof tx.query !== 'function') {
        throw new TypeError('createJobs: options.tx must be a pg.Client or pg.PoolClient inside BEGIN');
      }
      return this.insertJobs(jobs, options.now, tx as Queryable);
    }
    return retrying(() => this.insertJobs(jobs, options.now, this.pool));
  }

  private async insertJobs(jobs: NewJob[], now: number, on: Queryable): Promise<CreatedJob[]> {
    if (!jobs.some((j) => j.uniqueKey !== undefined)) {
      await this.run(this.sql.insertJobs, newJobColumns(jobs), on);
      return jobs.map((j) => ({ id: j.id, created: true }));
    }
    const payload = JSON.stringify(
      jobs.map((j, i) => ({
        i,
        id: j.id,
        name: j.name,
        queue: j.queue,
        args: j.args,
        state: j.state,
        createdAt: j.createdAt,
        runAt: j.runAt,
        parentId: j.parentId,
        parameters: j.parameters,
        uniqueKey: j.uniqueKey,
        uniqueUntil: j.uniqueUntil,
      })),
    );
    const res = await this.run<{ o_i: number; o_id: string }>(this.sql.createJobs, [payload, now], on);
    const out: CreatedJob[] = jobs.map((j) => ({ id: j.id, created: true }));
    for (const row of res.rows) out[row.o_i] = { id: row.o_id, created: false };
    return out;
  }

  async fetch(o: FetchOptions): Promise<JobRecord[]> {
    if (o.max <= 0 || o.queues.length === 0) return [];
    const res = await this.run<ClaimedRow>(this.sql.fetch, [o.queues, o.max, o.serverId, o.now + o.leaseMs, o.now]);
    const rank = new Map<string, number>();
    o.queues.forEach((q, i) => {
      if (!rank.has(q)) rank.set(q, i);
    });
    return res.rows
      .sort((a, b) => (rank.get(a.o_queue) ?? 0) - (rank.get(b.o_queue) ?? 0) || a.o_seq - b.o_seq)
      .map((r) => claimedJob(unclaimedFields(r), o));
  }

  async mergeParameters(id: string, serverId: string, parameters: { [key: string]: Json }): Promise<boolean> {
    const res = await this.run(this.sql.mergeParameters, [id, serverId, JSON.stringify(parameters)]);
    return res.rowCount === 1;
  }

  async renewLeases(serverId: string, ids: string[], leaseMs: number, now: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const res = await this.run<{ id: string }>(this.sql.renewLeases, [serverId, ids, now + leaseMs]);
    const held = new Set(res.rows.map((r) => r.id));
    return ids.filter((id) => !held.has(id));
  }

  /**
   * Applies the changes in one statement when their ids are distinct (the worker's batched
   * completions). When one job appears several times, the changes run in rounds (the n-th change
   * of each job in round n), so later changes see the earlier ones, as in memory.
   */
  async transition(changes: TransitionChange[], now: number): Promise<boolean[]> {
    const results = changes.map(() => false);
    const rounds: ChangeColumns[] = [];
    const seen = new Map<string, number>();
    changes.forEach((c, i) => {
      const round = seen.get(c.id) ?? 0;
      seen.set(c.id, round + 1);
      (rounds[round] ??= new ChangeColumns()).add(c, i);
    });
    for (const round of rounds) {
      for (const row of await this.transitionRound(round, now)) results[round.positions[row]!] = true;
    }
    return results;
  }

  /** Applies one round; returns the rows (indexes into the round) that applied. */
  private async transitionRound(round: ChangeColumns, now: number): Promise<number[]> {
    const values = round.values();
    let reacquire = true;
    return retrying(async () => {
      try {
        const res = await this.run<{ applied: number[] }>(this.sql.transition, [...values, now, reacquire]);
        return res.rows[0]?.applied ?? [];
      } catch (err) {
        if (pgCode(err) === UNIQUE_VIOLATION && reacquire) {
          // Two jobs coming back to an active state raced for one unique key: let them come
          // back without taking it rather than fail the batch.
          reacquire = false;
          return this.run<{ applied: number[] }>(this.sql.transition, [...values, now, reacquire]).then(
            (res) => res.rows[0]?.applied ?? [],
          );
        }
        throw err;
      }
    });
  }

  async enqueueDue(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const res = await this.run<{ moved: number }>(this.sql.enqueueDue, [now, limit]);
    return res.rows[0]?.moved ?? 0;
  }

  async nextDueAt(): Promise<number | null> {
    const res = await this.run<{ at: number | null }>(this.sql.nextDueAt, []);
    return res.rows[0]?.at ?? null;
  }

  async releaseExpiredLeases(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const res = await this.run<{ moved: number }>(this.sql.releaseExpiredLeases, [now, limit]);
    return res.rows[0]?.moved ?? 0;
  }

  async deleteExpired(now: number, limit: number): Promise<number> {
    const res = await this.run<{ deleted: number }>(this.sql.deleteExpired, [
      now,
      Math.max(0, limit),
      hourBucket(now) - HOUR_MS,
    ]);
    return res.rows[0]?.deleted ?? 0;
  }

  async getJob(id: string): Promise<JobDetails | null> {
    const res = await this.run<JobRow & { history: string; continuations: string[] }>(this.sql.getJob, [id]);
    const row = res.rows[0];
    if (!row) return null;
    const history = JSON.parse(`[${row.history}]`) as StateEntry[];
    return { ...toJob(row), history, continuations: row.continuations };
  }

  async continuationsOf(parentIds: string[]): Promise<JobRecord[]> {
    if (parentIds.length === 0) return [];
    const res = await this.run<JobRow>(this.sql.continuationsOf, [parentIds]);
    return res.rows.map(toJob);
  }

  async awaitingReady(
    limit: number,
  ): Promise<Array<{ job: JobRecord; parentState: StateName | null; parentResult: string | null }>> {
    if (limit <= 0) return [];
    const res = await this.run<JobRow & { parent_state: StateName | null; parent_result: string | null }>(
      this.sql.awaitingReady,
      [limit],
    );
    return res.rows.map((r) => ({ job: toJob(r), parentState: r.parent_state, parentResult: r.parent_result }));
  }

  // ---- servers

  async announceServer(server: ServerRecord): Promise<void> {
    await this.run(this.sql.announceServer, [
      server.id,
      server.name,
      server.workerCount,
      JSON.stringify(server.queues),
      server.startedAt,
      server.heartbeatAt,
    ]);
  }

  async heartbeat(serverId: string, now: number): Promise<boolean> {
    const res = await this.run(this.sql.heartbeat, [serverId, now]);
    return (res.rowCount ?? 0) > 0;
  }

  async removeServer(serverId: string, now: number): Promise<void> {
    await this.run(this.sql.removeServers, [serverId, null, now]);
  }

  async removeDeadServers(heartbeatBefore: number, now: number): Promise<string[]> {
    const res = await this.run<{ id: string }>(this.sql.removeServers, [null, heartbeatBefore, now]);
    return res.rows.map((r) => r.id);
  }

  // ---- locks

  async acquireLock(resource: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const res = await this.run(this.sql.acquireLock, [resource, owner, now + ttlMs, now]);
    return (res.rowCount ?? 0) > 0;
  }

  async releaseLock(resource: string, owner: string): Promise<void> {
    await this.run(this.sql.releaseLock, [resource, owner]);
  }

  // ---- recurring jobs

  async upsertRecurring(job: RecurringJobRecord): Promise<void> {
    await this.run(this.sql.upsertRecurring, [
      job.id,
      job.name,
      job.queue,
      job.args,
      job.cron,
      job.timeZone,
      job.misfire,
      job.nextExecution,
      job.lastExecution,
      job.lastJobId,
      job.paused,
      job.createdAt,
      job.error,
    ]);
  }

  async removeRecurring(id: string): Promise<boolean> {
    return ((await this.run(this.sql.removeRecurring, [id])).rowCount ?? 0) > 0;
  }

  async setRecurringPaused(id: string, paused: boolean): Promise<boolean> {
    return ((await this.run(this.sql.pauseRecurring, [id, paused])).rowCount ?? 0) > 0;
  }

  async getRecurring(id: string): Promise<RecurringJobRecord | null> {
    const row = (await this.run<RecurringRow>(this.sql.getRecurring, [id])).rows[0];
    return row ? toRecurring(row) : null;
  }

  async listRecurring(): Promise<RecurringJobRecord[]> {
    const res = await this.run<RecurringRow>(this.sql.listRecurring, []);
    return res.rows.map(toRecurring).sort((a, b) => a.id.localeCompare(b.id));
  }

  async dueRecurring(now: number, limit: number): Promise<RecurringJobRecord[]> {
    if (limit <= 0) return [];
    const res = await this.run<RecurringRow>(this.sql.dueRecurring, [now, limit]);
    return res.rows.map(toRecurring);
  }

  /**
   * One transaction: the compare-and-set on `next_execution` (concurrent servers queue on the
   * row lock, and all but the first then see a changed value), the occurrence jobs, `lastJobId`.
   */
  async advanceRecurring(a: RecurringAdvance, now: number): Promise<boolean> {
    return this.inTransaction(async (client) => {
      const moved = await this.run(
        this.sql.advanceRecurring,
        [a.id, a.nextExecution, a.lastExecution, a.error !== undefined, a.error ?? null, a.expectNext],
        client,
      );
      if ((moved.rowCount ?? 0) === 0) return false;
      if (a.jobs.length > 0) {
        const created = await this.insertJobs(a.jobs, now, client);
        await this.run(this.sql.setLastJob, [a.id, created[created.length - 1]!.id], client);
      }
      return true;
    });
  }

  // ---- monitoring

  /**
   * Per-state counts are `count(*)` over the jobs table (exact, like Hangfire's SQL storages):
   * cheap for the active states, and proportional to the retained succeeded/deleted jobs.
   */
  async statistics(): Promise<StorageStatistics> {
    const row = (
      await this.run<{
        states: Partial<Record<StateName, number>>;
        succeeded: number;
        failed: number;
        servers: number;
        recurring: number;
      }>(this.sql.statistics, [])
    ).rows[0];
    const states = Object.fromEntries(STATE_NAMES.map((s) => [s, row?.states[s] ?? 0])) as Record<StateName, number>;
    return {
      states,
      succeededTotal: row?.succeeded ?? 0,
      failedTotal: row?.failed ?? 0,
      servers: row?.servers ?? 0,
      recurring: row?.recurring ?? 0,
    };
  }

  async queues(): Promise<QueueStatistics[]> {
    const res = await this.run<QueueStatistics>(this.sql.queues, []);
    return res.rows
      .map((r) => ({ queue: r.queue, enqueued: r.enqueued, processing: r.processing }))
      .sort((a, b) => a.queue.localeCompare(b.queue));
  }

  async listJobs(q: ListJobsQuery): Promise<JobPage> {
    const values: unknown[] = [q.state, Math.max(0, q.offset), Math.max(0, q.limit)];
    const where = ['j.state = $1::text'];
    if (q.queue !== undefined) {
      values.push(q.queue);
      where.push(`j.queue = $${values.length}::text`);
    }
    if (q.name !== undefined) {
      values.push(q.name);
      where.push(`j.name = $${values.length}::text`);
    }
    if (q.search !== undefined) {
      values.push(q.search.toLowerCase());
      const p = `$${values.length}::text`;
      where.push(`(left(j.id, length(${p})) = ${p} OR strpos(lower(j.name), ${p}) > 0)`);
    }
    if (q.retriesOnly) where.push('j.attempt > 1');
    const res = await this.run<JobRow & { total: number }>(this.sql.listJobs(where.join(' AND ')), values);
    const total = res.rows[0]?.total ?? 0;
    return { total, jobs: res.rows.filter((r) => r.id !== null).map(toJob) };
  }

  async listServers(): Promise<ServerRecord[]> {
    const res = await this.run<ServerRow>(this.sql.listServers, []);
    return res.rows.map(toServer);
  }

  async timeline(unit: 'hour' | 'day', from: number, to: number): Promise<TimelinePoint[]> {
    const { start, end } = timelineRange(unit, from, to);
    const res = await this.run<{ at: number; succeeded: number; failed: number }>(this.sql.timeline, [start, end]);
    return denseTimeline(unit, from, to, res.rows);
  }

  // ---- wake-ups

  async subscribe(listener: (event: StorageEvent) => void): Promise<() => Promise<void>> {
    return this.listener.add(listener);
  }
}
