/**
 * The job as the storage contract sees it: its states, its history entries and its stored
 * record. Every role of the contract (see `index.ts`) speaks these types.
 *
 * Time is always epoch milliseconds passed in by the caller (`now`), so every backend agrees with
 * the engine's clock and tests can drive time.
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

/**
 * The job parameter counting involuntary ends of the current attempt: each time a backend's
 * lease or dead-server recovery (`releaseExpiredLeases`, `removeDeadServers`, `removeServer`)
 * puts a `processing` job back in its queue, it adds one in the same write and ends the history
 * entry's reason with `(interruption N)`. A graceful shutdown's requeue (a `transition` to
 * `enqueued`) does not count. A stored value that is not a number counts as 0, a fraction is
 * rounded down, and the count stops growing at 10⁹. The server fails a job whose count passed its
 * `maxInterruptions`; a retry or a requeue from an ended state starts it again at 0.
 */
export const INTERRUPTIONS_PARAMETER = 'interruptions';

/**
 * Job priority: an integer from `MIN_PRIORITY` to `MAX_PRIORITY`, default `DEFAULT_PRIORITY`.
 * Within one queue a claim takes higher priorities first and, among equal priorities, the oldest
 * job first (FIFO by creation order). Priority never reorders queues: those keep the order the
 * fetching server lists them in.
 */
export const MIN_PRIORITY = -100;
export const MAX_PRIORITY = 100;
export const DEFAULT_PRIORITY = 0;

/**
 * A concurrency limit a job carries, computed by the engine at enqueue from its definition: at
 * most `limit` jobs carrying this `key` may be `processing` at once, across every server and
 * process. Keys are made by the engine (`<job name>` or `<job name>:<key value>`, 1-1,000
 * characters, no control characters) and compared as exact strings; `limit` is a whole number
 * from 1 to `MAX_LIMIT`.
 */
export interface ConcurrencyLimit {
  key: string;
  limit: number;
}

/**
 * A rate limit a job carries, computed by the engine at enqueue: at most `max` jobs carrying this
 * `key` may be started (claimed by `fetch`) in any window of `perMs` milliseconds, across every
 * server. `max` is a whole number from 1 to `MAX_LIMIT`; `perMs` from 1 to `MAX_RATE_WINDOW_MS`.
 * The key space is separate from concurrency keys': a concurrency key and a rate key that are
 * equal strings are unrelated.
 */
export interface RateLimit {
  key: string;
  max: number;
  perMs: number;
}

/** The largest concurrency limit or rate `max`, for a job group or a queue. */
export const MAX_LIMIT = 100_000;

/** The longest rate window: one day. */
export const MAX_RATE_WINDOW_MS = 86_400_000;

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
  /** See `MIN_PRIORITY`; `DEFAULT_PRIORITY` (0) unless the job was given one. */
  priority: number;
  /** The job's concurrency limit, if it has one (see `ConcurrencyLimit`). */
  concurrency: ConcurrencyLimit | null;
  /** The job's rate limit, if it has one (see `RateLimit`). */
  rateLimit: RateLimit | null;
}

/** A job with its whole history, for the dashboard and `JobClient.get`. */
export interface JobDetails extends JobRecord {
  /** Every state the job passed through, oldest first. */
  history: StateEntry[];
  /** Ids of the jobs awaiting this one. */
  continuations: string[];
}
