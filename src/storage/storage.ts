/**
 * The storage contract: the one seam between Kiln's engine (client, server, dashboard) and a
 * database. A backend lives in its own folder under `src/storage/` and is correct when it passes
 * the shared conformance suite in `src/storage/conformance/`.
 *
 * The operations are coarse and job-level (not Hangfire's sets/lists/hashes) so that each backend
 * can serve one call with one round trip: one SQL statement batch, one Lua script, one SQLite
 * write transaction.
 *
 * Time is always passed in by the caller (`now`, epoch milliseconds), so every backend agrees
 * with the engine's clock and tests can drive time.
 */

/** The states of a job, as in Hangfire. */
export type StateName =
  | 'enqueued'
  | 'scheduled'
  | 'awaiting'
  | 'processing'
  | 'succeeded'
  | 'failed'
  | 'deleted';

export const STATE_NAMES: readonly StateName[] = [
  'enqueued',
  'scheduled',
  'awaiting',
  'processing',
  'succeeded',
  'failed',
  'deleted',
];

/** A JSON value, as stored in job data, parameters and results. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One entry of a job's state history. */
export interface StateEntry {
  name: StateName;
  /** Why the job entered this state, for people reading the dashboard. */
  reason?: string;
  /** State-specific data: `{ serverId }` for processing, `{ error, stack }` for failed, ... */
  data?: { [key: string]: Json };
  /** When the state was entered, epoch ms. */
  at: number;
}

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
   * returned. Enforced by the storage atomically, never by check-then-insert.
   */
  uniqueKey?: string;
  /** Epoch ms after which `uniqueKey` no longer blocks new jobs. Absent: as long as the job is active. */
  uniqueUntil?: number;
}

/** What `createJobs` reports for each job it was given, in order. */
export interface CreatedJob {
  id: string;
  /** False when a unique key matched an active job: `id` is that job's id. */
  created: boolean;
}

/** A job as stored. */
export interface JobRecord {
  id: string;
  name: string;
  queue: string;
  args: string;
  state: StateName;
  /** The reason given for the current state. */
  stateReason: string | null;
  /** The data of the current state. */
  stateData: { [key: string]: Json } | null;
  createdAt: number;
  /** When the current state was entered. */
  stateAt: number;
  /** 1 for the first run; raised by the retry filter for each retry. */
  attempt: number;
  parameters: { [key: string]: Json };
  runAt: number | null;
  parentId: string | null;
  /** For `processing`: the server holding the job, and when its lease ends. */
  serverId: string | null;
  leaseUntil: number | null;
  /** For final states: when the job is deleted by the expiration manager. */
  expireAt: number | null;
  /** JSON text of what the job returned, for `succeeded` jobs. */
  result: string | null;
  uniqueKey: string | null;
}

/** A job with its whole history, for the dashboard and `JobClient.get`. */
export interface JobDetails extends JobRecord {
  /** Every state the job passed through, oldest first. */
  history: StateEntry[];
  /** Ids of the jobs awaiting this one. */
  continuations: string[];
}

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

/** A running server, as announced and kept alive by its heartbeat. */
export interface ServerRecord {
  id: string;
  /** Host name and process id, for people. */
  name: string;
  workerCount: number;
  queues: string[];
  startedAt: number;
  heartbeatAt: number;
}

/** What to do with cron occurrences missed while no server was running. */
export type MisfirePolicy = 'relaxed' | 'strict' | 'ignorable';

/** A recurring job definition. */
export interface RecurringJobRecord {
  id: string;
  /** The job definition's name. */
  name: string;
  queue: string;
  args: string;
  cron: string;
  timeZone: string;
  misfire: MisfirePolicy;
  /** The next occurrence to enqueue, epoch ms; null when the cron has no future occurrence. */
  nextExecution: number | null;
  lastExecution: number | null;
  lastJobId: string | null;
  paused: boolean;
  createdAt: number;
  /** Why the last attempt to schedule failed, if it did. */
  error: string | null;
}

/**
 * The compare-and-set advance of a recurring job after its due occurrences were computed: applies
 * only if `nextExecution` is still `expectNext`, and then creates `jobs` in the same transaction,
 * so each occurrence is enqueued once however many servers poll.
 */
export interface RecurringAdvance {
  id: string;
  expectNext: number;
  nextExecution: number | null;
  lastExecution: number | null;
  jobs: NewJob[];
  error?: string | null;
}

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
  offset: number;
  limit: number;
}

export interface JobPage {
  total: number;
  jobs: JobRecord[];
}

/**
 * A wake-up from storage. `enqueued`: jobs arrived in a queue, an idle worker should fetch now.
 * `aborted`: a job left `processing` by someone else's hand (deleted, requeued), so the worker
 * running it must abort its `ctx.signal`. A backend that only knows "something changed" (SQLite
 * seen from another process) sends `{ type: 'enqueued', queue: '*' }`: every worker fetches.
 */
export type StorageEvent = { type: 'enqueued'; queue: string } | { type: 'aborted'; jobId: string };

export interface CreateOptions {
  now: number;
  /** A backend-specific transaction handle (a `pg` client inside BEGIN for Postgres). */
  tx?: unknown;
}

/** The contract. Every method may be called concurrently from many servers and processes. */
export interface Storage {
  /** Creates the schema or scripts if needed. Called by the engine before first use; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // ---- jobs
  createJobs(jobs: NewJob[], options: CreateOptions): Promise<CreatedJob[]>;
  /** Atomically claims up to `max` enqueued jobs, in queue priority order, FIFO within a queue. */
  fetch(options: FetchOptions): Promise<JobRecord[]>;
  /** Extends the leases of the server's running jobs; returns the ids it no longer holds. */
  renewLeases(serverId: string, ids: string[], leaseMs: number, now: number): Promise<string[]>;
  /**
   * Merges parameters into a job this server is running (`ctx.progress()` reports); false, and
   * nothing written, when the job is no longer processing under `serverId`.
   */
  mergeParameters(id: string, serverId: string, parameters: { [key: string]: Json }): Promise<boolean>;
  /** Applies each change if its expectation holds; reports per change whether it applied. */
  transition(changes: TransitionChange[], now: number): Promise<boolean[]>;
  /** Moves due scheduled jobs to their queues; returns how many moved. */
  enqueueDue(now: number, limit: number): Promise<number>;
  /** When the earliest scheduled job becomes due, or null. */
  nextDueAt(): Promise<number | null>;
  /** Requeues processing jobs whose lease has ended (crash recovery); returns how many. */
  releaseExpiredLeases(now: number, limit: number): Promise<number>;
  /** Deletes jobs whose `expireAt` has passed, with their history; returns how many. */
  deleteExpired(now: number, limit: number): Promise<number>;
  getJob(id: string): Promise<JobDetails | null>;
  /** Jobs awaiting one of these parents. */
  continuationsOf(parentIds: string[]): Promise<JobRecord[]>;
  /** Awaiting jobs whose parent is final (succeeded, deleted) or gone, with the parent's state and result. */
  awaitingReady(limit: number): Promise<Array<{ job: JobRecord; parentState: StateName | null; parentResult: string | null }>>;

  // ---- servers
  announceServer(server: ServerRecord): Promise<void>;
  /** Records a heartbeat; false if the server record is gone (it was declared dead). */
  heartbeat(serverId: string, now: number): Promise<boolean>;
  /** Removes a server and requeues the jobs it held. */
  removeServer(serverId: string, now: number): Promise<void>;
  /** Removes servers silent since before `heartbeatBefore` and requeues their jobs; returns their ids. */
  removeDeadServers(heartbeatBefore: number, now: number): Promise<string[]>;

  // ---- locks
  /** Takes or extends (same owner) a named lock for `ttlMs`; false if another owner holds it. */
  acquireLock(resource: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
  releaseLock(resource: string, owner: string): Promise<void>;

  // ---- recurring jobs
  upsertRecurring(job: RecurringJobRecord): Promise<void>;
  removeRecurring(id: string): Promise<boolean>;
  setRecurringPaused(id: string, paused: boolean): Promise<boolean>;
  getRecurring(id: string): Promise<RecurringJobRecord | null>;
  listRecurring(): Promise<RecurringJobRecord[]>;
  /** Not paused, `nextExecution <= now`, earliest first. */
  dueRecurring(now: number, limit: number): Promise<RecurringJobRecord[]>;
  /** Compare-and-set on `nextExecution`; creates the occurrence jobs in the same transaction. */
  advanceRecurring(advance: RecurringAdvance, now: number): Promise<boolean>;

  // ---- monitoring
  statistics(): Promise<StorageStatistics>;
  queues(): Promise<QueueStatistics[]>;
  listJobs(query: ListJobsQuery): Promise<JobPage>;
  listServers(): Promise<ServerRecord[]>;
  timeline(unit: 'hour' | 'day', from: number, to: number): Promise<TimelinePoint[]>;

  // ---- wake-ups
  /** Delivers events from every process sharing the storage where the backend can; returns an unsubscribe. */
  subscribe(listener: (event: StorageEvent) => void): Promise<() => Promise<void>>;
}
