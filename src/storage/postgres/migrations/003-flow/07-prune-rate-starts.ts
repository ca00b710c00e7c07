import { MAX_RATE_WINDOW_MS } from '../../../contract/index.js';
import { PINNED, type SchemaSql } from '../001-initial/fragments.js';

/**
 * `prune_rate_starts`: drops a bounded batch of rate starts older than the longest window
 * (`MAX_RATE_WINDOW_MS`), which no window counts any more. The claim prunes only the keys that
 * start jobs, so without it a key that stopped being used (a tenant gone) would keep its last
 * `max` starts forever. Called with expiry maintenance (`PostgresMaintenance.deleteExpired`), as
 * a function of its own so that `delete_expired` stays migration 1's.
 */
export function pruneRateStarts({ s }: SchemaSql): string {
  return `
CREATE INDEX rate_starts_at ON ${s}.rate_starts (at);

CREATE FUNCTION ${s}.prune_rate_starts(p_now bigint, p_limit integer)
RETURNS bigint
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_deleted bigint;
BEGIN
  DELETE FROM ${s}.rate_starts r
   WHERE r.ctid = ANY (ARRAY(SELECT o.ctid FROM ${s}.rate_starts o WHERE o.at <= p_now - ${MAX_RATE_WINDOW_MS} LIMIT p_limit));
  GET DIAGNOSTICS v_deleted = ROW_COUNT;
  RETURN v_deleted;
END
$fn$;`;
}
