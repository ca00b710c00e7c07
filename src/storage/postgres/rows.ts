import type pg from 'pg';
import type { UnclaimedFields } from '../claimed-job.js';
import { limitsFromColumns } from '../limit-columns.js';
import type { Json, JobRecord, RecurringJobRecord, ServerRecord, StateName } from '../contract/index.js';

/**
 * How Postgres rows become Kiln's records: the type parsers every query uses, the row shapes the
 * statements select, and their decoding.
 */

const INT8_OID = 20;
const parseInt8 = (value: string): number => Number(value);

/**
 * Type parsers for every query: `bigint` (epoch ms, seq, counts) as a JS number instead of
 * node-postgres's default string. Safe: epoch milliseconds and counts stay far below 2^53.
 * Passed per query, so an application's own pool keeps its own parsers. `types` is the loaded
 * driver's `pg.types`, for every other type.
 */
export function kilnTypes(types: typeof pg.types): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID ? parseInt8 : types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
  };
}

/** The columns of a `JobRecord`, for `SELECT`s, with the alias (or composite) they come from. */
export function jobColumns(alias: string): string {
  return [
    'id',
    'name',
    'queue',
    'args',
    'state',
    'state_reason',
    'state_data',
    'created_at',
    'state_at',
    'attempt',
    'parameters',
    'run_at',
    'parent_id',
    'server_id',
    'lease_until',
    'expire_at',
    'result',
    'unique_key',
    'priority',
    'concurrency_key',
    'concurrency_limit',
    'rate_key',
    'rate_max',
    'rate_per_ms',
  ]
    .map((c) => `${alias}.${c}`)
    .join(', ');
}

/** A `jobs` row as selected by `jobColumns`. */
export interface JobRow {
  id: string;
  name: string;
  queue: string;
  args: string;
  state: StateName;
  state_reason: string | null;
  state_data: { [key: string]: Json } | null;
  created_at: number;
  state_at: number;
  attempt: number;
  parameters: { [key: string]: Json };
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


export function toJob(r: JobRow): JobRecord {
  return {
    id: r.id,
    name: r.name,
    queue: r.queue,
    args: r.args,
    state: r.state,
    stateReason: r.state_reason,
    stateData: r.state_data,
    createdAt: r.created_at,
    stateAt: r.state_at,
    attempt: r.attempt,
    parameters: r.parameters,
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

/** A row of `fetch_jobs`: the columns a claim does not set. */
export interface ClaimedRow {
  o_seq: number;
  o_id: string;
  o_name: string;
  o_queue: string;
  o_args: string;
  o_created_at: number;
  o_attempt: number;
  o_parameters: { [key: string]: Json };
  o_parent_id: string | null;
  o_run_at: number | null;
  o_expire_at: number | null;
  o_result: string | null;
  o_unique_key: string | null;
  o_priority: number;
  o_concurrency_key: string | null;
  o_concurrency_limit: number | null;
  o_rate_key: string | null;
  o_rate_max: number | null;
  o_rate_per_ms: number | null;
}

/** The fields of a job just claimed that `fetch_jobs` returns (see `claimedJob` for the rest). */
export function unclaimedFields(r: ClaimedRow): UnclaimedFields {
  return {
    id: r.o_id,
    name: r.o_name,
    queue: r.o_queue,
    args: r.o_args,
    createdAt: r.o_created_at,
    attempt: r.o_attempt,
    parameters: r.o_parameters,
    runAt: r.o_run_at,
    parentId: r.o_parent_id,
    expireAt: r.o_expire_at,
    result: r.o_result,
    uniqueKey: r.o_unique_key,
    priority: r.o_priority,
    ...limitsFromColumns(r.o_concurrency_key, r.o_concurrency_limit, r.o_rate_key, r.o_rate_max, r.o_rate_per_ms),
  };
}

export interface ServerRow {
  id: string;
  name: string;
  worker_count: number;
  queues: string[];
  started_at: number;
  heartbeat_at: number;
}

export function toServer(r: ServerRow): ServerRecord {
  return {
    id: r.id,
    name: r.name,
    workerCount: r.worker_count,
    queues: r.queues,
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
  misfire: RecurringJobRecord['misfire'];
  next_execution: number | null;
  last_execution: number | null;
  last_job_id: string | null;
  paused: boolean;
  created_at: number;
  error: string | null;
}

export function toRecurring(r: RecurringRow): RecurringJobRecord {
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
    paused: r.paused,
    createdAt: r.created_at,
    error: r.error,
  };
}
