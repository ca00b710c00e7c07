import { notifyEnqueued, PINNED, type SchemaSql } from './fragments.js';

/**
 * `insert_jobs`: jobs without unique keys (the bulk of enqueues), one INSERT from arrays in the
 * wire format of `../../wire.ts`, and the wake-ups. `create_jobs` handles the rest.
 */
export function insertJobs({ s, channel }: SchemaSql): string {
  return `
CREATE FUNCTION ${s}.insert_jobs(p_ids text, p_names text, p_queues text, p_args text, p_states text,
  p_reasons text[], p_data text, p_created bigint[], p_at bigint[], p_run_at bigint[], p_parents text,
  p_parameters text, p_entries text)
RETURNS void
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_notified bigint;
BEGIN
  WITH ins AS (
    INSERT INTO ${s}.jobs (id, name, queue, args, state, state_reason, state_data, created_at, state_at,
                           run_at, parent_id, parameters, history)
    SELECT c.id, c.name, c.queue, c.args, c.state, c.reason, nullif(c.data, '')::jsonb, c.created, c.at,
           c.run_at, c.parent, coalesce(nullif(c.parameters, ''), '{}')::jsonb, c.entry
      FROM unnest(string_to_array(p_ids, E'\\x1e'), string_to_array(p_names, E'\\x1e'),
                  string_to_array(p_queues, E'\\x1e'), string_to_array(p_args, E'\\x1e'),
                  string_to_array(p_states, E'\\x1e'), p_reasons, string_to_array(p_data, E'\\x1e'),
                  p_created, p_at, p_run_at, string_to_array(p_parents, E'\\x1e', E'\\x1f'),
                  string_to_array(p_parameters, E'\\x1e'), string_to_array(p_entries, E'\\x1e')) WITH ORDINALITY
           AS c(id, name, queue, args, state, reason, data, created, at, run_at, parent, parameters, entry, i)
     ORDER BY c.i
    RETURNING queue, state
  ),
  n AS (${notifyEnqueued(channel, `ins WHERE ins.state = 'enqueued'`)})
  SELECT count(*) INTO v_notified FROM n;
END
$fn$;`;
}
