import { fromJsonText, validateWithSchema } from '../jobs/args.js';
import type { JobContext } from '../jobs/context.js';
import type { AnyJobDefinition } from '../jobs/define-job.js';
import type { Logger } from '../logger.js';
import { NonRetryableError } from '../states/automatic-retry.js';
import { orderFilters, type CandidateState, type JobFilter } from '../states/filters.js';
import type { StateMachine } from '../states/state-machine.js';
import type { Json, JobRecord, StateName, Storage, TransitionChange } from '../storage/contract/index.js';
import type { Clock } from '../clock.js';
import { RunContext } from './run-context.js';

/** Why a running job's signal was aborted. */
export type AbortCause = 'shutdown' | 'taken-away' | 'timeout';

/**
 * A job held by a worker slot. Its `AbortController` is made only when someone reads `signal`
 * (most jobs never do, and creating one costs more than running a no-op job); an abort that comes
 * first is kept and the signal is then born aborted with its reason, which job code cannot tell
 * apart from a controller made up front.
 */
export class RunningJob {
  cause: AbortCause | undefined;
  private controller: AbortController | undefined;
  private reason: Error | undefined;

  constructor(readonly job: JobRecord) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Aborts the signal (the first reason wins, as with `AbortController`). */
  abort(reason: Error): void {
    if (this.controller) this.controller.abort(reason);
    else this.reason ??= reason;
  }
}

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
  /**
   * Where to put the change that ends the run. The server's completer takes it and writes it in
   * a batch later: the slot is free at once, not after a storage round trip.
   */
  complete(change: TransitionChange, filters: readonly JobFilter[]): void;
}

/**
 * Runs one fetched job to its end and hands the resulting state change to the completer:
 * `succeeded` with the result; `failed` (turned into a retry by the elect filters); back to
 * `enqueued` when the server's shutdown interrupted it (not a failure, the attempt unchanged);
 * nothing when the job was taken away while running (deleted, requeued, lease lost).
 */
export async function runJob(running: RunningJob, deps: RunnerDeps): Promise<void> {
  const { job } = running;
  const expect = { states: PROCESSING, serverId: deps.serverId };
  const definition = deps.resolve(job.name);
  const filters = definition ? pipelineFor(definition, deps.filters) : deps.filters;
  const startedAt = deps.clock.now();

  if (!definition) {
    const reason = `Unknown job '${job.name}': no definition with this name is registered on server ${deps.serverId}. Requeue it once a server that knows it runs.`;
    deps.logger.error(reason, { jobId: job.id });
    await finish(deps, job, { state: { name: 'failed', reason, at: startedAt, data: { error: reason, type: 'UnknownJob' } } }, expect, filters, new NonRetryableError(reason));
    return;
  }

  const context = new RunContext(running, deps.serverId, deps.storage, deps.logger);
  const timer =
    definition.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          running.cause ??= 'timeout';
          running.abort(new Error(`Job timed out after ${definition.timeoutMs} ms`));
        }, definition.timeoutMs);

  let result: Json = null;
  let error: unknown;
  let ok = false;
  try {
    let args: unknown = fromJsonText(job.args);
    if (definition.schema) {
      try {
        args = await validateWithSchema(definition.schema, args, 'args');
      } catch (e) {
        throw new NonRetryableError(`Stored arguments fail the job's schema: ${(e as Error).message}`);
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
      await finish(deps, job, { state: { name: 'deleted', reason: `Canceled by a filter: ${canceled}`, at: deps.clock.now() } }, expect, filters);
      return;
    }
    const value = await (definition.run as (a: unknown, c: JobContext) => unknown)(args, context);
    result = toResult(value);
    ok = true;
  } catch (e) {
    error = e;
  } finally {
    clearTimeout(timer);
  }

  await context.flushProgress();
  for (const f of filters) {
    if (!f.onPerformed) continue;
    try {
      await f.onPerformed(ok ? { job, context, storage: deps.storage, result } : { job, context, storage: deps.storage, error });
    } catch (e) {
      context.logger.error(`server filter ${f.name ?? '(anonymous)'} threw in onPerformed`, { error: String(e) });
    }
  }

  const now = deps.clock.now();
  if (ok) {
    const change = await deps.states.elect(job, { state: { name: 'succeeded', reason: 'Completed', at: now, data: { duration: now - startedAt } } }, expect, filters);
    change.result = JSON.stringify(result);
    deps.complete(change, filters);
  } else if (running.cause === 'shutdown') {
    context.logger.info('interrupted by server shutdown; requeued');
    deps.complete(deps.states.change(job.id, { state: { name: 'enqueued', reason: 'Server shutting down: interrupted and requeued', at: now } }, expect), filters);
  } else if (running.cause === 'taken-away') {
    context.logger.info('stopped: the job was deleted, requeued or its lease was lost while it ran');
  } else {
    const e = error instanceof Error ? error : new Error(String(error));
    const timedOut = running.cause === 'timeout';
    const reason = timedOut ? `Timed out after ${definition.timeoutMs} ms` : `${e.name}: ${e.message}`;
    context.logger.warn(`failed: ${reason}`);
    await finish(
      deps,
      job,
      { state: { name: 'failed', reason, at: now, data: { error: e.message, type: timedOut ? 'Timeout' : e.name, stack: e.stack ?? '' } } },
      expect,
      filters,
      error,
    );
  }
}

/** Elects the end state of a run through the filters and hands the change to the completer. */
async function finish(
  deps: RunnerDeps,
  job: JobRecord,
  candidate: CandidateState,
  expect: { states: StateName[]; serverId: string },
  filters: readonly JobFilter[],
  error?: unknown,
): Promise<void> {
  deps.complete(await deps.states.elect(job, candidate, expect, filters, error), filters);
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

/** A job's return value as JSON; values JSON cannot hold are stored as null. */
function toResult(value: unknown): Json {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value) ?? 'null') as Json;
  } catch {
    return null;
  }
}
