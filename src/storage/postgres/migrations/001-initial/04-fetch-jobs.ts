import { PINNED, type SchemaSql } from './fragments.js';

/**
 * `fetch_jobs`: claims in queue priority order, with one `FOR UPDATE SKIP LOCKED` statement per
 * queue (a single ORDER BY array_position(...) cannot use the (queue, seq) index and sorts the
 * whole backlog). The claimed rows are updated by the ctid their lock returned (a TID scan)
 * rather than looked up again by id: the rows are locked by this statement, so the ctid is
 * current, and a row that moved anyway fails the recheck and simply is not claimed. Returns only
 * the columns the claim did not just set (the caller knows those): a third of the row to format
 * here and to parse there.
 */
export function fetchJobs({ s }: SchemaSql): string {
  return `
CREATE FUNCTION ${s}.fetch_jobs(p_queues text[], p_max integer, p_server text, p_lease_until bigint, p_now bigint)
RETURNS TABLE (o_seq bigint, o_id text, o_name text, o_queue text, o_args text, o_created_at bigint,
               o_attempt integer, o_parameters jsonb, o_parent_id text, o_run_at bigint, o_expire_at bigint,
               o_result text, o_unique_key text)
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_left integer := p_max;
  v_n integer;
  v_queue text;
  v_data jsonb := jsonb_build_object('serverId', p_server);
  v_entry text := ',' || json_build_object('name', 'processing', 'data', v_data, 'at', p_now)::text;
BEGIN
  FOREACH v_queue IN ARRAY p_queues LOOP
    EXIT WHEN v_left <= 0;
    RETURN QUERY
      UPDATE ${s}.jobs j
         SET state = 'processing', prev_state = j.state, state_reason = NULL, state_data = v_data,
             state_at = p_now, server_id = p_server, lease_until = p_lease_until,
             history = j.history || v_entry
       WHERE j.ctid = ANY (ARRAY(
               SELECT c.ctid FROM ${s}.jobs c
                WHERE c.state = 'enqueued' AND c.queue = v_queue
                ORDER BY c.seq LIMIT v_left
                FOR UPDATE SKIP LOCKED))
         AND j.state = 'enqueued'
      RETURNING j.seq, j.id, j.name, j.queue, j.args, j.created_at, j.attempt, j.parameters, j.parent_id,
                j.run_at, j.expire_at, j.result, j.unique_key;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_left := v_left - v_n;
  END LOOP;
END
$fn$;`;
}
