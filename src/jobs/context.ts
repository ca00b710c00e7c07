import type { Logger } from '../logger.js';
import type { Json } from '../storage/contract/index.js';

/** What a running job knows about itself. */
export interface JobContext {
  readonly jobId: string;
  /** The job definition's name. */
  readonly name: string;
  readonly queue: string;
  /** 1 on the first run, 2 on the first retry, ... (a re-run after a crash keeps the number). */
  readonly attempt: number;
  /**
   * Aborted when the job must stop: the server is shutting down (the job is then requeued, not
   * failed), the job was deleted or requeued while running, its lease was lost, or its timeout
   * passed. Pass it to fetch, streams and timers.
   */
  readonly signal: AbortSignal;
  /** Lines written here carry the job's id. */
  readonly logger: Logger;
  /** The job's parameters (recurringJobId, scheduledAt, retryCount, ...). */
  readonly parameters: Readonly<Record<string, Json>>;
  /** For a continuation: what its parent returned (JSON), else undefined. */
  readonly parentResult: Json | undefined;
  /** The server running the job. */
  readonly serverId: string;
  /**
   * Reports progress (a number 0-100, or any JSON): stored as the job's `progress` parameter and
   * shown in the dashboard. Throttled to one write per 500 ms; the last value is always stored.
   * A value that is not plain JSON, or over `maxArgsBytes`, throws a `ValidationError` here.
   */
  progress(value: Json): void;
}
