import type BetterSqlite3 from 'better-sqlite3';
import type { StateName } from '../../contract/index.js';
import { CLAIMED_COLUMNS, JOB_COLUMNS, type ClaimedRow, type JobRow, type LimitColumns, type LimitFields } from '../rows.js';
import type { Statement } from './index.js';

/** `JOB_COLUMNS` qualified with a table alias, for joins. */
const jobColumnsOf = (alias: string): string =>
  JOB_COLUMNS.split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

/** An enqueued job as a limited claim weighs it: its place in line and its limits. */
export type CandidateRow = Pick<JobRow, 'seq' | 'priority'> & LimitFields;

/** A job holding a unique key. */
export interface UniqueHolder {
  seq: number;
  id: string;
  state: StateName;
  queue: string;
}

/** The separator of the exclusion strings a limited claim builds (keys hold no control characters). */
export const SEP = '\u001f';

/** The row shape a transition reads before it decides. */
export interface ChangeRow {
  seq: number;
  state: StateName;
  queue: string;
  server_id: string | null;
  lease_until: number | null;
  parameters: string;
}

/** A `ChangeRow` with what the job events of the change name: read only while someone listens. */
export interface ChangeRowNamed extends ChangeRow {
  id: string;
  name: string;
  attempt: number;
}

/** The statements of the job store: insert, claim, leases, parameters, transitions, reads of one job. */
export class JobStatements {
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
      ...limits: LimitColumns,
    ]
  >;
  readonly activeWithKey: Statement<[string, number], UniqueHolder>;
  readonly pendingWithKey: Statement<[string, number], UniqueHolder>;
  readonly throttledWithKey: Statement<[string, number], UniqueHolder>;
  readonly releaseKey: Statement<[until: number, key: string]>;
  readonly replacePending: Statement<
    [
      args: string,
      ...limits: LimitColumns,
      state: StateName,
      reason: string | null,
      data: string | null,
      stateAt: number,
      runAt: number | null,
      history: string,
      seq: number,
    ]
  >;
  readonly hasEnqueued: Statement<[string], unknown>;
  readonly hasLimited: Statement<[string], unknown>;
  readonly claim: Statement<
    [data: string, stateAt: number, serverId: string, leaseUntil: number, history: string, queue: string, limit: number],
    ClaimedRow
  >;
  readonly plainHeads: Statement<[queue: string, limit: number], { seq: number; priority: number }>;
  readonly limitedAtPriority: Statement<
    [queue: string, priority: number, afterSeq: number, fullConcurrency: string, fullRate: string, limit: number],
    CandidateRow
  >;
  readonly limitedBelowPriority: Statement<
    [queue: string, priority: number, fullConcurrency: string, fullRate: string, limit: number],
    CandidateRow
  >;
  readonly claimSeqs: Statement<
    [data: string, stateAt: number, serverId: string, leaseUntil: number, history: string, seqs: string],
    ClaimedRow
  >;
  readonly processingWithKey: Statement<[string], number>;
  readonly renewLease: Statement<[number, string, string]>;
  readonly heldParameters: Statement<[string, string], { id: string; name: string; queue: string; attempt: number; parameters: string }>;
  readonly setParameters: Statement<[string, string]>;
  readonly changeRow: Statement<[string], ChangeRow>;
  readonly changeRowNamed: Statement<[string], ChangeRowNamed>;
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
  readonly jobById: Statement<[string], JobRow & { history: string }>;
  readonly continuationIds: Statement<[string], string>;
  readonly continuationsOf: Statement<[string], JobRow>;
  readonly awaitingReady: Statement<[number], JobRow & { parent_state: StateName | null; parent_result: string | null }>;

  constructor(db: BetterSqlite3.Database) {
    this.insertJob = db.prepare(
      `INSERT INTO kiln_jobs (id, name, queue, args, state, state_reason, state_data, created_at, state_at,
         parameters, run_at, parent_id, unique_key, unique_until, history,
         priority, limited, concurrency_key, concurrency_limit, rate_key, rate_max, rate_per_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // The holders of a unique key, one query per mode of the call (see `UniqueMode`). The first
    // two spell the partial index kiln_jobs_unique's WHERE so they use it.
    const active = `unique_key = ? AND unique_key IS NOT NULL AND state IN ('enqueued', 'scheduled', 'awaiting', 'processing')`;
    this.activeWithKey = db.prepare(
      `SELECT seq, id, state, queue FROM kiln_jobs WHERE ${active} AND (unique_until IS NULL OR unique_until > ?) ORDER BY seq LIMIT 1`,
    );
    this.pendingWithKey = db.prepare(
      `SELECT seq, id, state, queue FROM kiln_jobs WHERE ${active} AND state != 'processing' AND (unique_until IS NULL OR unique_until > ?)
       ORDER BY seq LIMIT 1`,
    );
    this.throttledWithKey = db.prepare(
      `SELECT seq, id, state, queue FROM kiln_jobs INDEXED BY kiln_jobs_throttle
       WHERE unique_key = ? AND unique_key IS NOT NULL AND unique_until IS NOT NULL AND unique_until > ? ORDER BY seq LIMIT 1`,
    );
    // A debounced call takes the key from a running job for good: its key expires now.
    this.releaseKey = db.prepare(
      `UPDATE kiln_jobs SET unique_until = ?
       WHERE unique_key = ? AND unique_key IS NOT NULL AND state IN ('enqueued', 'scheduled', 'awaiting', 'processing')
         AND state = 'processing'`,
    );
    this.replacePending = db.prepare(
      `UPDATE kiln_jobs
       SET args = ?, priority = ?, limited = ?, concurrency_key = ?, concurrency_limit = ?, rate_key = ?, rate_max = ?, rate_per_ms = ?,
           state = ?, state_reason = ?, state_data = ?, state_at = ?, run_at = ?, history = history || ?
       WHERE seq = ?`,
    );
    this.hasEnqueued = db.prepare(
      `SELECT 1 FROM kiln_jobs INDEXED BY kiln_jobs_enqueued WHERE state = 'enqueued' AND queue = ? LIMIT 1`,
    );
    this.hasLimited = db.prepare(
      `SELECT 1 FROM kiln_jobs INDEXED BY kiln_jobs_enqueued WHERE state = 'enqueued' AND queue = ? AND limited = 1 LIMIT 1`,
    );
    const claimed = `SET state = 'processing', state_reason = NULL, state_data = ?, state_at = ?, server_id = ?, lease_until = ?,
           history = history || ?`;
    // The plain path: a queue's jobs without limits, in claim order, straight off the index.
    this.claim = db.prepare(
      `UPDATE kiln_jobs ${claimed}
       WHERE seq IN (SELECT seq FROM kiln_jobs INDEXED BY kiln_jobs_enqueued
                     WHERE state = 'enqueued' AND queue = ? AND limited = 0 ORDER BY priority DESC, seq LIMIT ?)
       RETURNING ${CLAIMED_COLUMNS}`,
    );
    this.plainHeads = db.prepare(
      `SELECT seq, priority FROM kiln_jobs INDEXED BY kiln_jobs_enqueued
       WHERE state = 'enqueued' AND queue = ? AND limited = 0 ORDER BY priority DESC, seq LIMIT ?`,
    );
    // The limited jobs of a queue in claim order after a position (a candidate already read),
    // leaving out those of keys found full with the same numbers (JSON arrays of "key␟limit" and
    // "key␟max␟perMs"). Two statements, each one range of the index, rather than one with an OR
    // that SQLite could only filter: the rest of the position's priority, then the lower ones.
    const fullKeys = `AND (concurrency_key IS NULL
              OR concurrency_key || char(31) || concurrency_limit NOT IN (SELECT value FROM json_each(?)))
         AND (rate_key IS NULL
              OR rate_key || char(31) || rate_max || char(31) || rate_per_ms NOT IN (SELECT value FROM json_each(?)))`;
    const candidate = `SELECT seq, priority, concurrency_key, concurrency_limit, rate_key, rate_max, rate_per_ms
       FROM kiln_jobs INDEXED BY kiln_jobs_enqueued
       WHERE state = 'enqueued' AND queue = ? AND limited = 1`;
    this.limitedAtPriority = db.prepare(`${candidate} AND priority = ? AND seq > ? ${fullKeys} ORDER BY seq LIMIT ?`);
    this.limitedBelowPriority = db.prepare(`${candidate} AND priority < ? ${fullKeys} ORDER BY priority DESC, seq LIMIT ?`);
    this.claimSeqs = db.prepare(
      `UPDATE kiln_jobs ${claimed}
       WHERE seq IN (SELECT value FROM json_each(?)) AND state = 'enqueued'
       RETURNING ${CLAIMED_COLUMNS}`,
    );
    this.processingWithKey = db
      .prepare<[string], number>(
        `SELECT count(*) FROM kiln_jobs INDEXED BY kiln_jobs_running_keys
         WHERE concurrency_key IS NOT NULL AND state = 'processing' AND concurrency_key = ?`,
      )
      .pluck();
    this.renewLease = db.prepare(`UPDATE kiln_jobs SET lease_until = ? WHERE id = ? AND state = 'processing' AND server_id = ?`);
    this.heldParameters = db.prepare(
      `SELECT id, name, queue, attempt, parameters FROM kiln_jobs WHERE id = ? AND state = 'processing' AND server_id = ?`,
    );
    this.setParameters = db.prepare(`UPDATE kiln_jobs SET parameters = ? WHERE id = ?`);
    // Two shapes of one read: each column read costs on every change of a batch, so the names
    // the job events need are read only when the transaction publishes them.
    this.changeRow = db.prepare(`SELECT seq, state, queue, server_id, lease_until, parameters FROM kiln_jobs WHERE id = ?`);
    this.changeRowNamed = db.prepare(
      `SELECT seq, id, name, attempt, state, queue, server_id, lease_until, parameters FROM kiln_jobs WHERE id = ?`,
    );
    this.applyChange = db.prepare(
      `UPDATE kiln_jobs
       SET state = ?, state_reason = ?, state_data = ?, state_at = ?, queue = ?, run_at = ?, expire_at = ?,
           attempt = coalesce(?, attempt), parameters = coalesce(?, parameters), result = coalesce(?, result),
           server_id = ?, lease_until = ?, history = history || ?
       WHERE seq = ?`,
    );
    this.jobById = db.prepare(`SELECT ${JOB_COLUMNS}, history FROM kiln_jobs WHERE id = ?`);
    this.continuationIds = db.prepare<[string], string>(`SELECT id FROM kiln_jobs WHERE parent_id = ? ORDER BY seq`).pluck();
    this.continuationsOf = db.prepare(
      `SELECT ${JOB_COLUMNS} FROM kiln_jobs
       WHERE parent_id IN (SELECT value FROM json_each(?)) AND state = 'awaiting'
       ORDER BY seq`,
    );
    this.awaitingReady = db.prepare(
      `SELECT ${jobColumnsOf('j')}, p.state AS parent_state, p.result AS parent_result
       FROM kiln_jobs j LEFT JOIN kiln_jobs p ON p.id = j.parent_id
       WHERE j.state = 'awaiting' AND (p.id IS NULL OR p.state IN ('succeeded', 'deleted'))
       ORDER BY j.seq LIMIT ?`,
    );
  }
}
