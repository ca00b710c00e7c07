import type { Clock } from '../clock.js';
import { ValidationError } from '../errors.js';
import type { AnyJobDefinition } from '../jobs/define-job.js';
import { isJobDefinition } from '../jobs/define-job.js';
import { MAX_DURATION_MS, MAX_TIMER_MS, describe, parseDuration, type Duration } from '../jobs/duration.js';
import { checkQueueName } from '../jobs/names.js';
import type { Logger } from '../logger.js';
import type { JobFilter } from '../states/filters.js';
import { DEFAULT_RETENTION } from '../states/state-machine.js';
import { DEFAULT_JOB_LOG_LINES, type Storage } from '../storage/contract/index.js';
import type { RunObserver } from './run-observer.js';
import type { IsolationSettings } from './isolation/isolated-pool.js';
import {
  ADAPTIVE_PREFETCH_FACTOR,
  DEFAULT_EXPIRATION_CHECK_INTERVAL_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_LEASE_TIMEOUT_MS,
  DEFAULT_LIVENESS_CHECK_INTERVAL_MS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_QUEUES,
  DEFAULT_SCHEDULE_POLLING_INTERVAL_MS,
  DEFAULT_SERVER_CHECK_INTERVAL_MS,
  DEFAULT_SERVER_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  DEFAULT_STOP_TIMEOUT_MS,
  DEFAULT_WORKER_COUNT,
  MAX_ADAPTIVE_PREFETCH,
} from './defaults.js';
import type { WeightedQueue } from './queue-order.js';

/** Options of `BackgroundJobServer`. Every one has a default; durations take ms or `'30s'`. */
export interface ServerOptions {
  /** Default: `configure({ storage })`, else the embedded SQLite file `./kiln.db`. */
  storage?: Storage;
  /** The jobs this server runs. Default: every job registered by `defineJob` in this process. */
  jobs?: AnyJobDefinition[];
  /** Concurrent job slots. Default 20 (`DEFAULT_WORKER_COUNT`). */
  workerCount?: number;
  /**
   * Jobs claimed ahead of free slots and kept in a local queue, so a busy server fetches in large
   * batches (graphile-worker's local queue). They keep their leases and go back to their queue at
   * shutdown. Default: `workerCount` (so up to twice that many jobs are claimed per fetch),
   * growing by doubling up to `16 × workerCount` (at most 1,000) while the slots run out of jobs
   * before the next batch arrives, i.e. only while jobs finish faster than a round trip, and back
   * to `workerCount` when a claim finds the queues empty: slow jobs are never hoarded, fast ones
   * are claimed in batches large enough to keep the slots busy. A number given here is fixed;
   * use 0 to claim only as many jobs as there are free slots (fairest across many servers).
   */
  prefetch?: number;
  /**
   * Queues to take jobs from. Names (`['critical', 'default']`): in that order, strictly, so a
   * job of an earlier queue is always taken first (Hangfire's rule). Weighted
   * (`[{ name: 'critical', weight: 3 }, { name: 'default', weight: 1 }]`): each claim puts one
   * queue first, each in proportion to its weight, so a busy first queue cannot starve the others
   * (see `QueueOrder`). Within a queue jobs go by priority, then oldest first. Default `['default']`.
   */
  queues?: string[] | WeightedQueue[];
  /** How long a claimed job is invisible to other servers unless renewed. Default 30 s (`DEFAULT_LEASE_TIMEOUT_MS`). */
  leaseTimeout?: Duration;
  /** How often the server says it is alive and renews its jobs' leases. Default 5 s (`DEFAULT_HEARTBEAT_INTERVAL_MS`). */
  heartbeatInterval?: Duration;
  /**
   * Run the heartbeat and lease renewal in a worker thread with its own storage connection, so a
   * job that blocks the event loop (a CPU-bound loop, a long synchronous parse) keeps its lease
   * and its server stays alive. Default true; it takes effect when the storage can describe how
   * to open it again (`Storage.describe()`: SQLite, and Postgres and Redis built from a URL or
   * plain options), otherwise the heartbeat runs on the main thread. A job's `timeout` cannot
   * interrupt a blocked event loop either way: give such jobs `isolation` (docs/jobs.md).
   */
  heartbeatThread?: boolean;
  /** A server silent this long is declared dead and its jobs requeued. Default 30 s (`DEFAULT_SERVER_TIMEOUT_MS`). */
  serverTimeout?: Duration;
  /** How often servers silent past `serverTimeout` and expired leases are looked for. Default 5 s (`DEFAULT_SERVER_CHECK_INTERVAL_MS`). */
  serverCheckInterval?: Duration;
  /**
   * How often the other servers' liveness marks are checked: a server whose process died is
   * found by the next check, and its jobs requeued at once, with no timeout to wait for (see
   * `Storage.holdLiveness`). Default 1 s (`DEFAULT_LIVENESS_CHECK_INTERVAL_MS`).
   */
  livenessCheckInterval?: Duration;
  /**
   * Correct this server's clock (the system clock, or `clock`) by its measured offset to the
   * storage's clock, on storages that have one (Postgres, Redis), so servers whose clocks disagree
   * still agree on due times, leases and cron occurrences. Measured at start and every heartbeat;
   * clients in this process on the same storage and clock share the correction. Default true;
   * false for a test that drives time with a fake `clock` on Postgres or Redis.
   */
  clockCorrection?: boolean;
  /** How often an idle server polls for jobs when no wake-up arrives. Default 1 s (`DEFAULT_POLL_INTERVAL_MS`). */
  pollInterval?: Duration;
  /**
   * How often the delayed and recurring schedulers and the continuation dispatcher look for work
   * (they also set a timer for the next due job). Default 1 s (`DEFAULT_SCHEDULE_POLLING_INTERVAL_MS`; Hangfire: 15 s).
   */
  schedulePollingInterval?: Duration;
  /** How often expired jobs are deleted. Default 5 min (`DEFAULT_EXPIRATION_CHECK_INTERVAL_MS`). */
  expirationCheckInterval?: Duration;
  /** At shutdown, how long running jobs may finish before their signal is aborted. Default 0.5 s (`DEFAULT_STOP_TIMEOUT_MS`), as Hangfire. */
  stopTimeout?: Duration;
  /** At shutdown, how long to wait for running jobs in all. Default 15 s (`DEFAULT_SHUTDOWN_TIMEOUT_MS`), as Hangfire. */
  shutdownTimeout?: Duration;
  /** Handle SIGINT and SIGTERM with a graceful `dispose()`, then let the signal end the process. Default false. */
  handleSignals?: boolean;
  /**
   * How many times one attempt of a job may end without a result — its server crashed, or it
   * lost its lease — before the next run is refused and the attempt fails with "its runs kept
   * ending without a result", after which its retry policy applies. Each backend's lease and
   * dead-server recovery counts these in the job's `interruptions` parameter (a graceful
   * shutdown's requeue does not count). Default 3: BullMQ's `maxStalledCount` is 1, but a
   * Kiln server's deploys and OOM kills take every job running with them, so a job that merely
   * shared a process with a crasher needs room to finish; 3 still stops a job that kills its
   * process (`process.exit`, an unhandled rejection) from taking the server, and the 19 jobs
   * beside it, down forever. 0 fails a job at the first re-run after an interruption.
   */
  maxInterruptions?: number;
  /**
   * Lines of `ctx.logger` kept per job as its job log (shown on the dashboard, returned by
   * `JobClient.get`); older lines are dropped and counted. Default 1,000 (`DEFAULT_JOB_LOG_LINES`);
   * 0 keeps none (lines still go to the server's logger). At most 100,000.
   */
  jobLogLines?: number;
  /**
   * The pools of isolated jobs (`defineJob({ isolation: 'worker' | 'process', module })`):
   * `poolSize`, the most worker threads and the most child processes alive at once (default
   * `workerCount`; a job beyond that waits for one, holding its slot), and `memoryLimitMb`, each
   * one's heap limit in MiB (default: Node's own; a job that needs more fails with "out of
   * memory" and is retried). Started on first use, reused, ended by `dispose()`.
   */
  isolation?: { poolSize?: number; memoryLimitMb?: number };
  /** Server filters, after the global ones and before each job's own. */
  filters?: JobFilter[];
  /** How long final jobs are kept: `{ succeeded: '1d', deleted: '1d' }` (defaults, `DEFAULT_RETENTION`, as Hangfire). */
  retention?: { succeeded?: Duration; deleted?: Duration };
  /** A name for people (dashboard, logs). Default `host:pid`. */
  name?: string;
  /**
   * What follows every job run: Prometheus metrics (`kilnMetrics()` from `kilnjs/metrics`) or
   * your own `RunObserver`. Default none: a server without observers does nothing extra per job.
   */
  observers?: RunObserver[];
  /**
   * OpenTelemetry: a consumer span around each run, continuing the trace its job was enqueued in
   * (docs/observability.md). Default true; it costs nothing until the application registers an
   * OpenTelemetry SDK. False: no span is made even then.
   */
  tracing?: boolean;
  logger?: Logger;
  /** For tests. */
  clock?: Clock;
}

/**
 * The options with their defaults filled in. A duration option keeps its public name with an
 * `Ms` suffix (`pollInterval` → `pollIntervalMs`), here and in the process that uses it.
 */
export interface ResolvedServerOptions {
  jobs: AnyJobDefinition[] | undefined;
  workerCount: number;
  prefetch: number;
  /** The most the prefetch grows to while slots starve: `prefetch` itself when it was given. */
  maxPrefetch: number;
  /** The queue names, in the order given. */
  queues: string[];
  /** Their weights in the weighted mode, in the same order; undefined in the strict mode. */
  queueWeights: number[] | undefined;
  leaseTimeoutMs: number;
  heartbeatIntervalMs: number;
  heartbeatThread: boolean;
  serverTimeoutMs: number;
  serverCheckIntervalMs: number;
  livenessCheckIntervalMs: number;
  clockCorrection: boolean;
  pollIntervalMs: number;
  schedulePollingIntervalMs: number;
  expirationCheckIntervalMs: number;
  stopTimeoutMs: number;
  shutdownTimeoutMs: number;
  handleSignals: boolean;
  maxInterruptions: number;
  jobLogLines: number;
  filters: JobFilter[];
  retention: { succeeded: number; deleted: number };
  observers: RunObserver[];
  tracing: boolean;
  isolation: IsolationSettings;
}

export function resolveServerOptions(o: ServerOptions): ResolvedServerOptions {
  if (typeof o !== 'object' || o === null) throw new ValidationError('options', 'must be an object');
  // Every server duration drives a timer (or a lease renewed by one): at most 2³¹−1 ms, which
  // Node would otherwise turn into 1 ms. Retention is a time to add, not a timer.
  const d = (value: Duration | undefined, field: string, fallback: number, min = 1, max = MAX_TIMER_MS): number =>
    value === undefined ? fallback : parseDuration(value, field, { min, max });
  const workerCount = o.workerCount ?? DEFAULT_WORKER_COUNT;
  if (!Number.isInteger(workerCount) || workerCount < 1 || workerCount > 10_000) {
    throw new ValidationError('workerCount', `must be a whole number from 1 to 10000, got ${String(workerCount)}`);
  }
  const prefetch = o.prefetch ?? workerCount;
  if (!Number.isInteger(prefetch) || prefetch < 0 || prefetch > 100_000) {
    throw new ValidationError('prefetch', `must be a whole number from 0 to 100000, got ${String(prefetch)}`);
  }
  const maxPrefetch =
    o.prefetch === undefined ? Math.max(prefetch, Math.min(ADAPTIVE_PREFETCH_FACTOR * workerCount, MAX_ADAPTIVE_PREFETCH)) : prefetch;
  const { queues, queueWeights } = resolveQueues(o.queues ?? DEFAULT_QUEUES);
  if (o.jobs !== undefined) {
    if (!Array.isArray(o.jobs)) throw new ValidationError('jobs', 'must be an array of jobs made by defineJob()');
    o.jobs.forEach((j, i) => {
      if (!isJobDefinition(j)) throw new ValidationError(`jobs[${i}]`, 'must be a job made by defineJob()');
    });
  }
  if (o.filters !== undefined && !Array.isArray(o.filters)) throw new ValidationError('filters', 'must be an array');
  if (o.observers !== undefined) {
    if (!Array.isArray(o.observers)) throw new ValidationError('observers', 'must be an array of run observers');
    o.observers.forEach((x: unknown, i) => {
      if (typeof (x as Partial<RunObserver> | null)?.observeRun !== 'function') {
        throw new ValidationError(`observers[${i}]`, 'must be a RunObserver (an object with an observeRun method), e.g. kilnMetrics()');
      }
    });
  }
  if (o.tracing !== undefined && typeof o.tracing !== 'boolean') throw new ValidationError('tracing', 'must be true or false');
  const leaseTimeoutMs = d(o.leaseTimeout, 'leaseTimeout', DEFAULT_LEASE_TIMEOUT_MS, 100);
  const heartbeatIntervalMs = d(o.heartbeatInterval, 'heartbeatInterval', DEFAULT_HEARTBEAT_INTERVAL_MS, 10);
  if (heartbeatIntervalMs >= leaseTimeoutMs) throw new ValidationError('heartbeatInterval', `must be shorter than leaseTimeout (${leaseTimeoutMs} ms), or leases expire while jobs run`);
  const serverTimeoutMs = d(o.serverTimeout, 'serverTimeout', DEFAULT_SERVER_TIMEOUT_MS, 100);
  if (heartbeatIntervalMs >= serverTimeoutMs) throw new ValidationError('serverTimeout', `must be longer than heartbeatInterval (${heartbeatIntervalMs} ms)`);
  if (o.heartbeatThread !== undefined && typeof o.heartbeatThread !== 'boolean') {
    throw new ValidationError('heartbeatThread', `must be true or false, got ${String(o.heartbeatThread)}`);
  }
  const maxInterruptions = o.maxInterruptions ?? 3;
  if (!Number.isInteger(maxInterruptions) || maxInterruptions < 0 || maxInterruptions > 1000) {
    throw new ValidationError('maxInterruptions', `must be a whole number from 0 to 1000, got ${String(maxInterruptions)}`);
  }
  const jobLogLines = o.jobLogLines ?? DEFAULT_JOB_LOG_LINES;
  if (!Number.isInteger(jobLogLines) || jobLogLines < 0 || jobLogLines > 100_000) {
    throw new ValidationError('jobLogLines', `must be a whole number from 0 to 100000, got ${String(jobLogLines)}`);
  }
  const isolation = resolveIsolation(o.isolation, workerCount);
  const stopTimeoutMs = d(o.stopTimeout, 'stopTimeout', DEFAULT_STOP_TIMEOUT_MS, 0);
  const shutdownTimeoutMs = d(o.shutdownTimeout, 'shutdownTimeout', DEFAULT_SHUTDOWN_TIMEOUT_MS, 0);
  if (stopTimeoutMs > shutdownTimeoutMs) throw new ValidationError('stopTimeout', 'must not be longer than shutdownTimeout');
  return {
    jobs: o.jobs,
    workerCount,
    prefetch,
    maxPrefetch,
    queues,
    queueWeights,
    leaseTimeoutMs,
    heartbeatIntervalMs,
    heartbeatThread: o.heartbeatThread ?? true,
    serverTimeoutMs,
    serverCheckIntervalMs: d(o.serverCheckInterval, 'serverCheckInterval', DEFAULT_SERVER_CHECK_INTERVAL_MS, 10),
    livenessCheckIntervalMs: d(o.livenessCheckInterval, 'livenessCheckInterval', DEFAULT_LIVENESS_CHECK_INTERVAL_MS, 10),
    clockCorrection: flag(o.clockCorrection, 'clockCorrection', true),
    pollIntervalMs: d(o.pollInterval, 'pollInterval', DEFAULT_POLL_INTERVAL_MS, 1),
    schedulePollingIntervalMs: d(o.schedulePollingInterval, 'schedulePollingInterval', DEFAULT_SCHEDULE_POLLING_INTERVAL_MS, 1),
    expirationCheckIntervalMs: d(o.expirationCheckInterval, 'expirationCheckInterval', DEFAULT_EXPIRATION_CHECK_INTERVAL_MS, 10),
    stopTimeoutMs,
    shutdownTimeoutMs,
    handleSignals: o.handleSignals ?? false,
    maxInterruptions,
    jobLogLines,
    filters: o.filters ?? [],
    observers: [...(o.observers ?? [])],
    tracing: o.tracing ?? true,
    isolation,
    retention: {
      succeeded: d(o.retention?.succeeded, 'retention.succeeded', DEFAULT_RETENTION.succeeded, 0, MAX_DURATION_MS),
      deleted: d(o.retention?.deleted, 'retention.deleted', DEFAULT_RETENTION.deleted, 0, MAX_DURATION_MS),
    },
  };
}

function flag(value: boolean | undefined, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ValidationError(field, `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** The `queues` option: names in order, or `{ name, weight }` entries (all one kind). */
function resolveQueues(value: unknown): { queues: string[]; queueWeights: number[] | undefined } {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ValidationError('queues', "must be a non-empty array of queue names, or of { name, weight } for the weighted mode");
  }
  const weighted = typeof value[0] === 'object' && value[0] !== null;
  const queues: string[] = [];
  const weights: number[] = [];
  value.forEach((q: unknown, i) => {
    if (weighted !== (typeof q === 'object' && q !== null)) {
      throw new ValidationError(`queues[${i}]`, 'must be of one kind with the others: all names, or all { name, weight }');
    }
    if (!weighted) {
      queues.push(checkQueueName(q, `queues[${i}]`));
      return;
    }
    const { name, weight } = q as Partial<WeightedQueue>;
    queues.push(checkQueueName(name, `queues[${i}].name`));
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1 || weight > 1000) {
      throw new ValidationError(`queues[${i}].weight`, `must be a whole number from 1 to 1000, got ${describe(weight)}`);
    }
    weights.push(weight);
  });
  if (new Set(queues).size !== queues.length) throw new ValidationError('queues', 'must not name a queue twice');
  return { queues, queueWeights: weighted ? weights : undefined };
}

function resolveIsolation(o: ServerOptions['isolation'], workerCount: number): IsolationSettings {
  if (o === undefined) return { poolSize: workerCount, memoryLimitMb: undefined };
  if (typeof o !== 'object' || o === null) throw new ValidationError('isolation', 'must be an object: { poolSize?, memoryLimitMb? }');
  const poolSize = o.poolSize ?? workerCount;
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 10_000) {
    throw new ValidationError('isolation.poolSize', `must be a whole number from 1 to 10000, got ${String(poolSize)}`);
  }
  const memoryLimitMb = o.memoryLimitMb;
  // Below 16 MiB V8 cannot even start a context.
  if (memoryLimitMb !== undefined && (!Number.isInteger(memoryLimitMb) || memoryLimitMb < 16 || memoryLimitMb > 1_048_576)) {
    throw new ValidationError('isolation.memoryLimitMb', `must be a whole number of MiB from 16 to 1048576, got ${String(memoryLimitMb)}`);
  }
  return { poolSize, memoryLimitMb };
}
