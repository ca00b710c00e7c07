import { notifyEnqueued, PINNED, type SchemaSql } from '../001-initial/fragments.js';

/**
 * `insert_jobs` with each job's priority and limits: six more columns in the wire format of
 * `../../wire.ts`, all null for a batch that uses none (unnest pads them), so a plain batch
 * sends and parses what it did before.
 */
export function insertJobsWithFlow({ s, channel }: SchemaSql): string {
  return `
DROP FUNCTION ${s}.insert_jobs(text, text, text, text, text, text[], text, bigint[], bigint[], bigint[], text, text, text);
CREATE FUNCTION ${s}.insert_jobs(p_ids text, p_names text, p_queues text, p_args text, p_states text,
  p_reasons text[], p_data text, p_created bigint[], p_at bigint[], p_run_at bigint[], p_parents text,
  p_parameters text, p_entries text, p_priority smallint[], p_ckeys text, p_climits integer[], p_rkeys text,
  p_rmax integer[], p_rper bigint[])
RETURNS void
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_notified bigint;
BEGIN
  WITH ins AS (
    INSERT INTO ${s}.jobs (id, name, queue, args, state, state_reason, state_data, created_at, state_at,
                           run_at, parent_id, parameters, history, priority, limited, concurrency_key,
                           concurrency_limit, rate_key, rate_max, rate_per_ms)
    SELECT c.id, c.name, c.queue, c.args, c.state, c.reason, nullif(c.data, '')::jsonb, c.created, c.at,
           c.run_at, c.parent, coalesce(nullif(c.parameters, ''), '{}')::jsonb, c.entry, coalesce(c.priority, 0),
           c.ckey IS NOT NULL OR c.rkey IS NOT NULL, c.ckey, c.climit, c.rkey, c.rmax, c.rper
      FROM unnest(string_to_array(p_ids, E'\\x1e'), string_to_array(p_names, E'\\x1e'),
                  string_to_array(p_queues, E'\\x1e'), string_to_array(p_args, E'\\x1e'),
                  string_to_array(p_states, E'\\x1e'), p_reasons, string_to_array(p_data, E'\\x1e'),
                  p_created, p_at, p_run_at, string_to_array(p_parents, E'\\x1e', E'\\x1f'),
                  string_to_array(p_parameters, E'\\x1e'), string_to_array(p_entries, E'\\x1e'),
                  p_priority, string_to_array(p_ckeys, E'\\x1e', E'\\x1f'), p_climits,
                  string_to_array(p_rkeys, E'\\x1e', E'\\x1f'), p_rmax, p_rper) WITH ORDINALITY
           AS c(id, name, queue, args, state, reason, data, created, at, run_at, parent, parameters, entry,
                priority, ckey, climit, rkey, rmax, rper, i)
     ORDER BY c.i
    RETURNING queue, state
  ),
  n AS (${notifyEnqueued(channel, `ins WHERE ins.state = 'enqueued'`)})
  SELECT count(*) INTO v_notified FROM n;
END
$fn$;`;
}
