import { notifyEnqueued, PINNED, requeueSet, requeueTail, type AfterRequeue, type SchemaSql } from './fragments.js';

/**
 * `enqueue_due` moves a bounded batch of due scheduled jobs to their queues, earliest first;
 * `next_due_at` is when the earliest scheduled job becomes due, for the scheduler's timer.
 * `after` (migration 5) also runs over the requeued rows.
 */
export function dueJobs({ s, channel }: SchemaSql, after?: AfterRequeue): string {
  const tail = requeueTail(after);
  return `
CREATE FUNCTION ${s}.enqueue_due(p_now bigint, p_limit integer)
RETURNS bigint
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_moved bigint;
  v_notified bigint;
BEGIN
  WITH u AS (
    UPDATE ${s}.jobs j SET ${requeueSet(`'Scheduled time reached'`, 'p_now')}
     WHERE j.id = ANY (ARRAY(
             SELECT d.id FROM ${s}.jobs d WHERE d.state = 'scheduled' AND d.run_at <= p_now
              ORDER BY d.run_at, d.seq LIMIT p_limit FOR UPDATE SKIP LOCKED))
       AND j.state = 'scheduled'
    ${tail.returning}
  ),
  n AS (${notifyEnqueued(channel, 'u')})${tail.cte}
  SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM n)${tail.counted} INTO v_moved, v_notified;
  RETURN v_moved;
END
$fn$;

CREATE FUNCTION ${s}.next_due_at()
RETURNS bigint
LANGUAGE plpgsql ${PINNED} AS $fn$
BEGIN
  RETURN (SELECT min(j.run_at) FROM ${s}.jobs j WHERE j.state = 'scheduled');
END
$fn$;`;
}
