import { KilnError, describeError, errorMessage } from '../errors.js';
import { fromJsonText, resultText, validateWithSchema } from '../jobs/args.js';
import type { JobContext } from '../jobs/context.js';
import type { AnyJobDefinition } from '../jobs/define-job.js';
import type { Logger } from '../logger.js';
import { NonRetryableError } from '../states/automatic-retry.js';
import { orderFilters, type CandidateState, type JobFilter } from '../states/filters.js';
import type { StateMachine } from '../states/state-machine.js';
import { INTERRUPTIONS_PARAMETER, type JobRecord, type Json, type StateName, type Storage, type TransitionChange } from '../storage/contract/index.js';
import type { Clock } from '../clock.js';
import type { JobLogWriter } from './job-log-writer.js';
import { RunContext } from './run-context.js';
import type { ObservedRun } from './run-observer.js';
import type { RunningJob } from './running-job.js';

export { RunningJob, type AbortCause } from './running-job.js';

const PROCESSING: StateName[] = ['processing'];

export interface RunnerDeps {
  serverId: string;
  storage: Storage;
  states: StateMachine;
  clock: Clock;
  logger: Logger;
  /** Finds the code of a job by name. */
  resolve(name: string): AnyJobDefinition | undefined;
  /** Global and server filters, before each definition's own. */
  filters: readonly JobFilter[];
  /** A job whose `interruptions` parameter is above this is failed instead of run (`ServerOptions.maxInterruptions`). */
  maxInterruptions: number;
  /** Keeps `ctx.logger` lines as job logs; undefined when `ServerOptions.jobLogLines` is 0. */
  logs: JobLogWriter | undefined;
  /**
   * Where to put the change that ends the run. The server's completer takes it and writes it in
   * a batch later: the slot is free at once, not after a storage round trip.
   */
  complete(change: TransitionChange, filters: readonly JobFilter[]): void;
  /**
   * Follows each run for the server's observers (metrics, tracing); undefined when there are none,
   * and then a run costs nothing more (see `observeRuns`).
   */
  observe?: ((job: JobRecord) => ObservedRun | undefined) | undefined;
}

/** How a run ends: the change to write (none when the job was taken away) and the filters that hear of it. */
interface Outcome {
  change: TransitionChange | undefined;
  filters: readonly JobFilter[];
  /** What the attempt failed with, when it failed. */
  error?: unknown;
}

/**
 * Runs one fetched job to its end and hands the resulting state change to the completer:
 * `succeeded` with the result; `failed` (turned into a retry by the elect filters); back to
 * `enqueued` when the server's shutdown interrupted it (not a failure, the attempt unchanged);
 * nothing when the job was taken away while running (deleted, requeued, lease lost).
 *
 * Whatever the job does — throw any value, return something JSON cannot hold, report bad progress
 * — the run ends in a state change: never does a job stay `processing` because describing its
 * end failed. Should Kiln's own code around the job fail, the job is failed with that reason.
 */
export async function runJob(running: RunningJob, deps: RunnerDeps): Promise<void> {
  const observed = deps.observe?.(running.job);
  let outcome: Outcome;
  try {
    outcome = await (observed?.wraps ? observed.run(() => settle(running, deps)) : settle(running, deps));
  } catch (e) {
    const { job } = running;
    const reason = `Kiln failed while ending this run: ${errorMessage(e)}`;
    deps.logger.error(reason, { jobId: job.id });
    const candidate: CandidateState = { state: { name: 'failed', reason, at: deps.clock.now(), data: { error: reason, type: 'InternalError' } } };
    outcome = { change: deps.states.change(job.id, candidate, { states: PROCESSING, serverId: deps.serverId }), filters: deps.filters, error: e };
  }
  observed?.end(outcome.change, outcome.error);
  if (outcome.change) deps.complete(outcome.change, outcome.filters);
}

async function settle(running: RunningJob, deps: RunnerDeps): Promise<Outcome> {
  const { job } = running;
  const expect = { states: PROCESSING, serverId: deps.serverId };
  const definition = deps.resolve(job.name);
  const filters = definition ? pipelineFor(definition, deps.filters) : deps.filters;
  const startedAt = deps.clock.now();
  /** `data.error` is the error's own message (the reason adds its type), as the dashboard shows it. */
  const failed = async (reason: string, type: string, error: unknown, stack = '', message = reason): Promise<Outcome> => {
    const candidate: CandidateState = { state: { name: 'failed', reason, at: deps.clock.now(), data: { error: message, type, stack } } };
    return { change: await deps.states.elect(job, candidate, expect, filters, error), filters, error };
  };

  if (!definition) {
    const reason = `Unknown job '${job.name}': no definition with this name is registered on server ${deps.serverId}. Requeue it once a server that knows it runs.`;
    deps.logger.error(reason, { jobId: job.id });
    return failed(reason, 'UnknownJob', new NonRetryableError(reason));
  }
  const interruptions = job.parameters[INTERRUPTIONS_PARAMETER];
  if (typeof interruptions === 'number' && interruptions > deps.maxInterruptions) {
    const reason = `Its runs kept ending without a result (server crashed or lost its lease ${interruptions} times)`;
    deps.logger.warn(`${reason}; not run again (maxInterruptions ${deps.maxInterruptions})`, { jobId: job.id });
    return failed(reason, 'Interrupted', new KilnError(reason));
  }

  const context = new RunContext(running, deps.serverId, deps.storage, deps.logger, deps.clock, deps.logs);
  const timer =
    definition.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          running.cause ??= 'timeout';
          running.abort(new Error(`Job timed out after ${definition.timeoutMs} ms`));
        }, definition.timeoutMs);

  let result: string | undefined;
  let error: unknown;
  try {
    let args: unknown = fromJsonText(job.args);
    if (definition.schema) {
      try {
        args = await validateWithSchema(definition.schema, args, 'args');
      } catch (e) {
        throw new NonRetryableError(`Stored arguments fail the job's schema: ${errorMessage(e)}`);
      }
    }
    let canceled: string | undefined;
    for (const f of filters) {
      if (!f.onPerforming) continue;
      await f.onPerforming({ job, context, storage: deps.storage, now: deps.clock.now(), clock: deps.clock, cancel: (reason) => (canceled = reason) });
      if (canceled !== undefined) break;
    }
    if (canceled !== undefined) {
      clearTimeout(timer);
      const candidate: CandidateState = { state: { name: 'deleted', reason: `Canceled by a filter: ${canceled}`, at: deps.clock.now() } };
      return { change: await deps.states.elect(job, candidate, expect, filters), filters };
    }
    const value = await (definition.run as (a: unknown, c: JobContext) => unknown)(args, context);
    const r = resultText(value);
    if (r.problem !== undefined) throw new ResultNotStorableError(`The job's result cannot be stored: ${r.problem}`);
    result = r.text;
  } catch (e) {
    error = e;
  } finally {
    clearTimeout(timer);
  }

  await context.flushProgress();
  for (const f of filters) {
    if (!f.onPerformed) continue;
    try {
      await f.onPerformed(
        result !== undefined ? { job, context, storage: deps.storage, result: JSON.parse(result) as Json } : { job, context, storage: deps.storage, error },
      );
    } catch (e) {
      context.logger.error(`server filter ${f.name ?? '(anonymous)'} threw in onPerformed`, { error: errorMessage(e) });
    }
  }

  const now = deps.clock.now();
  if (result !== undefined) {
    const change = await deps.states.elect(job, { state: { name: 'succeeded', reason: 'Completed', at: now, data: { duration: now - startedAt } } }, expect, filters);
    change.result = result;
    return { change, filters };
  }
  if (running.cause === 'shutdown') {
    context.logger.info('interrupted by server shutdown; requeued');
    return { change: deps.states.change(job.id, { state: { name: 'enqueued', reason: 'Server shutting down: interrupted and requeued', at: now } }, expect), filters };
  }
  if (running.cause === 'taken-away') {
    context.logger.info('stopped: the job was deleted, requeued or its lease was lost while it ran');
    return { change: undefined, filters };
  }
  if (running.cause === 'timeout') {
    const reason = `Timed out after ${definition.timeoutMs} ms`;
    context.logger.warn(`failed: ${reason}`);
    return failed(reason, 'Timeout', error, describeError(error).stack, describeError(error).message);
  }
  const described = describeError(error);
  const reason = failureReason(error, described.type, described.message);
  context.logger.warn(`failed: ${reason}`);
  const type = error instanceof ResultNotStorableError ? 'ResultNotJson' : described.type;
  return failed(reason, type, error, described.stack, described.message);
}

/** The attempt returned a value JSON cannot hold (see `resultText`). */
class ResultNotStorableError extends KilnError {
  override name = 'ResultNotStorableError';
}

/** `TypeError: message` for errors; for anything else thrown, what it was. */
function failureReason(error: unknown, type: string, message: string): string {
  if (error instanceof ResultNotStorableError) return message;
  if (error instanceof Error) return `${type}: ${message}`;
  if (error === null || error === undefined) return `Threw ${type} (not an Error)`;
  return `Threw a non-Error ${type}: ${message}`;
}

const pipelines = new WeakMap<AnyJobDefinition, { base: readonly JobFilter[]; filters: JobFilter[] }>();

/** The ordered filters for a job type: the server's (global first) and the job's own, sorted by `order`. Cached. */
function pipelineFor(definition: AnyJobDefinition, base: readonly JobFilter[]): readonly JobFilter[] {
  if (definition.filters.length === 0) return base;
  const cached = pipelines.get(definition);
  if (cached && cached.base === base) return cached.filters;
  const filters = orderFilters(base, definition.filters);
  pipelines.set(definition, { base, filters });
  return filters;
}
