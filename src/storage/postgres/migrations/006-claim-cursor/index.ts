import { MAX_PRIORITY } from '../../../contract/index.js';
import { channelOf } from '../../options.js';
import { PINNED, type SchemaSql } from '../001-initial/fragments.js';
import { CHUNK, type CandidateReads, claimLimited, fullKeyFilters } from '../003-flow/03-claim-limited.js';
import type { Migration } from '../index.js';

/**
 * `limited_candidates`: up to `p_limit` enqueued limited jobs of a queue after a position in
 * claim order (`p_priority`, `p_after`: the last candidate read), leaving out the keys found full,
 * each locked `FOR UPDATE SKIP LOCKED`. Two statements, each one range of the fetch index
 * `(queue, limited, priority DESC, seq)`: the rest of the position's priority, then the lower
 * priorities. (One statement with `priority < p OR (priority = p AND seq > a)` cannot seek: it
 * would read and filter every row before the position again. Locking clauses are not allowed
 * in a UNION, hence a function.)
 */
function limitedCandidates({ s }: SchemaSql): string {
  const columns = 'c.id, c.priority, c.seq, c.concurrency_key, c.concurrency_limit, c.rate_key, c.rate_max, c.rate_per_ms';
  const where = `c.state = 'enqueued' AND c.queue = p_queue AND c.limited = true AND ${fullKeyFilters('p_full_c', 'p_full_r')}`;
  return `
CREATE FUNCTION ${s}.limited_candidates(p_queue text, p_priority smallint, p_after bigint, p_full_c text[], p_full_r text[], p_limit integer)
RETURNS TABLE (o_id text, o_priority smallint, o_seq bigint, o_concurrency_key text, o_concurrency_limit integer,
               o_rate_key text, o_rate_max integer, o_rate_per_ms bigint)
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_n integer;
BEGIN
  RETURN QUERY
    SELECT ${columns} FROM ${s}.jobs c
     WHERE ${where} AND c.priority = p_priority AND c.seq > p_after
     ORDER BY c.seq LIMIT p_limit
     FOR UPDATE SKIP LOCKED;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n < p_limit THEN
    RETURN QUERY
      SELECT ${columns} FROM ${s}.jobs c
       WHERE ${where} AND c.priority < p_priority
       ORDER BY c.priority DESC, c.seq LIMIT p_limit - v_n
       FOR UPDATE SKIP LOCKED;
  END IF;
END
$fn$;`;
}

/**
 * Migration 6's reads for `claim_limited`: each chunk starts after the last candidate read
 * (`v_after_pri`, `v_after_seq`), so no row is read twice in one claim. Migration 3 left out the
 * jobs already chosen instead, so each chunk read every earlier row again and compared it with
 * every chosen id: a claim of 425 jobs spent most of its 16 ms there.
 */
function afterCursor({ s }: SchemaSql): CandidateReads {
  return {
    create: 'CREATE OR REPLACE FUNCTION',
    declare: `
  v_after_pri smallint := ${MAX_PRIORITY + 1};
  v_after_seq bigint := 0;`,
    query: `      SELECT k.o_id AS id, k.o_priority AS priority, k.o_seq AS seq, k.o_concurrency_key AS concurrency_key,
             k.o_concurrency_limit AS concurrency_limit, k.o_rate_key AS rate_key, k.o_rate_max AS rate_max,
             k.o_rate_per_ms AS rate_per_ms
        FROM ${s}.limited_candidates(p_queue, v_after_pri, v_after_seq, v_full_c, v_full_r, ${CHUNK}) k
       ORDER BY k.o_priority DESC, k.o_seq`,
    onCandidate: `
      v_after_pri := v_cand.priority;
      v_after_seq := v_cand.seq;`,
  };
}

/** Migration 6: `claim_limited` reads its candidates after a cursor (see `afterCursor`). */
export const claimCursor: Migration = {
  version: 6,
  name: 'limited claims read their candidates after a cursor',
  up(schema: string): string {
    const names: SchemaSql = { s: `"${schema}"`, channel: channelOf(schema) };
    return `${limitedCandidates(names)}\n${claimLimited(names, afterCursor(names))}\n`;
  },
};
