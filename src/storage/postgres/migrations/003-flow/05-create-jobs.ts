import { ACTIVE_SQL, PINNED, type SchemaSql } from '../001-initial/fragments.js';
import { uniqueKeyLock } from './fragments.js';

/** The columns of a job in `p_jobs`, as `jsonb_to_recordset` reads them. */
const RECORD = `c(i integer, id text, name text, queue text, args text, state jsonb, "createdAt" bigint, "runAt" bigint,
  "parentId" text, parameters jsonb, "uniqueKey" text, "uniqueUntil" bigint, priority smallint, ck text, cl integer,
  rk text, rm integer, rp bigint)`;

/**
 * `create_jobs` with the unique modes (see `UniqueMode`) and each job's priority and limits.
 *
 * A debounced or throttled call looks past the unique index (at pending holders only, or at
 * throttle windows of any state), so those calls take an advisory lock per key (in key order,
 * against deadlocks), then find their holder with a fresh snapshot: a debounce replaces a pending
 * holder in place (or keeps an awaiting one), or releases the key of a running one for good; a
 * throttle is dropped while its window's holder exists. The calls left (no holder) and every
 * `keep` call go through migration 1's insert: `ON CONFLICT` on the unique slot, holder look-up,
 * retry. A `keep` call takes no lock: the unique index alone decides between it and the others.
 */
export function createJobsWithFlow(names: SchemaSql, debounce: FreshDebounce = DEFERRED): string {
  const { s, channel } = names;
  const modes = `x ? 'uniqueKey' AND x->>'uniqueMode' IN ('debounce', 'throttle')`;
  return `
CREATE OR REPLACE FUNCTION ${s}.create_jobs(p_jobs jsonb, p_now bigint)
RETURNS TABLE (o_i integer, o_id text)
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_pending jsonb := p_jobs;
  v_keyed boolean;
  v_queues text[];
  v_is integer[];
  v_holders text[];
  v_tries integer := 0;
  v_key text;
  v_job jsonb;
  v_holder record;
  v_done integer[] := '{}';
  v_done_ids text[] := '{}';${debounce.declare}
BEGIN
  v_keyed := EXISTS (SELECT 1 FROM jsonb_array_elements(p_jobs) x WHERE x ? 'uniqueKey');
  IF v_keyed THEN
    FOR v_key IN SELECT DISTINCT x->>'uniqueKey' FROM jsonb_array_elements(p_jobs) x WHERE ${modes} ORDER BY 1 LOOP
      PERFORM ${uniqueKeyLock(names, 'v_key')};
    END LOOP;
    -- Holders whose uniqueUntil has passed stop blocking: clear their slot (keep their key).
    UPDATE ${s}.jobs j SET unique_slot = NULL
     WHERE j.unique_slot IN (SELECT x->>'uniqueKey' FROM jsonb_array_elements(p_jobs) x WHERE x ? 'uniqueKey')
       AND j.state IN ${ACTIVE_SQL} AND j.unique_until <= p_now;
    FOR v_job IN SELECT x FROM jsonb_array_elements(p_jobs) x WHERE ${modes} ORDER BY (x->>'i')::integer LOOP
      v_key := v_job->>'uniqueKey';
      IF v_job->>'uniqueMode' = 'throttle' THEN
        SELECT h.id INTO v_holder FROM (
          (SELECT t.seq, t.id FROM ${s}.jobs t
            WHERE t.unique_key = v_key AND t.unique_key IS NOT NULL AND t.unique_until IS NOT NULL AND t.unique_until > p_now
            ORDER BY t.seq LIMIT 1)
          UNION ALL
          (SELECT a.seq, a.id FROM ${s}.jobs a
            WHERE a.unique_slot = v_key AND a.unique_slot IS NOT NULL AND a.state IN ${ACTIVE_SQL} AND a.unique_until IS NULL
            LIMIT 1)
        ) h ORDER BY h.seq LIMIT 1;
        IF FOUND THEN
          v_done := v_done || (v_job->>'i')::integer;
          v_done_ids := v_done_ids || v_holder.id;
        END IF;
        CONTINUE;
      END IF;
      SELECT h.id, h.state, h.queue INTO v_holder FROM ${s}.jobs h
       WHERE h.unique_slot = v_key AND h.unique_slot IS NOT NULL AND h.state IN ${ACTIVE_SQL}
         AND h.state IN ('enqueued', 'scheduled', 'awaiting')
       ORDER BY h.seq LIMIT 1;
      IF NOT FOUND THEN
        -- A job that already started holds no key for a debounced call: it gives the key up for good.
        UPDATE ${s}.jobs j SET unique_slot = NULL, unique_until = p_now
         WHERE j.unique_slot = v_key AND j.unique_slot IS NOT NULL AND j.state IN ${ACTIVE_SQL} AND j.state = 'processing';${debounce.noHolder(names)}
        CONTINUE;
      END IF;
      IF v_holder.state <> 'awaiting' THEN
        UPDATE ${s}.jobs j SET
          args = v_job->>'args',
          priority = coalesce((v_job->>'priority')::smallint, 0),
          limited = v_job ? 'ck' OR v_job ? 'rk',
          concurrency_key = v_job->>'ck', concurrency_limit = (v_job->>'cl')::integer,
          rate_key = v_job->>'rk', rate_max = (v_job->>'rm')::integer, rate_per_ms = (v_job->>'rp')::bigint,
          prev_state = j.state, state = v_job->'state'->>'name', state_reason = v_job->'state'->>'reason',
          state_data = v_job->'state'->'data', state_at = (v_job->'state'->>'at')::bigint,
          run_at = (v_job->>'runAt')::bigint, history = j.history || ',' || (v_job->'state')::text
         WHERE j.id = v_holder.id;
        IF v_job->'state'->>'name' = 'enqueued' THEN
          PERFORM pg_notify('${channel}', '{"t":"e","q":' || to_json(v_holder.queue)::text || '}');
        END IF;
      END IF;
      v_done := v_done || (v_job->>'i')::integer;
      v_done_ids := v_done_ids || v_holder.id;
    END LOOP;
${debounce.settle}  END IF;
  LOOP
    WITH ins AS (
${insertJobsFrom(names, 'v_pending')}
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

/**
 * The insert of the jobs in a JSON array (`source`, an SQL expression), each as `RECORD` reads
 * it, in batch order; a job whose unique key has an active holder is skipped (`ON CONFLICT`).
 * Returns each inserted job's queue and state.
 */
function insertJobsFrom({ s }: SchemaSql, source: string): string {
  return `      INSERT INTO ${s}.jobs (id, name, queue, args, state, state_reason, state_data, created_at, state_at,
                             run_at, parent_id, parameters, unique_key, unique_until, unique_slot, history,
                             priority, limited, concurrency_key, concurrency_limit, rate_key, rate_max, rate_per_ms)
      SELECT c.id, c.name, c.queue, c.args, c.state->>'name', c.state->>'reason', c.state->'data',
             c."createdAt", (c.state->>'at')::bigint, c."runAt", c."parentId", coalesce(c.parameters, '{}'),
             c."uniqueKey", c."uniqueUntil",
             CASE WHEN c."uniqueUntil" IS NULL OR c."uniqueUntil" > p_now THEN c."uniqueKey" END,
             c.state::text, coalesce(c.priority, 0), c.ck IS NOT NULL OR c.rk IS NOT NULL, c.ck, c.cl, c.rk, c.rm, c.rp
        FROM jsonb_to_recordset(${source}) AS ${RECORD}
       ORDER BY c.i
      ON CONFLICT (unique_slot) WHERE unique_slot IS NOT NULL AND state IN ${ACTIVE_SQL} DO NOTHING
      RETURNING queue, state`;
}

/**
 * What `create_jobs` does with a debounced call that finds no pending holder (migrations 3 and 7
 * differ only here): `declare`s more variables, runs `noHolder` in that case, and `settle`s the
 * calls the debounce and throttle loop decided (returns the holders' ids, takes those calls out
 * of `v_pending`).
 */
export interface FreshDebounce {
  declare: string;
  noHolder: (names: SchemaSql) => string;
  settle: string;
}

/**
 * Migration 3: the call is left to the batch's insert with the others. A second debounced call
 * of the same key in the same batch then finds no holder either, and loses to the first at the
 * insert: the job keeps the first call's arguments.
 */
const DEFERRED: FreshDebounce = {
  declare: '',
  noHolder: () => '',
  settle: `    IF array_length(v_done, 1) > 0 THEN
      RETURN QUERY SELECT * FROM unnest(v_done, v_done_ids);
      SELECT coalesce(jsonb_agg(x), '[]') INTO v_pending
        FROM jsonb_array_elements(p_jobs) x WHERE NOT ((x->>'i')::integer = ANY (v_done));
    END IF;
`,
};

/**
 * Migration 7: the call is inserted at once, so a later debounced call of the same key in the
 * same batch finds it pending and replaces it, as separate calls would (the last call's
 * arguments and start, one history entry per call). A holder that appeared meanwhile (a `keep`
 * call of another transaction takes no lock) makes the insert do nothing, and the call goes on to
 * the batch's insert, which resolves it to that holder.
 */
export const INSERTED_AT_ONCE: FreshDebounce = {
  declare: `
  v_inserted integer[] := '{}';
  v_ins record;`,
  noHolder: (names) => `
        WITH ins AS (
${insertJobsFrom(names, 'jsonb_build_array(v_job)')}
        )
        SELECT ins.queue, ins.state INTO v_ins FROM ins;
        IF FOUND THEN
          v_inserted := v_inserted || (v_job->>'i')::integer;
          IF v_ins.state = 'enqueued' THEN
            PERFORM pg_notify('${names.channel}', '{"t":"e","q":' || to_json(v_ins.queue)::text || '}');
          END IF;
        END IF;`,
  settle: `    IF array_length(v_done, 1) > 0 THEN
      RETURN QUERY SELECT * FROM unnest(v_done, v_done_ids);
    END IF;
    IF array_length(v_done, 1) > 0 OR array_length(v_inserted, 1) > 0 THEN
      SELECT coalesce(jsonb_agg(x), '[]') INTO v_pending
        FROM jsonb_array_elements(p_jobs) x WHERE NOT ((x->>'i')::integer = ANY (v_done || v_inserted));
    END IF;
`,
};
