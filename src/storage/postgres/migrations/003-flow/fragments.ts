import type { SchemaSql } from '../001-initial/fragments.js';

/** The columns `fetch_jobs` and `claim_limited` return: what a claim does not set, and the job's flow fields. */
export const CLAIMED_COLUMNS = `o_seq bigint, o_id text, o_name text, o_queue text, o_args text, o_created_at bigint,
  o_attempt integer, o_parameters jsonb, o_parent_id text, o_run_at bigint, o_expire_at bigint, o_result text,
  o_unique_key text, o_priority smallint, o_concurrency_key text, o_concurrency_limit integer, o_rate_key text,
  o_rate_max integer, o_rate_per_ms bigint`;

/** `RETURNING` of a claim's `UPDATE ... jobs j`, in the order of `CLAIMED_COLUMNS`. */
export const CLAIMED_RETURNING = `j.seq, j.id, j.name, j.queue, j.args, j.created_at, j.attempt, j.parameters, j.parent_id,
  j.run_at, j.expire_at, j.result, j.unique_key, j.priority, j.concurrency_key, j.concurrency_limit, j.rate_key,
  j.rate_max, j.rate_per_ms`;

/** The SET list of a claim, with `v_data` and `v_entry` declared by the function. */
export const CLAIM_SET = `state = 'processing', prev_state = j.state, state_reason = NULL, state_data = v_data,
  state_at = p_now, server_id = p_server, lease_until = p_lease_until, history = j.history || v_entry`;

/** The declarations `CLAIM_SET` needs. */
export const CLAIM_DECLARE = `v_data jsonb := jsonb_build_object('serverId', p_server);
  v_entry text := ',' || json_build_object('name', 'processing', 'data', v_data, 'at', p_now)::text;`;

/** `rate_starts.scope` of a job's rate key and of a queue's rate limit. */
export const RATE_KEY = 0;
export const RATE_QUEUE = 1;

/**
 * The transaction-scoped advisory lock that serializes the claims that weigh limits (and only
 * those) in one schema: a claim counts processing jobs and starts, then claims, with no other
 * limited claim in between, across every connection. Plain claims never take it.
 */
export function flowLock({ s }: SchemaSql): string {
  return `pg_advisory_xact_lock(hashtext('kiln.flow'), hashtext('${s}'))`;
}

/** The advisory lock a debounced or throttled create takes on its key (`key` is an SQL expression). */
export function uniqueKeyLock({ s }: SchemaSql, key: string): string {
  return `pg_advisory_xact_lock(hashtext('kiln.unique'), hashtext('${s}:' || ${key}))`;
}
