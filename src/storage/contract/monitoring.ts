import type { ServerRecord } from './maintenance.js';
import type { JobDetails, JobRecord, StateName } from './model.js';
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
  listJobs(query: ListJobsQuery): Promise<JobPage>;
  getJob(id: string): Promise<JobDetails | null>;
  listServers(): Promise<ServerRecord[]>;
  getRecurring(id: string): Promise<RecurringJobRecord | null>;
  listRecurring(): Promise<RecurringJobRecord[]>;
  timeline(unit: 'hour' | 'day', from: number, to: number): Promise<TimelinePoint[]>;
}
