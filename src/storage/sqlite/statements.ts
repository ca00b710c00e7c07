import type BetterSqlite3 from 'better-sqlite3';
import type { StateName } from '../contract/index.js';
import { JOB_COLUMNS, type JobRow, type RecurringRow, type ServerRow } from './rows.js';

type Statement<P extends unknown[], R = unknown> = BetterSqlite3.Statement<P, R>;
type Value = string | number | null;

/** `JOB_COLUMNS` qualified with a table alias, for joins. */
const jobColumnsOf = (alias: string): string =>
  JOB_COLUMNS.split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

/** The row shape a transition reads before it decides. */
export interface ChangeRow {
  seq: number;
  state: StateName;
  queue: string;
  server_id: string | null;
  lease_until: number | null;
  parameters: string;
}

/** Requeuing statements reset a job to `enqueued`; they report the queue for counts and wake-ups. */
export interface QueueRow {
  queue: string;
}

/**
 * Every statement of the backend, prepared once per connection. Preparing costs tens of
 * microseconds; a prepared statement runs in a few, which is what makes a 100-job batch one cheap
 * transaction.
 *
 * Statements that must use a partial index repeat the index's `WHERE` literally (`state =
 * 'enqueued'`, never `state = ?`): SQLite uses a partial index only when it can prove the query's
 * `WHERE` implies the index's. The hot paths also name their index with `INDEXED BY`: without
 * `ANALYZE` statistics the planner may prefer a full scan in rowid order to avoid a sort, and
 * `INDEXED BY` turns that into an error at prepare time instead of a slow scan of a million rows.
 */
export class Statements {
  // ---- jobs
  readonly insertJob: Statement<
    [
      id: string,
      name: string,
      queue: string,
      args: string,
      state: StateName,
      reason: string | null,
      data: string | null,
      createdAt: number,
      stateAt: number,
      parameters: string,
      runAt: number | null,
      parentId: string | null,
      uniqueKey: string | null,
      uniqueUntil: number | null,
      history: string,
    ]
  >;
  readonly activeWithKey: Statement<[string, number], { id: string }>;
  readonly hasEnqueued: Statement<[string], unknown>;
  readonly claim: Statement<
    [data: string, stateAt: number, serverId: string, leaseUntil: number, history: string, queue: string, limit: number],
    JobRow
  >;
  readonly renewLease: Statement<[number, string, string]>;
  readonly heldParameters: Statement<[string, string], { parameters: string }>;
  readonly setParameters: Statement<[string, string]>;
  readonly changeRow: Statement<[string], ChangeRow>;
  readonly applyChange: Statement<
    [
      state: StateName,
      reason: string | null,
      data: string | null,
      stateAt: number,
      queue: string,
      runAt: number | null,
      expireAt: number | null,
      attempt: number | null,
      parameters: string | null,
      result: string | null,
      serverId: string | null,
      leaseUntil: number | null,
      history: string,
      seq: number,
    ]
  >;
  readonly hasDue: Statement<[number], unknown>;
  readonly enqueueDue: Statement<[string, number, string, number, number], QueueRow>;
  readonly nextDue: Statement<[], { run_at: number }>;
  readonly hasExpiredLease: Statement<[number], unknown>;
  readonly releaseExpired: Statement<[number, number, number, number], QueueRow>;
  readonly requeueHeld: Statement<[string, number, string, string], QueueRow>;
  readonly hasExpired: Statement<[number], unknown>;
  readonly deleteExpired: Statement<[number, number], { state: StateName; queue: string }>;
  readonly jobById: Statement<[string], JobRow & { history: string }>;
  readonly continuationIds: Statement<[string], string>;
  readonly continuationsOf: Statement<[string], JobRow>;
  readonly awaitingReady: Statement<[number], JobRow & { parent_state: StateName | null; parent_result: string | null }>;

  // ---- servers and locks
  readonly upsertServer: Statement<[string, string, number, string, number, number]>;
  readonly heartbeat: Statement<[number, string]>;
  readonly deleteServer: Statement<[string]>;
  readonly deadServers: Statement<[number], string>;
  readonly listServers: Statement<[], ServerRow>;
  readonly countServers: Statement<[], number>;
  readonly acquireLock: Statement<[string, string, number, number]>;
  readonly releaseLock: Statement<[string, string]>;

  // ---- recurring
  readonly upsertRecurring: Statement<
    [
      id: string,
      name: string,
      queue: string,
      args: string,
      cron: string,
      timeZone: string,
      misfire: string,
      nextExecution: number | null,
      lastExecution: number | null,
      lastJobId: string | null,
      paused: number,
      createdAt: number,
      error: string | null,
    ]
  >;
  readonly removeRecurring: Statement<[string]>;
  readonly pauseRecurring: Statement<[number, string]>;
  readonly getRecurring: Statement<[string], RecurringRow>;
  readonly listRecurring: Statement<[], RecurringRow>;
  readonly dueRecurring: Statement<[number, number], RecurringRow>;
  readonly recurringNext: Statement<[string], { next_execution: number | null }>;
  readonly advanceRecurring: Statement<
    [next: number | null, last: number | null, setError: number, error: string | null, lastJobId: string | null, id: string]
  >;
  readonly countRecurring: Statement<[], number>;

  // ---- statistics
  readonly bumpCount: Statement<[StateName, string, number]>;
  readonly stateCounts: Statement<[], { state: StateName; n: number }>;
  readonly stateCount: Statement<[StateName], number>;
  readonly stateQueueCount: Statement<[StateName, string], number>;
  readonly queueCounts: Statement<[], { queue: string; state: 'enqueued' | 'processing'; n: number }>;
  readonly bumpTotal: Statement<[string, number]>;
  readonly totals: Statement<[], { name: string; n: number }>;
  readonly bumpHour: Statement<[number, number, number]>;
  readonly hours: Statement<[number, number], { at: number; succeeded: number; failed: number }>;
  readonly dataVersion: Statement<[], number>;

  private readonly dynamic = new Map<string, Statement<Value[], unknown>>();

  constructor(private readonly db: BetterSqlite3.Database) {
    const p = <P extends unknown[], R = unknown>(sql: string): Statement<P, R> => db.prepare<P, R>(sql);

    this.insertJob = p(
      `INSERT INTO kiln_jobs (id, name, queue, args, state, state_reason, state_data, created_at, state_at,
         parameters, run_at, parent_id, unique_key, unique_until, history)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.activeWithKey = p(
      `SELECT id FROM kiln_jobs
       WHERE unique_key = ? AND unique_key IS NOT NULL
         AND state IN ('enqueued', 'scheduled', 'awaiting', 'processing')
         AND (unique_until IS NULL OR unique_until > ?)
       ORDER BY seq LIMIT 1`,
    );
    this.hasEnqueued = p(`SELECT 1 FROM kiln_jobs INDEXED BY kiln_jobs_enqueued WHERE state = 'enqueued' AND queue = ? LIMIT 1`);
    this.claim = p(
      `UPDATE kiln_jobs
       SET state = 'processing', state_reason = NULL, state_data = ?, state_at = ?, server_id = ?, lease_until = ?,
           history = history || ?
       WHERE seq IN (SELECT seq FROM kiln_jobs INDEXED BY kiln_jobs_enqueued WHERE state = 'enqueued' AND queue = ? ORDER BY seq LIMIT ?)
       RETURNING ${JOB_COLUMNS}`,
    );
    this.renewLease = p(`UPDATE kiln_jobs SET lease_until = ? WHERE id = ? AND state = 'processing' AND server_id = ?`);
    this.heldParameters = p(`SELECT parameters FROM kiln_jobs WHERE id = ? AND state = 'processing' AND server_id = ?`);
    this.setParameters = p(`UPDATE kiln_jobs SET parameters = ? WHERE id = ?`);
    this.changeRow = p(`SELECT seq, state, queue, server_id, lease_until, parameters FROM kiln_jobs WHERE id = ?`);
    this.applyChange = p(
      `UPDATE kiln_jobs
       SET state = ?, state_reason = ?, state_data = ?, state_at = ?, queue = ?, run_at = ?, expire_at = ?,
           attempt = coalesce(?, attempt), parameters = coalesce(?, parameters), result = coalesce(?, result),
           server_id = ?, lease_until = ?, history = history || ?
       WHERE seq = ?`,
    );
    this.hasDue = p(`SELECT 1 FROM kiln_jobs INDEXED BY kiln_jobs_scheduled WHERE state = 'scheduled' AND run_at <= ? LIMIT 1`);
    this.enqueueDue = p(
      `UPDATE kiln_jobs
       SET state = 'enqueued', state_reason = ?, state_data = NULL, state_at = ?, run_at = NULL,
           server_id = NULL, lease_until = NULL, history = history || ?
       WHERE seq IN (SELECT seq FROM kiln_jobs INDEXED BY kiln_jobs_scheduled WHERE state = 'scheduled' AND run_at <= ? ORDER BY run_at, seq LIMIT ?)
       RETURNING queue`,
    );
    this.nextDue = p(
      `SELECT run_at FROM kiln_jobs INDEXED BY kiln_jobs_scheduled WHERE state = 'scheduled' AND run_at IS NOT NULL ORDER BY run_at LIMIT 1`,
    );
    this.hasExpiredLease = p(`SELECT 1 FROM kiln_jobs INDEXED BY kiln_jobs_processing WHERE state = 'processing' AND lease_until < ? LIMIT 1`);
    // The reason names the server that lost the lease; SET expressions read the row before the update.
    const leaseReason = `'Lease of server ' || coalesce(server_id, 'null') || ' expired'`;
    this.releaseExpired = p(
      `UPDATE kiln_jobs
       SET state = 'enqueued', state_reason = ${leaseReason}, state_data = NULL, state_at = ?, run_at = NULL,
           server_id = NULL, lease_until = NULL,
           history = history || ',' || json_object('name', 'enqueued', 'reason', ${leaseReason}, 'at', ?)
       WHERE seq IN (SELECT seq FROM kiln_jobs INDEXED BY kiln_jobs_processing WHERE state = 'processing' AND lease_until < ? ORDER BY seq LIMIT ?)
       RETURNING queue`,
    );
    this.requeueHeld = p(
      `UPDATE kiln_jobs
       SET state = 'enqueued', state_reason = ?, state_data = NULL, state_at = ?, run_at = NULL,
           server_id = NULL, lease_until = NULL, history = history || ?
       WHERE seq IN (SELECT seq FROM kiln_jobs INDEXED BY kiln_jobs_processing WHERE state = 'processing' AND server_id = ?)
       RETURNING queue`,
    );
    this.hasExpired = p(`SELECT 1 FROM kiln_jobs INDEXED BY kiln_jobs_expire WHERE expire_at IS NOT NULL AND expire_at <= ? LIMIT 1`);
    this.deleteExpired = p(
      `DELETE FROM kiln_jobs
       WHERE seq IN (SELECT seq FROM kiln_jobs INDEXED BY kiln_jobs_expire WHERE expire_at IS NOT NULL AND expire_at <= ? ORDER BY expire_at LIMIT ?)
       RETURNING state, queue`,
    );
    this.jobById = p(`SELECT ${JOB_COLUMNS}, history FROM kiln_jobs WHERE id = ?`);
    this.continuationIds = p<[string], string>(
      `SELECT id FROM kiln_jobs WHERE parent_id = ? ORDER BY seq`,
    ).pluck();
    this.continuationsOf = p(
      `SELECT ${JOB_COLUMNS} FROM kiln_jobs
       WHERE parent_id IN (SELECT value FROM json_each(?)) AND state = 'awaiting'
       ORDER BY seq`,
    );
    this.awaitingReady = p(
      `SELECT ${jobColumnsOf('j')}, p.state AS parent_state, p.result AS parent_result
       FROM kiln_jobs j LEFT JOIN kiln_jobs p ON p.id = j.parent_id
       WHERE j.state = 'awaiting' AND (p.id IS NULL OR p.state IN ('succeeded', 'deleted'))
       ORDER BY j.seq LIMIT ?`,
    );

    this.upsertServer = p(
      `INSERT INTO kiln_servers (id, name, worker_count, queues, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, worker_count = excluded.worker_count,
         queues = excluded.queues, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
    );
    this.heartbeat = p(`UPDATE kiln_servers SET heartbeat_at = ? WHERE id = ?`);
    this.deleteServer = p(`DELETE FROM kiln_servers WHERE id = ?`);
    this.deadServers = p<[number], string>(`SELECT id FROM kiln_servers WHERE heartbeat_at < ? ORDER BY rowid`).pluck();
    this.listServers = p(`SELECT * FROM kiln_servers ORDER BY started_at, rowid`);
    this.countServers = p<[], number>(`SELECT count(*) FROM kiln_servers`).pluck();
    // One statement, so one implicit write transaction: take the lock if it is free, ours, or expired.
    this.acquireLock = p(
      `INSERT INTO kiln_locks (resource, owner, until) VALUES (?, ?, ?)
       ON CONFLICT (resource) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE kiln_locks.owner = excluded.owner OR kiln_locks.until <= ?`,
    );
    this.releaseLock = p(`DELETE FROM kiln_locks WHERE resource = ? AND owner = ?`);

    this.upsertRecurring = p(
      `INSERT INTO kiln_recurring (id, name, queue, args, cron, time_zone, misfire, next_execution, last_execution,
         last_job_id, paused, created_at, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, queue = excluded.queue, args = excluded.args,
         cron = excluded.cron, time_zone = excluded.time_zone, misfire = excluded.misfire,
         next_execution = excluded.next_execution, last_execution = excluded.last_execution,
         last_job_id = excluded.last_job_id, paused = excluded.paused, created_at = excluded.created_at,
         error = excluded.error`,
    );
    this.removeRecurring = p(`DELETE FROM kiln_recurring WHERE id = ?`);
    this.pauseRecurring = p(`UPDATE kiln_recurring SET paused = ? WHERE id = ?`);
    this.getRecurring = p(`SELECT * FROM kiln_recurring WHERE id = ?`);
    this.listRecurring = p(`SELECT * FROM kiln_recurring`);
    this.dueRecurring = p(
      `SELECT * FROM kiln_recurring
       WHERE paused = 0 AND next_execution IS NOT NULL AND next_execution <= ?
       ORDER BY next_execution, rowid LIMIT ?`,
    );
    this.recurringNext = p(`SELECT next_execution FROM kiln_recurring WHERE id = ?`);
    this.advanceRecurring = p(
      `UPDATE kiln_recurring
       SET next_execution = ?, last_execution = ?, error = iif(?, ?, error), last_job_id = coalesce(?, last_job_id)
       WHERE id = ?`,
    );
    this.countRecurring = p<[], number>(`SELECT count(*) FROM kiln_recurring`).pluck();

    this.bumpCount = p(
      `INSERT INTO kiln_counts (state, queue, n) VALUES (?, ?, ?)
       ON CONFLICT (state, queue) DO UPDATE SET n = n + excluded.n`,
    );
    this.stateCounts = p(`SELECT state, sum(n) AS n FROM kiln_counts GROUP BY state`);
    this.stateCount = p<[StateName], number>(`SELECT coalesce(sum(n), 0) FROM kiln_counts WHERE state = ?`).pluck();
    this.stateQueueCount = p<[StateName, string], number>(
      `SELECT coalesce(sum(n), 0) FROM kiln_counts WHERE state = ? AND queue = ?`,
    ).pluck();
    this.queueCounts = p(
      `SELECT queue, state, n FROM kiln_counts WHERE state IN ('enqueued', 'processing') AND n > 0`,
    );
    this.bumpTotal = p(
      `INSERT INTO kiln_totals (name, n) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET n = n + excluded.n`,
    );
    this.totals = p(`SELECT name, n FROM kiln_totals`);
    this.bumpHour = p(
      `INSERT INTO kiln_hours (hour, succeeded, failed) VALUES (?, ?, ?)
       ON CONFLICT (hour) DO UPDATE SET succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed`,
    );
    this.hours = p(`SELECT hour AS at, succeeded, failed FROM kiln_hours WHERE hour >= ? AND hour < ?`);
    this.dataVersion = p<[], number>(`PRAGMA data_version`).pluck();
  }

  /** A statement built at run time (the dashboard's filtered lists), prepared once per distinct text. */
  dynamicStatement<R>(sql: string): Statement<Value[], R> {
    let stmt = this.dynamic.get(sql);
    if (!stmt) {
      stmt = this.db.prepare<Value[], unknown>(sql);
      this.dynamic.set(sql, stmt);
    }
    return stmt as Statement<Value[], R>;
  }
}
