import type { Json, JobRecord, MisfirePolicy, NewJob, RecurringJobRecord, ServerRecord, StateEntry, StateName } from '../contract/index.js';
import type { UnclaimedFields } from '../claimed-job.js';
import { limitsFromColumns } from '../limit-columns.js';
import { DEFAULT_PRIORITY } from '../contract/index.js';

/** The columns of `kiln_jobs` that make a `JobRecord` (everything but `history` and `unique_until`). */
export const JOB_COLUMNS =
  'seq, id, name, queue, args, state, state_reason, state_data, created_at, state_at, attempt, parameters, ' +
  'run_at, parent_id, server_id, lease_until, expire_at, result, unique_key, ' +
  'priority, concurrency_key, concurrency_limit, rate_key, rate_max, rate_per_ms';

/**
 * What a claim returns of each job it takes: only the columns the claim does not decide or know
 * already. The queue, the state columns, the server and lease are what the claim just wrote; the
 * limits are none on the plain path and were read with the candidates on the limited one; so
 * `unclaimedFields` and `claimedJob` fill those in. Every column returned costs SQLite a write
 * into RETURNING's ephemeral table and a read back out, per row: returning all of `JOB_COLUMNS`
 * made a claim about 6 µs a job dearer (measured 15 against 9).
 */
export const CLAIMED_COLUMNS = 'seq, id, name, args, created_at, attempt, parameters, run_at, parent_id, expire_at, result, unique_key, priority';

/** A row as a claim returns it (`CLAIMED_COLUMNS`). */
export type ClaimedRow = Pick<
  JobRow,
  'seq' | 'id' | 'name' | 'args' | 'created_at' | 'attempt' | 'parameters' | 'run_at' | 'parent_id' | 'expire_at' | 'result' | 'unique_key' | 'priority'
>;

/** A job's limit columns as a claim reads them with its candidates. */
export type LimitFields = Pick<JobRow, 'concurrency_key' | 'concurrency_limit' | 'rate_key' | 'rate_max' | 'rate_per_ms'>;

/**
 * What a claim read of a job it took, as `claimedJob` completes it into the claimed record: the
 * row the claim returned, the queue it claimed from, and the job's limits (read with it as a
 * candidate on the limited path; none on the plain path, where `limited = 0`).
 */
export function unclaimedFields(r: ClaimedRow, queue: string, limits: LimitFields | undefined): UnclaimedFields {
  const l = limits && limitsFromColumns(limits.concurrency_key, limits.concurrency_limit, limits.rate_key, limits.rate_max, limits.rate_per_ms);
  return {
    id: r.id,
    name: r.name,
    queue,
    args: r.args,
    createdAt: r.created_at,
    attempt: r.attempt,
    parameters: JSON.parse(r.parameters) as { [key: string]: Json },
    runAt: r.run_at,
    parentId: r.parent_id,
    expireAt: r.expire_at,
    result: r.result,
    uniqueKey: r.unique_key,
    priority: r.priority,
    concurrency: l?.concurrency ?? null,
    rateLimit: l?.rateLimit ?? null,
  };
}

/** A `kiln_jobs` row as read with `JOB_COLUMNS`. */
export interface JobRow {
  seq: number;
  id: string;
  name: string;
  queue: string;
  args: string;
  state: StateName;
  state_reason: string | null;
  state_data: string | null;
  created_at: number;
  state_at: number;
  attempt: number;
  parameters: string;
  run_at: number | null;
  parent_id: string | null;
  server_id: string | null;
  lease_until: number | null;
  expire_at: number | null;
  result: string | null;
  unique_key: string | null;
  priority: number;
  concurrency_key: string | null;
  concurrency_limit: number | null;
  rate_key: string | null;
  rate_max: number | null;
  rate_per_ms: number | null;
}

export function toJobRecord(r: JobRow): JobRecord {
  return {
    id: r.id,
    name: r.name,
    queue: r.queue,
    args: r.args,
    state: r.state,
    stateReason: r.state_reason,
    stateData: r.state_data === null ? null : (JSON.parse(r.state_data) as { [key: string]: Json }),
    createdAt: r.created_at,
    stateAt: r.state_at,
    attempt: r.attempt,
    parameters: JSON.parse(r.parameters) as { [key: string]: Json },
    runAt: r.run_at,
    parentId: r.parent_id,
    serverId: r.server_id,
    leaseUntil: r.lease_until,
    expireAt: r.expire_at,
    result: r.result,
    uniqueKey: r.unique_key,
    priority: r.priority,
    ...limitsFromColumns(r.concurrency_key, r.concurrency_limit, r.rate_key, r.rate_max, r.rate_per_ms),
  };
}

/** A job's flow-control columns, in the order `insertJob` and a debounce's replacement bind them. */
export type LimitColumns = [
  priority: number,
  limited: 0 | 1,
  concurrencyKey: string | null,
  concurrencyLimit: number | null,
  rateKey: string | null,
  rateMax: number | null,
  ratePerMs: number | null,
];

export function limitColumns(job: NewJob): LimitColumns {
  const c = job.concurrency;
  const r = job.rateLimit;
  return [
    job.priority ?? DEFAULT_PRIORITY,
    c || r ? 1 : 0,
    c?.key ?? null,
    c?.limit ?? null,
    r?.key ?? null,
    r?.max ?? null,
    r?.perMs ?? null,
  ];
}

/** History entries are stored as JSON objects joined by commas: a JSON array without brackets. */
export function parseHistory(history: string): StateEntry[] {
  return JSON.parse(`[${history}]`) as StateEntry[];
}

/** `data` of a state entry as stored in `state_data`: JSON text, or null when absent. */
export function stateDataText(entry: StateEntry): string | null {
  return entry.data ? JSON.stringify(entry.data) : null;
}

export interface ServerRow {
  id: string;
  name: string;
  worker_count: number;
  queues: string;
  started_at: number;
  heartbeat_at: number;
}

export function toServerRecord(r: ServerRow): ServerRecord {
  return {
    id: r.id,
    name: r.name,
    workerCount: r.worker_count,
    queues: JSON.parse(r.queues) as string[],
    startedAt: r.started_at,
    heartbeatAt: r.heartbeat_at,
  };
}

export interface RecurringRow {
  id: string;
  name: string;
  queue: string;
  args: string;
  cron: string;
  time_zone: string;
  misfire: MisfirePolicy;
  next_execution: number | null;
  last_execution: number | null;
  last_job_id: string | null;
  paused: number;
  created_at: number;
  error: string | null;
}

export function toRecurringRecord(r: RecurringRow): RecurringJobRecord {
  return {
    id: r.id,
    name: r.name,
    queue: r.queue,
    args: r.args,
    cron: r.cron,
    timeZone: r.time_zone,
    misfire: r.misfire,
    nextExecution: r.next_execution,
    lastExecution: r.last_execution,
    lastJobId: r.last_job_id,
    paused: r.paused !== 0,
    createdAt: r.created_at,
    error: r.error,
  };
}
