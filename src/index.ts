// Kiln's public API: re-exports only.
export { configure, type KilnConfig } from './config.js';
export { KilnError, ValidationError, JobCreationCanceledError, DuplicateJobError } from './errors.js';
export { consoleLogger, silentLogger, type Logger } from './logger.js';
export { pinoLogger, type PinoLike } from './logging/pino.js';
export type { Clock } from './clock.js';

export {
  defineJob,
  registeredJob,
  registeredJobs,
  type JobDefinition,
  type AnyJobDefinition,
  type JobOptions,
  type JobOptionsWithSchema,
  type ArgsOf,
} from './jobs/define-job.js';
export type { JobContext } from './jobs/context.js';
export type { Duration } from './jobs/duration.js';
export { hangfireBackoffMs, type RetryOptions } from './jobs/retry-policy.js';
export type { EnqueueOptions, ScheduleWhen } from './jobs/job-options.js';

export { JobClient, type JobClientOptions, type StateCondition } from './client/job-client.js';
export { RecurringJobs, type RecurringOptions, type RecurringJobInfo } from './client/recurring-jobs.js';
export type { ContinuationCondition } from './states/continuations.js';
export { disableConcurrentExecution, LockTimeoutError, type DisableConcurrentExecutionOptions } from './states/disable-concurrent-execution.js';
export { latencyTimeout } from './states/latency-timeout.js';

export type {
  JobFilter,
  CandidateState,
  CreatingContext,
  CreatedContext,
  PerformingContext,
  PerformedContext,
  ElectStateContext,
  StateAppliedContext,
} from './states/filters.js';
export { NonRetryableError } from './states/automatic-retry.js';
export { FINAL_STATES, isFinal } from './states/states.js';

export { BackgroundJobServer } from './server/background-job-server.js';
export type { ServerOptions } from './server/server-options.js';

export type * from './storage/contract/index.js';
export { STATE_NAMES } from './storage/contract/index.js';
export { MemoryStorage } from './storage/memory/memory-storage.js';
export { SqliteStorage } from './storage/sqlite/sqlite-storage.js';
export { PostgresStorage, type PostgresStorageOptions } from './storage/postgres/index.js';
export { RedisStorage, type RedisStorageOptions } from './storage/redis/redis-storage.js';
export { storageFromUrl, type StorageFromUrlOptions } from './storage/from-url.js';

export {
  createDashboard,
  startDashboard,
  isLocalRequest,
  type Dashboard,
  type DashboardOptions,
  type StartDashboardOptions,
  type RunningDashboard,
  type DashboardAuthorize,
} from './dashboard/index.js';
export type { DashboardRequest } from './dashboard/index.js';
