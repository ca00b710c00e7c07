import { MAX_RATE_WINDOW_MS } from '../../../contract/index.js';
import { deleteExpired } from '../001-initial/10-delete-expired.js';
import type { SchemaSql } from '../001-initial/fragments.js';

/**
 * `delete_expired` also drops a bounded batch of rate starts older than the longest window
 * (`MAX_RATE_WINDOW_MS`): no window counts them any more, and the claim prunes only the keys that
 * start jobs, so a key that stopped being used (a tenant gone) would keep its last `max` starts
 * forever. Migration 1's statement with one more CTE; the signature and the result (jobs deleted)
 * are unchanged.
 */
export function deleteExpiredWithStarts(names: SchemaSql): string {
  const { s } = names;
  const sql = deleteExpired(names).replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION');
  const anchor = `  SELECT count(*) INTO v_deleted FROM d;`;
  if (!sql.includes(anchor)) throw new Error('delete_expired: statement changed, update migration 3');
  const starts = `,
  starts AS (
    DELETE FROM ${s}.rate_starts r
     WHERE r.ctid = ANY (ARRAY(SELECT o.ctid FROM ${s}.rate_starts o WHERE o.at <= p_now - ${MAX_RATE_WINDOW_MS} LIMIT p_limit))
    RETURNING 1
  )
`;
  return `CREATE INDEX rate_starts_at ON ${s}.rate_starts (at);\n` + sql.replace(`\n${anchor}`, `${starts}${anchor}`);
}
