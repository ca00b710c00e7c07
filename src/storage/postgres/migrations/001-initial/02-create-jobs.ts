import { ACTIVE_SQL, PINNED, type SchemaSql } from './fragments.js';

/**
 * `create_jobs`: a batch with unique keys. Clears the slots of holders whose `uniqueUntil` has
 * passed, inserts what no active holder blocks, then finds the holder of each job turned away
 * with a fresh snapshot (returned as `o_i`, `o_id`), and tries again for jobs whose holder left
 * its active state meanwhile.
 */
export function createJobs({ s, channel }: SchemaSql): string {
  return `
CREATE FUNCTION ${s}.create_jobs(p_jobs jsonb, p_now bigint)
RETURNS TABLE (o_i integer, o_id text)
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_pending jsonb := p_jobs;
  v_keyed boolean;
  v_queues text[];
  v_is integer[];
  v_holders text[];
  v_tries integer := 0;
BEGIN
  v_keyed := EXISTS (SELECT 1 FROM jsonb_array_elements(p_jobs) x WHERE x ? 'uniqueKey');
  IF v_keyed THEN
    -- Holders whose uniqueUntil has passed stop blocking: clear their slot (keep their key).
    UPDATE ${s}.jobs j SET unique_slot = NULL
     WHERE j.unique_slot IN (SELECT x->>'uniqueKey' FROM jsonb_array_elements(p_jobs) x WHERE x ? 'uniqueKey')
       AND j.state IN ${ACTIVE_SQL} AND j.unique_until <= p_now;
  END IF;
  LOOP
    WITH ins AS (
      INSERT INTO ${s}.jobs (id, name, queue, args, state, state_reason, state_data, created_at, state_at,
                             run_at, parent_id, parameters, unique_key, unique_until, unique_slot, history)
      SELECT c.id, c.name, c.queue, c.args, c.state->>'name', c.state->>'reason', c.state->'data',
             c."createdAt", (c.state->>'at')::bigint, c."runAt", c."parentId", coalesce(c.parameters, '{}'),
             c."uniqueKey", c."uniqueUntil",
             CASE WHEN c."uniqueUntil" IS NULL OR c."uniqueUntil" > p_now THEN c."uniqueKey" END,
             c.state::text
        FROM jsonb_to_recordset(v_pending) AS c(i integer, id text, name text, queue text, args text, state jsonb,
             "createdAt" bigint, "runAt" bigint, "parentId" text, parameters jsonb, "uniqueKey" text, "uniqueUntil" bigint)
       ORDER BY c.i
      ON CONFLICT (unique_slot) WHERE unique_slot IS NOT NULL AND state IN ${ACTIVE_SQL} DO NOTHING
      RETURNING queue, state
    )
    SELECT array_agg(DISTINCT ins.queue) FILTER (WHERE ins.state = 'enqueued') INTO v_queues FROM ins;
    PERFORM pg_notify('${channel}', '{"t":"e","q":' || to_json(q)::text || '}') FROM unnest(v_queues) q;
    EXIT WHEN NOT v_keyed;
    -- Jobs not inserted lost to a unique key: find the holder with a fresh snapshot (this
    -- statement sees holders committed by others meanwhile, and the ones inserted just above).
    WITH r AS (
      SELECT (x->>'i')::integer AS i, x, h.id AS holder
        FROM jsonb_array_elements(v_pending) x
        LEFT JOIN LATERAL (
          SELECT h.id FROM ${s}.jobs h
           WHERE h.unique_slot = x->>'uniqueKey' AND h.state IN ${ACTIVE_SQL} LIMIT 1) h ON true
       WHERE x ? 'uniqueKey' AND NOT EXISTS (SELECT 1 FROM ${s}.jobs j WHERE j.id = x->>'id')
    )
    SELECT array_agg(r.i) FILTER (WHERE r.holder IS NOT NULL),
           array_agg(r.holder) FILTER (WHERE r.holder IS NOT NULL),
           coalesce(jsonb_agg(r.x) FILTER (WHERE r.holder IS NULL), '[]')
      INTO v_is, v_holders, v_pending FROM r;
    IF v_is IS NOT NULL THEN
      RETURN QUERY SELECT * FROM unnest(v_is, v_holders);
    END IF;
    -- A holder that left its active state between our insert and our look-up: try again.
    EXIT WHEN jsonb_array_length(v_pending) = 0;
    v_tries := v_tries + 1;
    IF v_tries > 20 THEN
      RAISE EXCEPTION 'kiln: unique keys kept changing hands while creating jobs';
    END IF;
  END LOOP;
END
$fn$;`;
}
