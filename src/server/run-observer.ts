import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JobRecord, MonitoringApi, TransitionChange } from '../storage/contract/index.js';

/**
 * How a run ended, as its server saw it when the job's code was done (before the change is
 * written, so a change that no longer applies — the job was deleted meanwhile — still counts):
 *
 * - `succeeded`: the job returned a result.
 * - `retried`: the attempt failed and a retry follows (the retry filter scheduled it).
 * - `failed`: the attempt failed and no retry follows: the job is `failed`, or `deleted` by a
 *   retry policy with `onAttemptsExceeded: 'delete'`.
 * - `deleted`: a filter canceled the run (`onPerforming`), or elected `deleted` without a failure.
 * - `interrupted`: the server's shutdown stopped it; it is back in its queue, attempt unchanged.
 * - `taken-away`: the job was deleted, requeued or its lease lost while it ran; nothing is written.
 */
export type RunOutcome = 'succeeded' | 'retried' | 'failed' | 'deleted' | 'interrupted' | 'taken-away';

/** What an observer hears when a run ended. */
export interface RunEnd {
  /** The job as it was claimed (its state is `processing`). */
  job: JobRecord;
  outcome: RunOutcome;
  /**
   * For `retried` and `failed`: what the job threw (any value), or the error Kiln failed the run
   * with (an unknown job, a timeout, a result that cannot be stored).
   */
  error: unknown;
  /** For `retried` and `failed`: the failure's reason, as the job's history records it. */
  reason: string | undefined;
  /** The state change ending the run; undefined for `taken-away`. */
  change: TransitionChange | undefined;
  /** From the job's start in its slot to the end of its run, ms (`performance.now()`'s clock). */
  durationMs: number;
}

/** One run, as one observer follows it. */
export interface RunObservation {
  /**
   * Runs the job inside whatever this observer needs around it (tracing: the run's span as the
   * active context, so spans the job makes are its children). Call `run` once, synchronously,
   * and return what it returns. Optional.
   */
  around?(run: () => Promise<unknown>): unknown;
  /**
   * Told once, when the run ended. Must be cheap: it is on every job's path. `end` carries the job
   * and the duration, so one observation object may serve every run.
   */
  end(end: RunEnd): void;
}

/** What an observer may read of the server it watches. */
export interface ObservedServer {
  readonly id: string;
  /** The server's name for people: `host:pid` by default. */
  readonly name: string;
  readonly workerCount: number;
  /** Jobs running now (busy slots). */
  readonly runningCount: number;
  readonly queues: readonly string[];
  /** The storage it runs jobs from (metrics read queue depths from it when given none). */
  readonly storage: MonitoringApi;
}

/**
 * Something that follows a server's job runs: Prometheus metrics (`kilnMetrics()` from
 * `kilnjs/metrics`) and OpenTelemetry tracing implement it; pass one in `ServerOptions.observers`.
 *
 * The server calls `observeRun` as each job starts in a slot, and the observation's `end` once
 * the run is over. Both are on every job's path, so keep them cheap; a server without observers
 * calls nothing. An observer that throws is logged and ignored: the job runs and ends as without it.
 */
export interface RunObserver {
  /** A job is starting on `server`: how to follow its run, or undefined to leave it alone. */
  observeRun(job: JobRecord, server: ObservedServer): RunObservation | undefined;
  /** The server started (it is announced and fetching). */
  serverStarted?(server: ObservedServer): void;
  /** The server stopped (after its last completions were written). */
  serverStopped?(server: ObservedServer): void;
}

/** Classifies the change that ends a run (see `RunOutcome`). */
export function outcomeOf(change: TransitionChange | undefined): RunOutcome {
  if (!change) return 'taken-away';
  const to = change.to.name;
  if (to === 'succeeded') return 'succeeded';
  if (to === 'failed') return 'failed';
  const failedFirst = change.passedThrough?.some((s) => s.name === 'failed') === true;
  if (to === 'deleted') return failedFirst ? 'failed' : 'deleted';
  return failedFirst ? 'retried' : 'interrupted';
}

/** The reason of the failed state a `failed` or `retried` run passed through. */
function failureReason(change: TransitionChange | undefined): string | undefined {
  if (change?.to.name === 'failed') return change.to.reason;
  return change?.passedThrough?.find((s) => s.name === 'failed')?.reason;
}

/**
 * The function the job runner calls as each job starts: undefined when there is no observer (the
 * runner then does nothing extra), else one that asks each observer and combines the answers.
 * Observers' errors are logged and never reach the run.
 */
export function observeRuns(
  observers: readonly RunObserver[],
  server: ObservedServer,
  logger: Logger,
): ((job: JobRecord) => ObservedRun | undefined) | undefined {
  if (observers.length === 0) return undefined;
  return (job) => {
    let first: RunObservation | undefined;
    let more: RunObservation[] | undefined;
    for (const o of observers) {
      let observation: RunObservation | undefined;
      try {
        observation = o.observeRun(job, server);
      } catch (e) {
        observerFailed(logger, 'observeRun', e, job);
      }
      if (!observation) continue;
      if (!first) first = observation;
      else (more ??= []).push(observation);
    }
    return first ? new ObservedRun(job, first, more, logger) : undefined;
  };
}

function observerFailed(logger: Logger, what: string, e: unknown, job: JobRecord): void {
  logger.error(`a run observer threw in ${what}; ignored`, { jobId: job.id, error: errorMessage(e) });
}

/**
 * One run as the job runner follows it: every observation of it. A class, one object per run: an
 * observer may return the same observation for every run (metrics do), and then following a run
 * allocates this object and its `RunEnd`, nothing else.
 */
export class ObservedRun {
  private readonly began = performance.now();
  /** Whether some observation runs the job inside its own `around`. */
  readonly wraps: boolean;

  constructor(
    private readonly job: JobRecord,
    private readonly first: RunObservation,
    private readonly more: RunObservation[] | undefined,
    private readonly logger: Logger,
  ) {
    this.wraps = first.around !== undefined || (more?.some((o) => o.around !== undefined) ?? false);
  }

  /** Runs `settle` inside every observation's `around` (the first outermost); returns its promise. */
  run<T>(settle: () => Promise<T>): Promise<T> {
    let inner = settle;
    for (const o of this.more ? [this.first, ...this.more].reverse() : [this.first]) {
      if (!o.around) continue;
      const next = inner;
      inner = () => aroundSafely(o, next, (e) => observerFailed(this.logger, 'around', e, this.job));
    }
    return inner();
  }

  /** Tells every observation how the run ended. */
  end(change: TransitionChange | undefined, error: unknown): void {
    const outcome = outcomeOf(change);
    const failed = outcome === 'failed' || outcome === 'retried';
    const end: RunEnd = {
      job: this.job,
      outcome,
      error: failed ? error : undefined,
      reason: failed ? failureReason(change) : undefined,
      change,
      durationMs: performance.now() - this.began,
    };
    this.tell(this.first, end);
    if (this.more) for (const o of this.more) this.tell(o, end);
  }

  private tell(o: RunObservation, end: RunEnd): void {
    try {
      o.end(end);
    } catch (e) {
      observerFailed(this.logger, 'end', e, this.job);
    }
  }
}

/**
 * Runs `next` inside `o.around`, whatever `around` does: `next` runs exactly once and its promise
 * is what the run waits for, even if `around` throws, never calls it, or returns something else.
 */
function aroundSafely<T>(o: RunObservation, next: () => Promise<T>, onError: (e: unknown) => void): Promise<T> {
  let ran: Promise<T> | undefined;
  try {
    o.around!(() => (ran ??= next()));
  } catch (e) {
    onError(e);
  }
  return ran ?? next();
}
