import type { ServerRecord } from './maintenance.js';
import type { JobLogPage, JobLogQuery } from './logs.js';
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
  listJobs(query: ListJobsQuery): Promise<JobPage>;
  getJob(id: string): Promise<JobDetails | null>;
  /** A page of a job's log lines (see `logs.ts`); the job log store answers it. */
  jobLogs(jobId: string, query: JobLogQuery): Promise<JobLogPage>;
  listServers(): Promise<ServerRecord[]>;
  getRecurring(id: string): Promise<RecurringJobRecord | null>;
  listRecurring(): Promise<RecurringJobRecord[]>;
  timeline(unit: 'hour' | 'day', from: number, to: number): Promise<TimelinePoint[]>;
}
