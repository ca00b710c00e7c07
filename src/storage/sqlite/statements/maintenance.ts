import type BetterSqlite3 from 'better-sqlite3';
import { INTERRUPTIONS_PARAMETER, type ServerRecord, type StateName } from '../../contract/index.js';
import type { Statement } from './index.js';

/** Requeuing statements reset a job to `enqueued`; they report the job for counts, wake-ups and events. */
export interface RequeuedRow {
  id: string;
  name: string;
  queue: string;
  attempt: number;
  state_reason: string | null;
}

/** The `interruptions` parameter as a JSON path. */
const COUNT_PATH = `'$.${INTERRUPTIONS_PARAMETER}'`;

/**
 * The interruption count a requeue after a lost run writes: the stored count plus one. A stored
 * value that is not a number counts as 0; a fraction is cut, and the count stops at 10⁹ (see
 * `INTERRUPTIONS_PARAMETER`).
 */
const COUNT = `(coalesce(CASE WHEN json_type(parameters, ${COUNT_PATH}) IN ('integer', 'real')
  THEN min(max(CAST(json_extract(parameters, ${COUNT_PATH}) AS INTEGER), 0), 1000000000) END, 0) + 1)`;

/**
 * The SET list that puts a job whose run ended without a result (lease expired, server gone) back
 * in its queue, counting the interruption in its parameters and in the reason (`reason`, an SQL
 * expression, followed by `(interruption N)`). Binds the state's time, then the history entry's.
 */
function interruptedSet(reason: string): string {
  const counted = `${reason} || ' (interruption ' || ${COUNT} || ')'`;
  return `state = 'enqueued', state_reason = ${counted}, state_data = NULL, state_at = ?, run_at = NULL,
           server_id = NULL, lease_until = NULL, parameters = json_set(parameters, ${COUNT_PATH}, ${COUNT}),
           history = history || ',' || json_object('name', 'enqueued', 'reason', ${counted}, 'at', ?)`;
}

const REQUEUED = 'id, name, queue, attempt, state_reason';

/**
 * The statements of maintenance: due scheduled jobs, expired leases, expired jobs, the server
 * registry and named locks. Each periodic call has a cheap `has...` probe, so an idle server
 * looks with a read and never takes the write lock.
 */
export class MaintenanceStatements {
  readonly hasDue: Statement<[number], unknown>;
  readonly enqueueDue: Statement<[string, number, string, number, number], RequeuedRow>;
  readonly nextDue: Statement<[], { run_at: number }>;
  readonly hasExpiredLease: Statement<[number], unknown>;
  /** now (state time), now (history time), now (lease end before), limit. */
  readonly releaseExpired: Statement<[number, number, number, number], RequeuedRow>;
  /** now (state time), now (history time), server id, { reason }. */
  readonly requeueHeld: Statement<[number, number, string, { reason: string }], RequeuedRow>;
  readonly hasExpired: Statement<[number], unknown>;
  readonly deleteExpired: Statement<[number, number], { seq: number; state: StateName; queue: string }>;

  /** Binds a `ServerRecord` by name, `queues` as JSON text. */
  readonly upsertServer: Statement<[Omit<ServerRecord, 'queues'> & { queues: string }]>;
  readonly heartbeat: Statement<[number, string]>;
  readonly deleteServer: Statement<[string]>;
  readonly deadServers: Statement<[number], string>;
  readonly acquireLock: Statement<[string, string, number, number]>;
  readonly releaseLock: Statement<[string, string]>;

  constructor(db: BetterSqlite3.Database) {
    this.hasDue = db.prepare(
      `SELECT 1 FROM kiln_jobs INDEXED BY kiln_jobs_scheduled WHERE state = 'scheduled' AND run_at <= ? LIMIT 1`,
    );
    this.enqueueDue = db.prepare(
      `UPDATE kiln_jobs
       SET state = 'enqueued', state_reason = ?, state_data = NULL, state_at = ?, run_at = NULL,
           server_id = NULL, lease_until = NULL, history = history || ?
       WHERE seq IN (SELECT seq FROM kiln_jobs INDEXED BY kiln_jobs_scheduled WHERE state = 'scheduled' AND run_at <= ? ORDER BY run_at, seq LIMIT ?)
       RETURNING ${REQUEUED}`,
    );
    this.nextDue = db.prepare(
      `SELECT run_at FROM kiln_jobs INDEXED BY kiln_jobs_scheduled WHERE state = 'scheduled' AND run_at IS NOT NULL ORDER BY run_at LIMIT 1`,
    );
    this.hasExpiredLease = db.prepare(
      `SELECT 1 FROM kiln_jobs INDEXED BY kiln_jobs_processing WHERE state = 'processing' AND lease_until < ? LIMIT 1`,
    );
    // The reasons name the server that lost the job; SET expressions read the row before the update.
    this.releaseExpired = db.prepare(
      `UPDATE kiln_jobs SET ${interruptedSet(`'Lease of server ' || coalesce(server_id, 'null') || ' expired'`)}
       WHERE seq IN (SELECT seq FROM kiln_jobs INDEXED BY kiln_jobs_processing WHERE state = 'processing' AND lease_until < ? ORDER BY seq LIMIT ?)
       RETURNING ${REQUEUED}`,
    );
    this.requeueHeld = db.prepare(
      `UPDATE kiln_jobs SET ${interruptedSet('@reason')}
       WHERE seq IN (SELECT seq FROM kiln_jobs INDEXED BY kiln_jobs_processing WHERE state = 'processing' AND server_id = ?)
       RETURNING ${REQUEUED}`,
    );
    this.hasExpired = db.prepare(
      `SELECT 1 FROM kiln_jobs INDEXED BY kiln_jobs_expire WHERE expire_at IS NOT NULL AND expire_at <= ? LIMIT 1`,
    );
    this.deleteExpired = db.prepare(
      `DELETE FROM kiln_jobs
       WHERE seq IN (SELECT seq FROM kiln_jobs INDEXED BY kiln_jobs_expire WHERE expire_at IS NOT NULL AND expire_at <= ? ORDER BY expire_at LIMIT ?)
       RETURNING seq, state, queue`,
    );

    this.upsertServer = db.prepare(
      `INSERT INTO kiln_servers (id, name, worker_count, queues, started_at, heartbeat_at)
       VALUES (@id, @name, @workerCount, @queues, @startedAt, @heartbeatAt)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, worker_count = excluded.worker_count,
         queues = excluded.queues, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
    );
    this.heartbeat = db.prepare(`UPDATE kiln_servers SET heartbeat_at = ? WHERE id = ?`);
    this.deleteServer = db.prepare(`DELETE FROM kiln_servers WHERE id = ?`);
    this.deadServers = db.prepare<[number], string>(`SELECT id FROM kiln_servers WHERE heartbeat_at < ? ORDER BY rowid`).pluck();
    // One statement, so one implicit write transaction: take the lock if it is free, ours, or expired.
    this.acquireLock = db.prepare(
      `INSERT INTO kiln_locks (resource, owner, until) VALUES (?, ?, ?)
       ON CONFLICT (resource) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE kiln_locks.owner = excluded.owner OR kiln_locks.until <= ?`,
    );
    this.releaseLock = db.prepare(`DELETE FROM kiln_locks WHERE resource = ? AND owner = ?`);
  }
}
