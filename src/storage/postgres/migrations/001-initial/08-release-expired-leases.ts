import { notifyEnqueued, PINNED, requeueSet, requeueTail, type AfterRequeue, type RequeueSet, type SchemaSql } from './fragments.js';

/**
 * `release_expired_leases`: requeues a bounded batch of processing jobs whose lease ended, with
 * `requeue` (the SET list; migration 2 passes `interruptedSet`, which counts the interruption);
 * `after` (migration 5) also runs over the requeued rows.
 */
export function releaseExpiredLeases({ s, channel }: SchemaSql, requeue: RequeueSet = requeueSet, after?: AfterRequeue): string {
  const tail = requeueTail(after);
  return `
CREATE FUNCTION ${s}.release_expired_leases(p_now bigint, p_limit integer)
RETURNS bigint
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_moved bigint;
  v_notified bigint;
BEGIN
  WITH u AS (
    UPDATE ${s}.jobs j SET ${requeue(`'Lease of server ' || coalesce(j.server_id, 'null') || ' expired'`, 'p_now')}
     WHERE j.id = ANY (ARRAY(
             SELECT d.id FROM ${s}.jobs d WHERE d.state = 'processing' AND d.lease_until < p_now
              ORDER BY d.lease_until LIMIT p_limit FOR UPDATE SKIP LOCKED))
       AND j.state = 'processing'
    ${tail.returning}
  ),
  n AS (${notifyEnqueued(channel, 'u')})${tail.cte}
  SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM n)${tail.counted} INTO v_moved, v_notified;
  RETURN v_moved;
END
$fn$;`;
}
