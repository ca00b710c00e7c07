import { ACTIVE_STATES } from '../../../buckets.js';

/** The names a migration part needs: the quoted schema and its notification channel. */
export interface SchemaSql {
  /** The schema quoted for SQL: `"kiln"`. */
  s: string;
  /** The `LISTEN/NOTIFY` channel of the schema, `kiln_<schema>`. */
  channel: string;
}

/** `('enqueued','scheduled','awaiting','processing')`: the states in which a unique key blocks. */
export const ACTIVE_SQL = `(${ACTIVE_STATES.map((s) => `'${s}'`).join(',')})`;

/** Counter rows per bucket: a power of two above a typical number of connections. */
export const COUNTER_SHARDS = 32;

/**
 * Planner settings pinned on every function that touches `jobs`. A queue table swings from
 * empty to millions of rows faster than autovacuum's ANALYZE notices, and a cached generic plan
 * made while it was small (a sequential scan, or a hash join against it) would then stay for
 * every later call on that connection: measured, a batch completion went from 1.5 ms to 14 ms
 * within 80k jobs. Every access path of these functions has its index, so they are told to use
 * it whatever the statistics say.
 * - Bitmap scans too: with stale statistics the claim's `id = ANY(...) AND state = 'enqueued'`
 *   was planned as a BitmapAnd of the primary key and the whole `jobs_enqueued` index, reading
 *   every enqueued job's entry on every fetch (15,100 entries for a claim of 100, measured).
 * - JIT off: the planner prices a disabled path (the sequential scan of the small `servers`
 *   table) at 10^10, far above `jit_above_cost`, so every call would compile its plan to machine
 *   code: measured, 250 ms of database CPU per watchdog sweep, for a statement that runs in
 *   0.3 ms. These are short statements that JIT never pays off for.
 * - Generic plans always: with the paths pinned the plan does not depend on the arguments, yet
 *   for a small batch the planner kept choosing a custom plan, i.e. planned the transition
 *   statement on every call: a one-job completion took 0.72 ms of database CPU, 0.31 ms without.
 */
export const PINNED =
  'SET enable_seqscan = off SET enable_bitmapscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off SET plan_cache_mode = force_generic_plan';

/** Builds the SET list of an `UPDATE ... jobs j` that puts jobs back in their queue: `reason` and `now` are SQL expressions. */
export type RequeueSet = (reason: string, now: string) => string;

/** The SET list that puts a job back in its queue (lease expiry, dead server, due schedule). */
export const requeueSet: RequeueSet = (reason, now) => {
  return `prev_state = j.state, state = 'enqueued', state_reason = ${reason}, state_data = NULL,
             state_at = ${now}, run_at = NULL, server_id = NULL, lease_until = NULL,
             history = j.history || ',' || json_build_object('name', 'enqueued', 'reason', ${reason}, 'at', ${now})::text`;
};

/**
 * What a requeueing function also does with the rows it requeued, in the same statement: a query
 * over `requeued` (rows of `id, name, queue, attempt, state_reason, seq`), `now` the time.
 * Migration 5 passes one that publishes their job events.
 */
export type AfterRequeue = (requeued: string, now: string) => string;

/**
 * The tail of a requeueing statement over `u`: its `RETURNING` list (the queue for the wake-ups,
 * and what `after` reads), the extra CTE running `after`, and what it adds to the count of
 * notifications. Without `after` exactly what migration 1 wrote.
 */
export function requeueTail(after: AfterRequeue | undefined, indent = '  ') {
  return {
    returning: after ? 'RETURNING j.id, j.name, j.queue, j.attempt, j.state_reason, j.seq' : 'RETURNING j.queue',
    cte: after ? `,\n${indent}e AS (${after('u', 'p_now')})` : '',
    counted: after ? ' + (SELECT count(*) FROM e)' : '',
  };
}

/** A query that sends one `enqueued` wake-up per distinct queue of the rows of `from`. */
export function notifyEnqueued(channel: string, from: string): string {
  return `SELECT pg_notify('${channel}', '{"t":"e","q":' || to_json(q.queue)::text || '}') FROM (SELECT DISTINCT queue FROM ${from}) q`;
}
