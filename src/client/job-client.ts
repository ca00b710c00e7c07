import { systemClock, type Clock } from '../clock.js';
import { correctedClock, sharedOffset } from '../clock-offset.js';
import { defaultLogger, defaultStorage, globalFilters, maxArgsBytes } from '../config.js';
import { DuplicateJobError, JobCreationCanceledError, ValidationError } from '../errors.js';
import { parseDuration, timeAfter } from '../jobs/duration.js';
import type { AnyJobDefinition, JobDefinition } from '../jobs/define-job.js';
import { checkQueueName } from '../jobs/names.js';
import { runCreated, runCreating } from './creation-filters.js';
import { JobEvents } from './job-events.js';
import { buildJob, prepareJob, type PreparedJob } from './job-factory.js';
import { Queues } from './queues.js';
import { RecurringJobs } from './recurring-jobs.js';
import { checkWaitOptions, waitForJob, type WaitForOptions } from './wait-for.js';
import { CONTINUATION_CONDITIONS, resolveContinuations, type ContinuationCondition } from '../states/continuations.js';
import { checkEnqueueOptions, resolveWhen, type EnqueueOptions, type ScheduleWhen } from '../jobs/job-options.js';
import type { Logger } from '../logger.js';
import type { JobFilter } from '../states/filters.js';
import { orderFilters } from '../states/filters.js';
import { DEFAULT_RETENTION, StateMachine, type Retention } from '../states/state-machine.js';
import { statesExcept } from '../states/states.js';
import type { CreatedJob, JobDetails, JobLogPage, JobLogQuery, Json, NewJob, StateEntry, StateName, Storage } from '../storage/contract/index.js';
import { INTERRUPTIONS_PARAMETER, STATE_NAMES } from '../storage/contract/index.js';
import { produce } from '../tracing/producer.js';
import { activeTracer } from '../tracing/tracer.js';

export interface JobClientOptions {
  /** Default: `configure({ storage })`, else the embedded SQLite file `./kiln.db`. */
  storage?: Storage;
  /** Client filters, run after the global ones and before the job definition's own. */
  filters?: JobFilter[];
  logger?: Logger;
  /**
   * For tests. Corrected, like the system clock by default, by the offset to the storage's clock
   * that a `BackgroundJobServer` in this process measures on the same storage and clock (a
   * client alone makes no measurement: it has no heartbeat to make it at).
   */
  clock?: Clock;
  /** How long final jobs are kept (defaults 1 day). */
  retention?: Partial<Retention>;
  /**
   * OpenTelemetry: a producer span around each enqueue, schedule, continuation and batch, whose
   * context the job carries to its run (docs/observability.md). Default true; it costs nothing
   * until the application registers an OpenTelemetry SDK. False: no span, no context carried.
   */
  tracing?: boolean;
}

/** Conditions of `delete`, `requeue`, `reschedule`: act only if the job is in this state (Hangfire's `fromState`). */
export interface StateCondition {
  fromState?: StateName;
}

/** A job as `JobClient.get` returns it: its record, its whole history, and its log. */
export interface JobWithLogs extends JobDetails {
  /** The job's kept log lines (at most the server's `jobLogLines`, 1,000 by default), oldest first. */
  logs: JobLogPage;
}

/**
 * Turns calls into jobs and state changes: enqueue, schedule, continue, delete, requeue. Every
 * method validates its input first and writes nothing when it is wrong; a `ValidationError` names
 * the field.
 */
export class JobClient {
  readonly storage: Storage;
  private readonly clock: Clock;
  private readonly filters: JobFilter[];
  private readonly states: StateMachine;
  private readonly tracing: boolean;
  private readonly logger: Logger;
  private migrated: Promise<void> | undefined;
  private jobEvents: JobEvents | undefined;
  /** Recurring (cron) jobs: addOrUpdate, remove, trigger, pause, resume, list. */
  readonly recurring: RecurringJobs;
  /** Queues: pause, resume, setLimits, list. */
  readonly queues: Queues;

  constructor(options: JobClientOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new ValidationError('options', 'must be an object');
    this.storage = options.storage ?? defaultStorage();
    const base = options.clock ?? systemClock;
    this.clock = correctedClock(base, sharedOffset(this.storage, base));
    this.filters = options.filters ?? [];
    if (options.tracing !== undefined && typeof options.tracing !== 'boolean') throw new ValidationError('tracing', 'must be true or false');
    this.tracing = options.tracing ?? true;
    this.logger = options.logger ?? defaultLogger();
    this.states = new StateMachine(this.storage, this.clock, this.logger, checkRetention(options.retention));
    this.recurring = new RecurringJobs(this.storage, this.clock, () => this.ready());
    this.queues = new Queues(this.storage, () => this.ready());
  }

  /**
   * Creates a fire-and-forget job; resolves to its id once it is stored. With `debounce` (and a
   * `uniqueKey`) the job is scheduled one delay after this call instead, and later calls replace
   * it while it waits (see `EnqueueOptions.debounce`).
   */
  async enqueue<A>(job: JobDefinition<A, unknown>, args: NoInfer<A>, options?: EnqueueOptions): Promise<string> {
    const now = this.clock.now();
    const delayMs = options?.debounce === undefined ? undefined : checkEnqueueOptions(options).windowMs;
    if (delayMs === undefined) return this.createOne(job, args, options, { name: 'enqueued', reason: 'Enqueued by the client', at: now });
    const runAt = timeAfter(now, delayMs, 'options.debounce');
    const reason = `Debounced by the client: starts ${delayMs} ms after the last call with its key`;
    return this.createOne(job, args, options, { name: 'scheduled', reason, at: now, data: { runAt } }, { runAt });
  }

  /**
   * Creates many jobs of one type in one storage round trip; all are validated before any is
   * written. The client filters run for each job as for `enqueue` (`onCreating` before the write,
   * `onCreated` after it). A job a filter cancels is left out and the others are created: the
   * result holds the ids of the jobs created, in the order of `argsList`, so with a filter that
   * cancels it is shorter than `argsList` (use `enqueue` per job to learn which one was canceled,
   * from its `JobCreationCanceledError`).
   */
  async enqueueMany<A>(
    job: JobDefinition<A, unknown>,
    argsList: ReadonlyArray<NoInfer<A>>,
    options?: Omit<EnqueueOptions, 'uniqueKey' | 'uniqueFor' | 'debounce' | 'throttle' | 'onDuplicate'>,
  ): Promise<string[]> {
    if (!Array.isArray(argsList)) throw new ValidationError('argsList', 'must be an array');
    for (const key of ['uniqueKey', 'uniqueFor', 'debounce', 'throttle', 'onDuplicate'] as const) {
      if (options && key in options) throw new ValidationError(`options.${key}`, 'enqueueMany does not take unique keys; use enqueue');
    }
    const opts = checkEnqueueOptions(options);
    const now = this.clock.now();
    const prepared: PreparedJob[] = [];
    for (let i = 0; i < argsList.length; i++) prepared.push(await prepareJob(job, argsList[i], opts.queue, opts.parameters, `argsList[${i}]`));
    const filters = this.creationFilters(job);
    const jobs: NewJob[] = [];
    for (const p of prepared) {
      if (filters.length === 0 || (await runCreating(filters, p)) === undefined) {
        jobs.push(buildJob(p, { name: 'enqueued', reason: 'Enqueued by the client', at: now }, now, {}, opts.priority));
      }
    }
    if (jobs.length === 0) return [];
    await this.ready();
    const created = await this.write(jobs, now, opts.tx);
    if (filters.length > 0) for (const c of created) await runCreated(filters, job.name, c);
    return created.map((c) => c.id);
  }

  /** Creates a job that runs after a delay (`{ delay: '10m' }`) or at a time (`{ at: Date }`). */
  async schedule<A>(job: JobDefinition<A, unknown>, args: NoInfer<A>, when: ScheduleWhen, options?: EnqueueOptions): Promise<string> {
    if (options?.debounce !== undefined) throw new ValidationError('options.debounce', 'is for enqueue: a debounced job sets its own start');
    const now = this.clock.now();
    const runAt = resolveWhen(when, now);
    // `scheduledAt` tells filters such as latencyTimeout when the job was meant to start.
    const withTime = { ...options, parameters: { ...options?.parameters, scheduledAt: runAt } };
    return this.createOne(job, args, withTime, { name: 'scheduled', reason: 'Scheduled by the client', at: now, data: { runAt } }, { runAt });
  }

  /**
   * Creates a continuation: it waits in `awaiting` until the parent job settles, then runs when
   * `on` holds (`'succeeded'` by default, `'deleted'`, or `'finished'` for either), reading the
   * parent's result as `ctx.parentResult`; when the condition can no longer hold it is deleted
   * with the reason. Chains and several continuations of one parent work.
   */
  async continueWith<A>(
    parentId: string,
    job: JobDefinition<A, unknown>,
    args: NoInfer<A>,
    options: EnqueueOptions & { on?: ContinuationCondition } = {},
  ): Promise<string> {
    checkId(parentId, 'parentId');
    const { on = 'succeeded', ...rest } = options;
    if (rest.debounce !== undefined) throw new ValidationError('options.debounce', 'is for enqueue: a continuation starts when its parent settles');
    if (!CONTINUATION_CONDITIONS.includes(on)) throw new ValidationError('options.on', `must be one of ${CONTINUATION_CONDITIONS.join(', ')}, got ${JSON.stringify(on)}`);
    await this.ready();
    if (!(await this.storage.getJob(parentId))) throw new ValidationError('parentId', `no job ${parentId} (it may have expired)`);
    const now = this.clock.now();
    const id = await this.createOne(job, args, rest, { name: 'awaiting', reason: `Waiting for job ${parentId} (${on})`, at: now, data: { parentId, on } }, { parentId });
    // The parent may have settled already: move the continuation on now rather than at the next poll.
    await resolveContinuations(this.storage, this.states, this.clock);
    return id;
  }

  /** The job with its whole history and its log lines, or null. */
  async get(id: string): Promise<JobWithLogs | null> {
    checkId(id);
    await this.ready();
    const [job, logs] = await Promise.all([this.storage.getJob(id), this.storage.jobLogs(id, {})]);
    return job && { ...job, logs };
  }

  /**
   * A page of a job's log: lines after `after` (the last `seq` a live view has), at most `limit`
   * (default and maximum 1,000), oldest first, with how many earliest lines were dropped to keep
   * the job within its bound.
   */
  async logs(id: string, query: JobLogQuery = {}): Promise<JobLogPage> {
    checkId(id);
    if (typeof query !== 'object' || query === null) throw new ValidationError('query', 'must be an object');
    for (const [key, min] of [['after', 0], ['limit', 1]] as const) {
      const v = query[key];
      if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new ValidationError(`query.${key}`, `must be a whole number >= ${min}, got ${String(v)}`);
    }
    await this.ready();
    return this.storage.jobLogs(id, query);
  }

  /**
   * The lifecycle events of every job, from every process sharing the storage (see `JobEvents`).
   * Nothing is subscribed until the first `on`.
   */
  get events(): JobEvents {
    return (this.jobEvents ??= new JobEvents(this.storage, this.logger, () => this.ready()));
  }

  /**
   * Waits until the job ends: resolves with what it returned (its JSON result) once it succeeds,
   * rejects with a `JobFailedError` once it fails for good (retries exhausted) or is deleted,
   * carrying the error. A job that already ended settles at once. Listens to job events, so no
   * polling is needed (a slow safety re-read catches a lost event). Rejects with a
   * `JobNotFoundError` for an unknown id, a `WaitTimeoutError` after `options.timeout` (`'30s'`,
   * ms), or the signal's reason when `options.signal` aborts.
   *
   * `R` is what the caller knows the job returns; nothing checks it.
   */
  async waitFor<R = Json>(id: string, options: WaitForOptions = {}): Promise<R> {
    checkId(id);
    const o = checkWaitOptions(options);
    await this.ready();
    return (await waitForJob(this.storage, this.events, id, o, this.logger)) as R;
  }

  /**
   * Deletes a job (Hangfire's Delete): it moves to `deleted` and expires after the retention. A
   * running job's `ctx.signal` is aborted. Resolves false when the job is missing, already
   * deleted, or not in `fromState`.
   */
  async delete(id: string, condition: StateCondition = {}, reason = 'Deleted by the client'): Promise<boolean> {
    checkId(id);
    const expect = this.expect(condition, statesExcept('deleted'));
    return this.change(id, { state: { name: 'deleted', reason, at: this.clock.now() } }, expect);
  }

  /**
   * Puts a job back in its queue (or `queue`) from any other state. A job requeued from `failed`,
   * `succeeded` or `deleted` starts its retries afresh (attempt 1, no interruptions counted), as
   * BullMQ's `retry()` does; its history keeps everything that happened.
   */
  async requeue(id: string, condition: StateCondition & { queue?: string } = {}, reason = 'Requeued by the client'): Promise<boolean> {
    checkId(id);
    const expect = this.expect(condition, statesExcept('enqueued'));
    const queue = condition.queue === undefined ? undefined : checkQueueName(condition.queue, 'queue');
    const candidate = { state: { name: 'enqueued' as const, reason, at: this.clock.now() }, ...(queue ? { queue } : {}) };
    // Afresh: attempt 1, and no interruptions counted against it.
    const fresh = { ...candidate, attempt: 1, parameters: { [INTERRUPTIONS_PARAMETER]: 0 } };
    const from = condition.fromState;
    if (from !== undefined) return this.change(id, ENDED_STATES.includes(from) ? fresh : candidate, expect);
    // Without a condition: reset the attempt only when the job had ended, atomically per case.
    if (await this.change(id, fresh, ENDED_STATES)) return true;
    return this.change(id, candidate, statesExcept('enqueued', ...ENDED_STATES));
  }

  /** Moves a job to `scheduled` for a new time. */
  async reschedule(id: string, when: ScheduleWhen, condition: StateCondition = {}): Promise<boolean> {
    checkId(id);
    const now = this.clock.now();
    const runAt = resolveWhen(when, now);
    const expect = this.expect(condition, statesExcept('scheduled', 'deleted', 'succeeded'));
    return this.change(id, { state: { name: 'scheduled', reason: 'Rescheduled by the client', at: now, data: { runAt } }, runAt }, expect);
  }

  /** Creates the storage's schema if needed; called once, before first use. */
  ready(): Promise<void> {
    this.migrated ??= this.storage.migrate().catch((e: unknown) => {
      this.migrated = undefined;
      throw e;
    });
    return this.migrated;
  }

  private expect(condition: StateCondition, otherwise: StateName[]): StateName[] {
    if (typeof condition !== 'object' || condition === null) throw new ValidationError('condition', 'must be an object');
    const from = condition.fromState;
    if (from === undefined) return otherwise;
    if (!STATE_NAMES.includes(from)) throw new ValidationError('fromState', `must be a state name, got ${JSON.stringify(from)}`);
    return [from];
  }

  private async change(id: string, candidate: Parameters<StateMachine['change']>[1], states: StateName[]): Promise<boolean> {
    await this.ready();
    const [applied] = await this.states.apply([this.states.change(id, candidate, { states })], this.filters);
    return applied === true;
  }

  /** @internal Used by `continueWith` and recurring jobs too. */
  async createOne(
    job: AnyJobDefinition,
    args: unknown,
    options: EnqueueOptions | undefined,
    state: StateEntry,
    placement: { runAt?: number; parentId?: string } = {},
  ): Promise<string> {
    const opts = checkEnqueueOptions(options);
    const prepared = await prepareJob(job, args, opts.queue, opts.parameters, 'args');
    const filters = this.creationFilters(prepared.definition);
    const canceled = await runCreating(filters, prepared);
    if (canceled !== undefined) throw new JobCreationCanceledError(prepared.definition.name, canceled);
    const now = state.at;
    const newJob = buildJob(prepared, state, now, placement, opts.priority);
    if (opts.uniqueKey !== undefined) {
      newJob.uniqueKey = opts.uniqueKey;
      if (opts.uniqueForMs !== undefined) newJob.uniqueUntil = timeAfter(now, opts.uniqueForMs, 'options.uniqueFor');
      if (opts.uniqueMode !== 'keep') newJob.uniqueMode = opts.uniqueMode;
      if (opts.uniqueMode === 'throttle') newJob.uniqueUntil = timeAfter(now, opts.windowMs!, 'options.throttle');
    }
    await this.ready();
    const [created] = await this.write([newJob], now, opts.tx);
    await runCreated(filters, prepared.definition.name, created!);
    if (!created!.created && opts.onDuplicate === 'throw') throw new DuplicateJobError(opts.uniqueKey!, created!.id);
    return created!.id;
  }

  /** Stores new jobs, inside a producer span when an OpenTelemetry SDK is registered. */
  private write(jobs: NewJob[], now: number, tx: unknown): Promise<CreatedJob[]> {
    const tracer = this.tracing ? activeTracer() : undefined;
    const write = () => this.storage.createJobs(jobs, { now, tx });
    return tracer ? produce(tracer, jobs, write) : write();
  }

  /** The client filters of a job type: global, this client's, the job's own, ordered. */
  private creationFilters(definition: AnyJobDefinition): JobFilter[] {
    return orderFilters(globalFilters(), this.filters, definition.filters).filter((f) => f.onCreating || f.onCreated);
  }
}

/** States a job has ended in; requeued from one of them, it starts its retries afresh. */
const ENDED_STATES: StateName[] = ['failed', 'succeeded', 'deleted'];

function checkRetention(retention: Partial<Retention> | undefined): Retention {
  if (retention === undefined) return DEFAULT_RETENTION;
  if (typeof retention !== 'object' || retention === null) throw new ValidationError('retention', 'must be an object');
  const of = (key: keyof Retention) =>
    retention[key] === undefined ? DEFAULT_RETENTION[key] : parseDuration(retention[key], `retention.${key}`);
  return { succeeded: of('succeeded'), deleted: of('deleted') };
}

function checkId(id: unknown, field = 'id'): void {
  if (typeof id !== 'string' || id.length === 0 || id.length > 100) throw new ValidationError(field, `must be a job id string, got ${JSON.stringify(id)}`);
}
