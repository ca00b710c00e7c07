import type { ServerRecord } from './maintenance.js';
import type { JobLogPage, JobLogQuery } from './logs.js';
import type { JobDetails, JobRecord, StateName } from './model.js';
import type { QueueSettings } from './queues.js';
import type { RecurringJobRecord } from './recurring.js';

/** Per-state counts and lifetime totals, for the dashboard overview. */
export interface StorageStatistics {
  states: Record<StateName, number>;
  /** Lifetime number of successes and failures (every failed attempt counts). */
  succeededTotal: number;
  failedTotal: number;
  servers: number;
  recurring: number;
}

export interface QueueStatistics {
  queue: string;
  enqueued: number;
  processing: number;
}

/** The head of a queue: the enqueued job a server takes next from it. */
export interface QueueHead {
  queue: string;
  /**
   * When that job entered `enqueued`, epoch ms: how long the queue has kept its next job waiting
   * (the `kiln_queue_oldest_job_age_seconds` metric). Queues are FIFO by creation, so this is the
   * longest wait in the queue, except after a retry or a requeue: such a job keeps its place from
   * creation, at the head, with the time it was enqueued again.
   */
  enqueuedAt: number;
}

/** A bucket of the history chart. */
export interface TimelinePoint {
  /** Start of the bucket, epoch ms (UTC hour or day). */
  at: number;
  succeeded: number;
  failed: number;
}

/**
 * The current use of one limit, for the dashboard ("tenant-42: 5 / 5 running, 130 waiting") and
 * the job page ("waiting for limit").
 */
export interface LimitUsage {
  /** `'queue'`: a queue's own limit (`key` is the queue name); `'key'`: a job group's (`key` is the group key). */
  scope: 'queue' | 'key';
  kind: 'concurrency' | 'rate';
  key: string;
  /**
   * The concurrency limit or the rate `max`. For a job group, the largest that its enqueued and
   * processing jobs carry (they normally all carry the same numbers, from one job definition).
   */
  limit: number;
  /** For rate limits: the window in ms (for a job group, the one carried with `limit`); null for concurrency. */
  perMs: number | null;
  /**
   * Concurrency: the jobs `processing` under it now (the queue's jobs, or the jobs carrying the
   * key). Rate: the starts counted at `now` (at a time `t > now - perMs`).
   */
  used: number;
  /** The enqueued jobs subject to it: the queue's, or those carrying the key (of this kind). */
  waiting: number;
}

export interface LimitUsageQuery {
  /** The time rate windows are counted back from. */
  now: number;
  /** Only the limits of this key or queue name (both scopes and kinds). */
  key?: string;
  offset: number;
  limit: number;
}

/**
 * A page of limits in use: every queue with a limit set, then every job group with at least one
 * enqueued or processing job carrying its key, ordered by scope (queues first), then `key`
 * (binary order, as Postgres's "C" collation and Redis compare), then kind (concurrency first).
 */
export interface LimitUsagePage {
  total: number;
  limits: LimitUsage[];
}

export interface ListJobsQuery {
  state: StateName;
  queue?: string;
  /** Exact job name. */
  name?: string;
  /** Matches a job id prefix or a job name substring. */
  search?: string;
  /**
   * Only retries: with `state: 'scheduled'`, the jobs waiting for an automatic retry (attempt
   * above 1, as the retry filter leaves them; a job requeued by hand starts again at 1).
   */
  retriesOnly?: boolean;
  offset: number;
  limit: number;
}

export interface JobPage {
  total: number;
  jobs: JobRecord[];
}

/**
 * The monitoring API: read-only views for the dashboard, the CLI's read commands and
 * `JobClient.get`. Nothing here writes, so a read-only tool may hold only this role.
 */
export interface MonitoringApi {
  statistics(): Promise<StorageStatistics>;
  queues(): Promise<QueueStatistics[]>;
  /**
   * The head of every queue holding enqueued jobs, sorted by queue name: one index read per
   * queue, never a scan of its jobs, so a metrics scrape may call it often.
   */
  queueHeads(): Promise<QueueHead[]>;
  /** Every queue that is paused or has a limit, by queue name. */
  queueSettings(): Promise<QueueSettings[]>;
  /** Limits and their current use (see `LimitUsagePage`). */
  limitUsage(query: LimitUsageQuery): Promise<LimitUsagePage>;
  listJobs(query: ListJobsQuery): Promise<JobPage>;
  getJob(id: string): Promise<JobDetails | null>;
  /** A page of a job's log lines (see `logs.ts`); the job log store answers it. */
  jobLogs(jobId: string, query: JobLogQuery): Promise<JobLogPage>;
  listServers(): Promise<ServerRecord[]>;
  getRecurring(id: string): Promise<RecurringJobRecord | null>;
  listRecurring(): Promise<RecurringJobRecord[]>;
  timeline(unit: 'hour' | 'day', from: number, to: number): Promise<TimelinePoint[]>;
}
