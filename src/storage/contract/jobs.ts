import type { JobDetails, JobRecord, Json, StateEntry, StateName } from './model.js';

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

export interface CreateOptions {
  now: number;
  /** A backend-specific transaction handle (a `pg` client inside BEGIN for Postgres). */
  tx?: unknown;
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
  /** Atomically claims up to `max` enqueued jobs, in queue priority order, FIFO within a queue. */
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
