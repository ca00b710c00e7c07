import type BetterSqlite3 from 'better-sqlite3';
import type { StateName } from '../../contract/index.js';
import { JOB_COLUMNS, type JobRow } from '../rows.js';
import type { Statement } from './index.js';

/** `JOB_COLUMNS` qualified with a table alias, for joins. */
const jobColumnsOf = (alias: string): string =>
  JOB_COLUMNS.split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

/** The row shape a transition reads before it decides. */
export interface ChangeRow {
  seq: number;
  id: string;
  name: string;
  attempt: number;
  state: StateName;
  queue: string;
  server_id: string | null;
  lease_until: number | null;
  parameters: string;
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
    ]
  >;
  readonly activeWithKey: Statement<[string, number], { id: string }>;
  readonly hasEnqueued: Statement<[string], unknown>;
  readonly claim: Statement<
    [data: string, stateAt: number, serverId: string, leaseUntil: number, history: string, queue: string, limit: number],
    JobRow
  >;
  readonly renewLease: Statement<[number, string, string]>;
  readonly heldParameters: Statement<[string, string], { id: string; name: string; queue: string; attempt: number; parameters: string }>;
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
  readonly jobById: Statement<[string], JobRow & { history: string }>;
  readonly continuationIds: Statement<[string], string>;
  readonly continuationsOf: Statement<[string], JobRow>;
  readonly awaitingReady: Statement<[number], JobRow & { parent_state: StateName | null; parent_result: string | null }>;

  constructor(db: BetterSqlite3.Database) {
    this.insertJob = db.prepare(
      `INSERT INTO kiln_jobs (id, name, queue, args, state, state_reason, state_data, created_at, state_at,
         parameters, run_at, parent_id, unique_key, unique_until, history)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.activeWithKey = db.prepare(
      `SELECT id FROM kiln_jobs
       WHERE unique_key = ? AND unique_key IS NOT NULL
         AND state IN ('enqueued', 'scheduled', 'awaiting', 'processing')
         AND (unique_until IS NULL OR unique_until > ?)
       ORDER BY seq LIMIT 1`,
    );
    this.hasEnqueued = db.prepare(
      `SELECT 1 FROM kiln_jobs INDEXED BY kiln_jobs_enqueued WHERE state = 'enqueued' AND queue = ? LIMIT 1`,
    );
    this.claim = db.prepare(
      `UPDATE kiln_jobs
       SET state = 'processing', state_reason = NULL, state_data = ?, state_at = ?, server_id = ?, lease_until = ?,
           history = history || ?
       WHERE seq IN (SELECT seq FROM kiln_jobs INDEXED BY kiln_jobs_enqueued WHERE state = 'enqueued' AND queue = ? ORDER BY seq LIMIT ?)
       RETURNING ${JOB_COLUMNS}`,
    );
    this.renewLease = db.prepare(`UPDATE kiln_jobs SET lease_until = ? WHERE id = ? AND state = 'processing' AND server_id = ?`);
    this.heldParameters = db.prepare(
      `SELECT id, name, queue, attempt, parameters FROM kiln_jobs WHERE id = ? AND state = 'processing' AND server_id = ?`,
    );
    this.setParameters = db.prepare(`UPDATE kiln_jobs SET parameters = ? WHERE id = ?`);
    this.changeRow = db.prepare(
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
