import { PINNED, type SchemaSql } from '../001-initial/fragments.js';
import { CLAIM_DECLARE, CLAIM_SET, CLAIMED_COLUMNS, CLAIMED_RETURNING } from './fragments.js';

/**
 * `fetch_jobs` with flow control: queue by queue in the server's order, as before. A queue with
 * no settings row and no enqueued limited job (two index probes, nothing locked) takes the plain
 * path: one `FOR UPDATE SKIP LOCKED` statement off the fetch index in claim order (priority,
 * then seq), as migration 1's. Any other queue is claimed by `claim_limited`. The function now
 * also returns the job's priority and limits.
 */
export function fetchJobsWithFlow({ s }: SchemaSql): string {
  return `
DROP FUNCTION ${s}.fetch_jobs(text[], integer, text, bigint, bigint);
CREATE FUNCTION ${s}.fetch_jobs(p_queues text[], p_max integer, p_server text, p_lease_until bigint, p_now bigint)
RETURNS TABLE (${CLAIMED_COLUMNS})
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_left integer := p_max;
  v_n integer;
  v_queue text;
  ${CLAIM_DECLARE}
BEGIN
  FOREACH v_queue IN ARRAY p_queues LOOP
    EXIT WHEN v_left <= 0;
    IF EXISTS (SELECT 1 FROM ${s}.queues q WHERE q.queue = v_queue)
       OR EXISTS (SELECT 1 FROM ${s}.jobs c WHERE c.state = 'enqueued' AND c.queue = v_queue AND c.limited = true) THEN
      RETURN QUERY SELECT * FROM ${s}.claim_limited(v_queue, v_left, p_server, p_lease_until, p_now);
    ELSE
      RETURN QUERY
        UPDATE ${s}.jobs j SET ${CLAIM_SET}
         WHERE j.ctid = ANY (ARRAY(
                 SELECT c.ctid FROM ${s}.jobs c
                  WHERE c.state = 'enqueued' AND c.queue = v_queue AND c.limited = false
                  ORDER BY c.priority DESC, c.seq LIMIT v_left
                  FOR UPDATE SKIP LOCKED))
           AND j.state = 'enqueued'
        RETURNING ${CLAIMED_RETURNING};
    END IF;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_left := v_left - v_n;
  END LOOP;
END
$fn$;`;
}
