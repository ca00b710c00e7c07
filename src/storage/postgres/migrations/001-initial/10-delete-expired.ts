import { PINNED, type SchemaSql } from './fragments.js';

/**
 * `delete_expired`: deletes a bounded batch of expired jobs, and folds the counter shards of
 * hours before `p_fold_before` into shard 0. Returns how many jobs it deleted. `alsoDelete`
 * (migration 5: the jobs' logs) is more CTEs, each after a comma, that delete what belongs to
 * the deleted jobs, the rows of `d` (`seq`).
 */
export function deleteExpired({ s }: SchemaSql, alsoDelete?: string): string {
  return `
CREATE FUNCTION ${s}.delete_expired(p_now bigint, p_limit integer, p_fold_before bigint)
RETURNS bigint
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_deleted bigint;
BEGIN
  WITH d AS (
    DELETE FROM ${s}.jobs j
     WHERE j.id = ANY (ARRAY(
             SELECT x.id FROM ${s}.jobs x WHERE x.expire_at <= p_now
              LIMIT p_limit FOR UPDATE SKIP LOCKED))
       AND j.expire_at <= p_now
    RETURNING ${alsoDelete ? 'j.seq' : '1'}
  )${alsoDelete ?? ''},
  old AS (
    DELETE FROM ${s}.counters c WHERE c.bucket >= 0 AND c.bucket < p_fold_before AND c.shard <> 0
    RETURNING c.bucket, c.succeeded, c.failed
  ),
  fold AS (
    INSERT INTO ${s}.counters AS t (bucket, shard, succeeded, failed)
    SELECT old.bucket, 0, sum(old.succeeded), sum(old.failed) FROM old GROUP BY old.bucket ORDER BY old.bucket
    ON CONFLICT (bucket, shard) DO UPDATE
      SET succeeded = t.succeeded + excluded.succeeded, failed = t.failed + excluded.failed
  )
  SELECT count(*) INTO v_deleted FROM d;
  RETURN v_deleted;
END
$fn$;`;
}
