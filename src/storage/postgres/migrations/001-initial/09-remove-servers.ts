import { notifyEnqueued, PINNED, requeueSet, requeueTail, type AfterRequeue, type RequeueSet, type SchemaSql } from './fragments.js';

/**
 * `remove_servers`: removes one server (`p_id`) or the servers silent since `p_before`, and
 * requeues the jobs they held (for `p_id`, even when its record is already gone). Returns the
 * removed ids. `requeue` is the SET list (migration 2 passes `interruptedSet`, which counts the
 * interruption); `after` (migration 5) also runs over the requeued rows.
 */
export function removeServers({ s, channel }: SchemaSql, requeue: RequeueSet = requeueSet, after?: AfterRequeue): string {
  const tail = requeueTail(after);
  return `
CREATE FUNCTION ${s}.remove_servers(p_id text, p_before bigint, p_now bigint)
RETURNS SETOF text
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_ids text[];
  v_notified bigint;
BEGIN
  WITH d AS (
    DELETE FROM ${s}.servers v
     WHERE (p_id IS NOT NULL AND v.id = p_id) OR (p_id IS NULL AND v.heartbeat_at < p_before)
    RETURNING v.id, v.started_at
  ),
  u AS (
    UPDATE ${s}.jobs j SET ${requeue(`'Server ' || j.server_id || ' stopped or timed out'`, 'p_now')}
     WHERE j.state = 'processing' AND (j.server_id = p_id OR j.server_id IN (SELECT d.id FROM d))
    ${tail.returning}
  ),
  n AS (${notifyEnqueued(channel, 'u')})${tail.cte}
  SELECT coalesce((SELECT array_agg(d.id ORDER BY d.started_at, d.id) FROM d), '{}'), (SELECT count(*) FROM n)${tail.counted}
    INTO v_ids, v_notified;
  RETURN QUERY SELECT unnest(v_ids);
END
$fn$;`;
}
