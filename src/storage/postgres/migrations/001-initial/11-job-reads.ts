import { PINNED, type SchemaSql } from './fragments.js';

/**
 * Reads of jobs, as functions so that their plans are pinned too: `get_job` (one row),
 * `children` (a job's continuation ids), `continuations_of` (awaiting children of some parents),
 * `awaiting_ready` (awaiting jobs whose parent is final or gone).
 */
export function jobReads({ s }: SchemaSql): string {
  return `
CREATE FUNCTION ${s}.get_job(p_id text)
RETURNS SETOF ${s}.jobs
LANGUAGE plpgsql ${PINNED} AS $fn$
BEGIN
  RETURN QUERY SELECT * FROM ${s}.jobs j WHERE j.id = p_id;
END
$fn$;

CREATE FUNCTION ${s}.children(p_id text)
RETURNS text[]
LANGUAGE plpgsql ${PINNED} AS $fn$
BEGIN
  RETURN ARRAY(SELECT c.id FROM ${s}.jobs c WHERE c.parent_id = p_id ORDER BY c.seq);
END
$fn$;

CREATE FUNCTION ${s}.continuations_of(p_ids text[])
RETURNS SETOF ${s}.jobs
LANGUAGE plpgsql ${PINNED} AS $fn$
BEGIN
  RETURN QUERY SELECT * FROM ${s}.jobs j WHERE j.parent_id = ANY (p_ids) AND j.state = 'awaiting' ORDER BY j.seq;
END
$fn$;

CREATE FUNCTION ${s}.awaiting_ready(p_limit integer)
RETURNS TABLE (job ${s}.jobs, parent_state text, parent_result text)
LANGUAGE plpgsql ${PINNED} AS $fn$
BEGIN
  RETURN QUERY
    SELECT j, p.state::text, p.result
      FROM ${s}.jobs j LEFT JOIN ${s}.jobs p ON p.id = j.parent_id
     WHERE j.state = 'awaiting' AND (p.id IS NULL OR p.state IN ('succeeded', 'deleted'))
     ORDER BY j.seq LIMIT p_limit;
END
$fn$;`;
}
