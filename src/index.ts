// Kiln's public API, the engine: re-exports only. Each backend and the dashboard are entry points
// of their own (package.json `exports`: ./memory, ./sqlite, ./postgres, ./redis, ./dashboard).
export { configure, type KilnConfig } from './config.js';
export {
  KilnError,
  ValidationError,
  JobCreationCanceledError,
  DuplicateJobError,
  StorageFullError,
  JobFailedError,
  JobNotFoundError,
  WaitTimeoutError,
  describeError,
  errorMessage,
  type ErrorDescription,
} from './errors.js';
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
  type JobIsolation,
  type ArgsOf,
} from './jobs/define-job.js';
export type { JobContext } from './jobs/context.js';
export type { Duration } from './jobs/duration.js';
export { hangfireBackoffMs, type RetryOptions } from './jobs/retry-policy.js';
export type { EnqueueOptions, ScheduleWhen } from './jobs/job-options.js';

export { JobClient, type JobClientOptions, type JobWithLogs, type StateCondition } from './client/job-client.js';
export { JobEvents, type JobEventHandlers } from './client/job-events.js';
export type { WaitForOptions } from './client/wait-for.js';
export { RecurringJobs, type RecurringOptions, type RecurringJobInfo } from './client/recurring-jobs.js';
export { Queues, type QueueInfo, type QueueLimitOptions } from './client/queues.js';
export type { ConcurrencyOptions, RateLimitOptions } from './jobs/flow-control.js';
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
export type { RunObserver, RunObservation, RunEnd, RunOutcome, ObservedServer } from './server/run-observer.js';
export type { ServerHealth, StorageHealth, ServerStatus, HealthCheckOptions, MetricsSource } from './server/health.js';
export { serveHealth, type HealthEndpointOptions, type HealthSource, type RunningHealthEndpoint } from './server/health-endpoint.js';
export { TRACE_CONTEXT_PARAMETER } from './tracing/tracer.js';

export type * from './storage/contract/index.js';
export {
  STATE_NAMES,
  MIN_PRIORITY,
  MAX_PRIORITY,
  DEFAULT_PRIORITY,
  MAX_LIMIT,
  MAX_RATE_WINDOW_MS,
  JOB_EVENT_TYPES,
  JOB_LOG_LEVELS,
  DEFAULT_JOB_LOG_LINES,
  MAX_JOB_LOG_PAGE,
  MAX_JOB_LOG_MESSAGE,
  MAX_JOB_LOG_FIELDS_BYTES,
  MAX_EVENT_VALUE_BYTES,
} from './storage/contract/index.js';

// The two backends that need no server and load no optional package: the in-process store and
// the embedded default (better-sqlite3, a dependency, is loaded when a database is first opened).
// Postgres, Redis and the dashboard load `pg`, `ioredis` and `hono`, so they have their own entry
// points: `kilnjs/postgres`, `kilnjs/redis`, `kilnjs/dashboard`. Importing this file loads none
// of those (test/packaging/root-import.test.ts).
export { MemoryStorage } from './storage/memory/index.js';
export { SqliteStorage, type SqliteStorageOptions } from './storage/sqlite/index.js';
export { storageFromUrl, type StorageFromUrlOptions } from './storage/from-url.js';
