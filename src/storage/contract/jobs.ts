import type { ConcurrencyLimit, JobDetails, JobRecord, Json, RateLimit, StateEntry, StateName } from './model.js';

/** A job to insert. Ids are made by the engine (time-ordered UUIDs). */
export interface NewJob {
  id: string;
  /** The job definition's name, resolved to code by the server that runs it. */
  name: string;
  queue: string;
  /** Arguments as JSON text, validated before it reaches storage. */
  args: string;
  /** Initial state: `enqueued`, `scheduled` (with `runAt`) or `awaiting` (with `parentId`). */
  state: StateEntry;
  createdAt: number;
  /** For `scheduled`: when the job becomes due. */
  runAt?: number;
  /** For `awaiting`: the parent job this continuation waits for. */
  parentId?: string;
  parameters: { [key: string]: Json };
  /**
   * Unique jobs: while another job with this key is enqueued, scheduled, awaiting or processing
   * (and its `uniqueUntil`, if any, has not passed), no job is created and the existing id is
   * returned. Enforced by the storage atomically, never by check-then-insert. `uniqueMode`
   * changes what a matching job does.
   */
  uniqueKey?: string;
  /** Epoch ms after which `uniqueKey` no longer blocks new jobs. Absent: as long as the job is active. */
  uniqueUntil?: number;
  /** What a job already holding `uniqueKey` does to this one; default `'keep'`. See `UniqueMode`. */
  uniqueMode?: UniqueMode;
  /** See `MIN_PRIORITY`. Absent: `DEFAULT_PRIORITY` (0). */
  priority?: number;
  /** See `ConcurrencyLimit`. Absent: no limit of its own (its queue's may still apply). */
  concurrency?: ConcurrencyLimit;
  /** See `RateLimit`. Absent: no rate limit of its own (its queue's may still apply). */
  rateLimit?: RateLimit;
}

/**
 * How `createJobs` treats a new job whose `uniqueKey` matches an existing job, the *holder*
 * (with several candidates, the oldest). Every mode is one atomic step of the storage, race-free
 * across connections and processes, as `'keep'` always was.
 *
 * - `'keep'` (the default): the holder is a job with the key that is enqueued, scheduled,
 *   awaiting or processing, and whose `uniqueUntil` is absent or after `now`. If there is one,
 *   nothing is created and `{ id: holder, created: false }` is reported.
 *
 * - `'debounce'`: the new job is `scheduled` with `runAt` (the engine sets it to now + the
 *   debounce delay). The holder is a job with the key that is enqueued, scheduled or awaiting,
 *   with `uniqueUntil` absent or after `now`:
 *   - an enqueued or scheduled holder is *replaced in place*: it takes the new job's `args`,
 *     `priority`, `concurrency`, `rateLimit` and `runAt`, and its state becomes the new job's
 *     `state` (scheduled; the entry is appended to its history, counted as any state change);
 *     its id, queue, parameters, attempt and creation time stay. Reported `{ id: holder,
 *     created: false }`. So a burst of calls leaves one job, with the last call's arguments,
 *     starting one delay after the last call.
 *   - an awaiting holder is kept unchanged, as with `'keep'`.
 *   - a processing job does not hold the key: it already started, so the new job is created
 *     (and the running job stops blocking the key for good, even if it is later requeued).
 *
 * - `'throttle'`: `uniqueUntil` is required (the engine sets it to now + the window). The holder
 *   is a job with the key whose `uniqueUntil` is after `now`, *whatever its state* (a job of the
 *   window that already succeeded, failed or was deleted still throttles, for as long as its
 *   record exists), or an active job with the key and no `uniqueUntil`. If there is one, nothing is
 *   created and `{ id: holder, created: false }` is reported: the first call of a window runs,
 *   the rest are dropped.
 *
 * The mode belongs to the call: a holder is judged by the rules of the new job's mode, whatever
 * mode created the holder.
 */
export type UniqueMode = 'keep' | 'debounce' | 'throttle';

/** What `createJobs` reports for each job it was given, in order. */
export interface CreatedJob {
  id: string;
  /** False when a unique key matched an active job: `id` is that job's id. */
  created: boolean;
}

export interface CreateOptions {
  now: number;
  /** A backend-specific transaction handle (a `pg` client inside BEGIN for Postgres). */
  tx?: unknown;
}

/**
 * What `fetch` claims, atomically (one SQL function call, one Lua script, one SQLite write
 * transaction):
 *
 * 1. **Order.** Queue by queue in the order of `queues` (a job of an earlier queue is always
 *    taken before one of a later queue); within a queue, highest `priority` first, and among
 *    equal priorities the oldest first (creation order; a requeued job keeps its place).
 * 2. **Paused queues** (see `QueueControl.setQueuePaused`) are skipped entirely: none of their
 *    jobs is claimed. Jobs already processing are not touched.
 * 3. **Limits** are checked for each job as it is considered, counting the jobs this same call
 *    has already claimed; a job over any limit is *skipped*: left enqueued, untouched (its
 *    attempt, state and history unchanged), and the claim goes on to the jobs behind it, so
 *    jobs of a saturated key never block jobs of other keys. A job is over a limit when:
 *    - its `concurrency` is set and at least `concurrency.limit` jobs carrying the same
 *      `concurrency.key` are `processing` (whatever limit those carry: each job is checked
 *      against its own numbers);
 *    - its `rateLimit` is set and at least `rateLimit.max` jobs carrying the same `rateLimit.key`
 *      were started less than `rateLimit.perMs` ago, i.e. at a time `t` with `t > now - perMs`
 *      (a start recorded by a server whose clock runs ahead, `t > now`, counts too);
 *    - its queue has a concurrency limit (`QueueLimits.concurrency`) and that many of the queue's
 *      jobs are `processing` (every job of the queue counts, limited or not);
 *    - its queue has a rate limit (`QueueLimits.rate`) and `rate.max` of the queue's jobs were
 *      started less than `rate.perMs` ago.
 * 4. **Starts.** Claiming a job records a start at `now` for its `rateLimit.key` (if it has one)
 *    and for its queue (if the queue has a rate limit). A start is never taken back: a job
 *    claimed and then requeued (lease lost, shutdown) still used its slot. A backend keeps per
 *    key at least the starts of the last `perMs` (a log of the last `max` start times is
 *    enough), so "never more than `max` starts in any window of `perMs`" holds exactly.
 *
 * The hot path must not pay for unused features: a claim looks at limits only for jobs that
 * carry one (e.g. limited jobs carry their keys in columns that partial indexes separate from
 * plain jobs, so the plain path skips them by index) and for queues that have settings.
 */
export interface FetchOptions {
  /** Queues in priority order: a job of an earlier queue is always taken first. */
  queues: string[];
  /** How many jobs to claim at most. */
  max: number;
  serverId: string;
  /** The lease given to each claimed job; renewed by the server's heartbeat. */
  leaseMs: number;
  now: number;
}

/** A compare-and-set state change of one job. */
export interface TransitionChange {
  id: string;
  /** The change applies only if the job is in one of these states... */
  expectStates: StateName[];
  /** ...and, when given, only if it is processing under this server (the worker's own lease). */
  expectServerId?: string;
  /** States recorded in the history before `to` (a `failed` that the retry filter turned into `scheduled`). */
  passedThrough?: StateEntry[];
  to: StateEntry;
  /** For `enqueued`: the queue to place the job in; default its current queue. */
  queue?: string;
  /** For `scheduled`: when it becomes due. */
  runAt?: number;
  /** For final states: when to delete it. `null` or absent: never. */
  expireAt?: number | null;
  /** New attempt number, when the retry filter raised it. */
  attempt?: number;
  /** Parameters merged into the job's parameters. */
  parameters?: { [key: string]: Json };
  /** For `succeeded`: JSON text of the job's result. */
  result?: string;
}

/**
 * The job store: creating jobs, claiming them, moving them between states, their leases and
 * parameters, and reading one job or its continuations. The hot path of every server.
 *
 * Its writes publish the job events of the changes they make, in the same atomic write, while
 * someone listens (see `events.ts` for which write publishes which event, and the rule that
 * nothing is published, built or checked beyond one read while nobody does).
 */
export interface JobStore {
  createJobs(jobs: NewJob[], options: CreateOptions): Promise<CreatedJob[]>;
  /**
   * Atomically claims up to `max` enqueued jobs, in queue order, then priority, then FIFO,
   * skipping paused queues and jobs over a limit (see `FetchOptions` for the exact rules).
   * Returns the claimed jobs in the order they were claimed.
   */
  fetch(options: FetchOptions): Promise<JobRecord[]>;
  /** Extends the leases of the server's running jobs; returns the ids it no longer holds. */
  renewLeases(serverId: string, ids: string[], leaseMs: number, now: number): Promise<string[]>;
  /**
   * Merges parameters into a job this server is running (`ctx.progress()` reports); false, and
   * nothing written, when the job is no longer processing under `serverId`. When `parameters`
   * holds `progress`, the write publishes a `progress` event at `now` (see `events.ts`).
   */
  mergeParameters(id: string, serverId: string, parameters: { [key: string]: Json }, now: number): Promise<boolean>;
  /** Applies each change if its expectation holds; reports per change whether it applied. */
  transition(changes: TransitionChange[], now: number): Promise<boolean[]>;
  getJob(id: string): Promise<JobDetails | null>;
  /** Jobs awaiting one of these parents. */
  continuationsOf(parentIds: string[]): Promise<JobRecord[]>;
  /** Awaiting jobs whose parent is final (succeeded, deleted) or gone, with the parent's state and result. */
  awaitingReady(limit: number): Promise<Array<{ job: JobRecord; parentState: StateName | null; parentResult: string | null }>>;
}
