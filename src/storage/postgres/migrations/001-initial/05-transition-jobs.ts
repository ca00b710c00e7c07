import { ACTIVE_SQL, COUNTER_SHARDS, PINNED, type SchemaSql } from './fragments.js';

/**
 * `transition_jobs`: a batch of compare-and-set changes with distinct ids, in one statement: the
 * update with history, the counters (succeeded/failed of "to" and of "passedThrough", per hour
 * and lifetime, in this backend's shard, locked in bucket order so concurrent batches cannot
 * deadlock on them), and the wake-ups (`enqueued` per queue; `aborted` for a job taken out of
 * `processing` by someone other than its worker). Returns the "i" of the changes that applied.
 */
export function transitionJobs({ s, channel }: SchemaSql): string {
  return `
CREATE FUNCTION ${s}.transition_jobs(p_ids text, p_expect text, p_sid text, p_entries text, p_sn text,
  p_sr text[], p_sd text, p_sa bigint[], p_q text, p_ra bigint[], p_ea bigint[], p_att integer[], p_p text,
  p_r text, p_cs integer[], p_cf integer[], p_hb bigint[], p_now bigint, p_reacquire boolean)
RETURNS integer[]
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_applied integer[];
  v_notified bigint;
BEGIN
  WITH c AS (
    SELECT * FROM unnest(string_to_array(p_ids, E'\\x1e'), string_to_array(p_expect, E'\\x1e'),
                         string_to_array(p_sid, E'\\x1e', E'\\x1f'), string_to_array(p_entries, E'\\x1e'),
                         string_to_array(p_sn, E'\\x1e'), p_sr, string_to_array(p_sd, E'\\x1e'), p_sa,
                         string_to_array(p_q, E'\\x1e', E'\\x1f'), p_ra, p_ea, p_att, string_to_array(p_p, E'\\x1e'),
                         string_to_array(p_r, E'\\x1e'), p_cs, p_cf, p_hb) WITH ORDINALITY
                   AS c(id, es, sid, e, sn, sr, sd, sa, q, ra, ea, att, p, r, cs, cf, hb, i)
     ORDER BY c.id
  ),
  u AS (
    UPDATE ${s}.jobs j SET
      prev_state = j.state,
      state = c.sn,
      state_reason = c.sr,
      state_data = nullif(c.sd, '')::jsonb,
      state_at = c.sa,
      history = j.history || ',' || c.e,
      queue = coalesce(c.q, j.queue),
      run_at = CASE WHEN c.sn = 'scheduled' THEN coalesce(c.ra, p_now) END,
      expire_at = c.ea,
      attempt = coalesce(c.att, j.attempt),
      parameters = CASE WHEN c.p = '' OR c.p IS NULL THEN j.parameters ELSE j.parameters || c.p::jsonb END,
      result = coalesce(nullif(c.r, ''), j.result),
      server_id = CASE WHEN c.sn = 'processing' THEN j.server_id END,
      lease_until = CASE WHEN c.sn = 'processing' THEN j.lease_until END,
      unique_slot = CASE
        WHEN j.unique_key IS NULL OR j.state IN ${ACTIVE_SQL} OR c.sn NOT IN ${ACTIVE_SQL} THEN j.unique_slot
        WHEN p_reacquire AND (j.unique_until IS NULL OR j.unique_until > p_now)
             AND NOT EXISTS (SELECT 1 FROM ${s}.jobs o WHERE o.unique_slot = j.unique_key
                                AND o.state IN ${ACTIVE_SQL} AND o.id <> j.id)
          THEN j.unique_key
      END
    FROM c
    WHERE j.id = c.id AND j.state = ANY (string_to_array(c.es, ','))
      AND (c.sid IS NULL OR (j.state = 'processing' AND j.server_id = c.sid))
    RETURNING c.i, j.id, j.queue, j.state, j.prev_state, c.sid IS NULL AS by_hand, c.cs, c.cf, c.hb
  ),
  h AS (
    SELECT u.hb AS bucket, coalesce(sum(u.cs), 0) AS s, coalesce(sum(u.cf), 0) AS f FROM u WHERE u.hb IS NOT NULL GROUP BY u.hb
  ),
  k AS (
    INSERT INTO ${s}.counters AS t (bucket, shard, succeeded, failed)
    SELECT b.bucket, (pg_backend_pid() % ${COUNTER_SHARDS})::smallint, b.s, b.f FROM (
      SELECT h.bucket, h.s, h.f FROM h
      UNION ALL
      SELECT -1, sum(h.s), sum(h.f) FROM h HAVING count(*) > 0
    ) b ORDER BY b.bucket
    ON CONFLICT (bucket, shard) DO UPDATE
      SET succeeded = t.succeeded + excluded.succeeded, failed = t.failed + excluded.failed
  ),
  n AS (
    SELECT pg_notify('${channel}', w.payload) FROM (
      SELECT DISTINCT '{"t":"e","q":' || to_json(u.queue)::text || '}' AS payload FROM u WHERE u.state = 'enqueued'
      UNION ALL
      SELECT '{"t":"a","id":' || to_json(u.id)::text || '}' FROM u WHERE u.prev_state = 'processing' AND u.by_hand
    ) w
  )
  SELECT coalesce((SELECT array_agg((u.i - 1)::integer) FROM u), '{}'), (SELECT count(*) FROM n) INTO v_applied, v_notified;
  RETURN v_applied;
END
$fn$;`;
}
