import { ACTIVE_STATES } from '../buckets.js';
import { channelOf } from './options.js';

/** `('enqueued','scheduled','awaiting','processing')`: the states in which a unique key blocks. */
export const ACTIVE_SQL = `(${ACTIVE_STATES.map((s) => `'${s}'`).join(',')})`;

/** Counter rows per bucket (see below): a power of two above a typical number of connections. */
export const COUNTER_SHARDS = 32;

/**
 * Planner settings pinned on every function that touches `jobs`. A queue table swings from
 * empty to millions of rows faster than autovacuum's ANALYZE notices, and a cached generic plan
 * made while it was small (a sequential scan, or a hash join against it) would then stay for
 * every later call on that connection: measured, a batch completion went from 1.5 ms to 14 ms
 * within 80k jobs. Every access path of these functions has its index, so they are told to use
 * it whatever the statistics say.
 * - Bitmap scans too: with stale statistics the claim's `id = ANY(...) AND state = 'enqueued'`
 *   was planned as a BitmapAnd of the primary key and the whole `jobs_enqueued` index, reading
 *   every enqueued job's entry on every fetch (15,100 entries for a claim of 100, measured).
 * - JIT off: the planner prices a disabled path (the sequential scan of the small `servers`
 *   table) at 10^10, far above `jit_above_cost`, so every call would compile its plan to machine
 *   code: measured, 250 ms of database CPU per watchdog sweep, for a statement that runs in
 *   0.3 ms. These are short statements that JIT never pays off for.
 * - Generic plans always: with the paths pinned the plan does not depend on the arguments, yet
 *   for a small batch the planner kept choosing a custom plan, i.e. planned the transition
 *   statement on every call: a one-job completion took 0.72 ms of database CPU, 0.31 ms without.
 */
const PINNED =
  'SET enable_seqscan = off SET enable_bitmapscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off SET plan_cache_mode = force_generic_plan';

/** The SET list that puts a job back in its queue (lease expiry, dead server, due schedule). */
function requeueSet(reason: string, now: string): string {
  return `prev_state = j.state, state = 'enqueued', state_reason = ${reason}, state_data = NULL,
             state_at = ${now}, run_at = NULL, server_id = NULL, lease_until = NULL,
             history = j.history || ',' || json_build_object('name', 'enqueued', 'reason', ${reason}, 'at', ${now})::text`;
}

/**
 * Migration 1: every table, index and function.
 *
 * - `jobs` holds one row per job, its history on the row as text: the entries' JSON texts joined
 *   by commas (the reader wraps them in brackets). The row is rewritten on every state change
 *   anyway (its state columns change; Postgres rows are immutable), so appending ~80 bytes to it
 *   costs little, while a history table adds an insert, an index entry and their WAL per
 *   transition, and a second delete per expired job; and appending to text is a copy, where
 *   appending to a jsonb array decodes and re-encodes it. Measured with bench/postgres-history.ts
 *   (claim + complete, batches of 100): ~1,050 WAL bytes per job for text, ~1,160 for a jsonb
 *   array, ~1,420 for a table.
 *   Times are epoch milliseconds (`bigint`), as the contract passes them.
 * - `seq` orders jobs FIFO. `prev_state` is written by every state change so that a statement's
 *   `RETURNING` knows which jobs left `processing` (for the `aborted` wake-up).
 * - Unique keys: `unique_slot` is `unique_key` while the job may block others; a partial unique
 *   index over the active states allows one holder per key. An expired holder
 *   (`unique_until <= now`) has its slot cleared by the next create of that key, in the same
 *   call, so it stops blocking without losing the key shown on the dashboard. A job coming back
 *   to an active state takes its slot again only if no other active job holds the key.
 * - Partial indexes where a hot query needs them: enqueued by (queue, seq) for `fetch`;
 *   scheduled by (run_at, seq); processing by lease_until (a small set, also scanned for a
 *   server's jobs); awaiting by seq; continuations by parent; expiry by expire_at; failed by seq
 *   (failed jobs never expire, the dashboard pages them). Every state change rewrites the row and
 *   adds an entry to each index whose predicate the new row matches, so there is deliberately
 *   no index over every state: a (state, seq) index cost 8-9% of fetch + complete throughput
 *   (bench, 1 and 4 loops). The dashboard's pages of succeeded and deleted jobs and its counts
 *   per state read the table instead (about 0.1 s per million retained jobs).
 * - `counters`: succeeded/failed per UTC hour (`bucket` = start of the hour) and lifetime
 *   (`bucket` = -1), sharded by backend (`shard` = pid % 32) so concurrent completers on
 *   different connections do not queue on one hot row until their commit; readers sum the
 *   shards, and `delete_expired` folds the shards of past hours into shard 0.
 * - Every operation on `jobs` is one function call (one round trip, plans pinned: see PINNED).
 *   `fetch_jobs` claims in queue priority order with one `FOR UPDATE SKIP LOCKED` statement per
 *   queue (a single ORDER BY array_position(...) cannot use the (queue, seq) index and sorts the
 *   whole backlog). Wake-ups are `pg_notify` in the same statement, so a transaction's arrive
 *   on its commit.
 */
export function initialSchema(schema: string): string {
  const s = `"${schema}"`;
  const channel = channelOf(schema);
  const notifyEnqueued = (from: string) =>
    `SELECT pg_notify('${channel}', '{"t":"e","q":' || to_json(q.queue)::text || '}') FROM (SELECT DISTINCT queue FROM ${from}) q`;
  return `
CREATE TABLE ${s}.jobs (
  seq bigint GENERATED ALWAYS AS IDENTITY,
  created_at bigint NOT NULL,
  state_at bigint NOT NULL,
  run_at bigint,
  lease_until bigint,
  expire_at bigint,
  unique_until bigint,
  attempt integer NOT NULL DEFAULT 1,
  id text COLLATE "C" PRIMARY KEY,
  state text COLLATE "C" NOT NULL,
  prev_state text COLLATE "C",
  queue text COLLATE "C" NOT NULL,
  name text NOT NULL,
  server_id text COLLATE "C",
  parent_id text COLLATE "C",
  unique_key text COLLATE "C",
  unique_slot text COLLATE "C",
  state_reason text,
  state_data jsonb,
  parameters jsonb NOT NULL DEFAULT '{}',
  args text NOT NULL,
  result text,
  history text NOT NULL
) WITH (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

CREATE INDEX jobs_enqueued ON ${s}.jobs (queue, seq) WHERE state = 'enqueued';
CREATE INDEX jobs_scheduled ON ${s}.jobs (run_at, seq) WHERE state = 'scheduled';
CREATE INDEX jobs_processing ON ${s}.jobs (lease_until) WHERE state = 'processing';
CREATE INDEX jobs_awaiting ON ${s}.jobs (seq) WHERE state = 'awaiting';
CREATE INDEX jobs_parent ON ${s}.jobs (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX jobs_expire ON ${s}.jobs (expire_at) WHERE expire_at IS NOT NULL;
CREATE INDEX jobs_failed ON ${s}.jobs (seq) WHERE state = 'failed';
CREATE UNIQUE INDEX jobs_unique ON ${s}.jobs (unique_slot)
  WHERE unique_slot IS NOT NULL AND state IN ${ACTIVE_SQL};

CREATE TABLE ${s}.servers (
  id text PRIMARY KEY,
  name text NOT NULL,
  worker_count integer NOT NULL,
  queues jsonb NOT NULL,
  started_at bigint NOT NULL,
  heartbeat_at bigint NOT NULL
);

CREATE TABLE ${s}.locks (
  resource text PRIMARY KEY,
  owner text NOT NULL,
  until bigint NOT NULL
);

CREATE TABLE ${s}.recurring (
  id text PRIMARY KEY,
  name text NOT NULL,
  queue text NOT NULL,
  args text NOT NULL,
  cron text NOT NULL,
  time_zone text NOT NULL,
  misfire text NOT NULL,
  next_execution bigint,
  last_execution bigint,
  last_job_id text,
  paused boolean NOT NULL DEFAULT false,
  created_at bigint NOT NULL,
  error text
);
CREATE INDEX recurring_due ON ${s}.recurring (next_execution) WHERE NOT paused AND next_execution IS NOT NULL;

CREATE TABLE ${s}.counters (
  bucket bigint NOT NULL,
  shard smallint NOT NULL,
  succeeded bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, shard)
);

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
$fn$;

-- Jobs without unique keys (the bulk of enqueues): one INSERT from arrays, as transition_jobs
-- takes them (see postgres-storage.ts), and the wake-ups. create_jobs above handles the rest.
CREATE FUNCTION ${s}.insert_jobs(p_ids text, p_names text, p_queues text, p_args text, p_states text,
  p_reasons text[], p_data text, p_created bigint[], p_at bigint[], p_run_at bigint[], p_parents text,
  p_parameters text, p_entries text)
RETURNS void
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_notified bigint;
BEGIN
  WITH ins AS (
    INSERT INTO ${s}.jobs (id, name, queue, args, state, state_reason, state_data, created_at, state_at,
                           run_at, parent_id, parameters, history)
    SELECT c.id, c.name, c.queue, c.args, c.state, c.reason, nullif(c.data, '')::jsonb, c.created, c.at,
           c.run_at, c.parent, coalesce(nullif(c.parameters, ''), '{}')::jsonb, c.entry
      FROM unnest(string_to_array(p_ids, E'\\x1e'), string_to_array(p_names, E'\\x1e'),
                  string_to_array(p_queues, E'\\x1e'), string_to_array(p_args, E'\\x1e'),
                  string_to_array(p_states, E'\\x1e'), p_reasons, string_to_array(p_data, E'\\x1e'),
                  p_created, p_at, p_run_at, string_to_array(p_parents, E'\\x1e', E'\\x1f'),
                  string_to_array(p_parameters, E'\\x1e'), string_to_array(p_entries, E'\\x1e')) WITH ORDINALITY
           AS c(id, name, queue, args, state, reason, data, created, at, run_at, parent, parameters, entry, i)
     ORDER BY c.i
    RETURNING queue, state
  ),
  n AS (${notifyEnqueued(`ins WHERE ins.state = 'enqueued'`)})
  SELECT count(*) INTO v_notified FROM n;
END
$fn$;

-- Claims in queue priority order. The claimed rows are updated by the ctid their lock returned
-- (a TID scan) rather than looked up again by id: the rows are locked by this statement, so the
-- ctid is current, and a row that moved anyway fails the recheck and simply is not claimed.
-- Returns only the columns the claim did not just set (the caller knows those): a third of the
-- row to format here and to parse there.
CREATE FUNCTION ${s}.fetch_jobs(p_queues text[], p_max integer, p_server text, p_lease_until bigint, p_now bigint)
RETURNS TABLE (o_seq bigint, o_id text, o_name text, o_queue text, o_args text, o_created_at bigint,
               o_attempt integer, o_parameters jsonb, o_parent_id text, o_run_at bigint, o_expire_at bigint,
               o_result text, o_unique_key text)
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_left integer := p_max;
  v_n integer;
  v_queue text;
  v_data jsonb := jsonb_build_object('serverId', p_server);
  v_entry text := ',' || json_build_object('name', 'processing', 'data', v_data, 'at', p_now)::text;
BEGIN
  FOREACH v_queue IN ARRAY p_queues LOOP
    EXIT WHEN v_left <= 0;
    RETURN QUERY
      UPDATE ${s}.jobs j
         SET state = 'processing', prev_state = j.state, state_reason = NULL, state_data = v_data,
             state_at = p_now, server_id = p_server, lease_until = p_lease_until,
             history = j.history || v_entry
       WHERE j.ctid = ANY (ARRAY(
               SELECT c.ctid FROM ${s}.jobs c
                WHERE c.state = 'enqueued' AND c.queue = v_queue
                ORDER BY c.seq LIMIT v_left
                FOR UPDATE SKIP LOCKED))
         AND j.state = 'enqueued'
      RETURNING j.seq, j.id, j.name, j.queue, j.args, j.created_at, j.attempt, j.parameters, j.parent_id,
                j.run_at, j.expire_at, j.result, j.unique_key;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_left := v_left - v_n;
  END LOOP;
END
$fn$;

-- A batch of compare-and-set changes with distinct ids, in one statement: the update with
-- history, the counters (succeeded/failed of "to" and of "passedThrough", per hour and lifetime,
-- in this backend's shard, locked in bucket order so concurrent batches cannot deadlock on them),
-- and the wake-ups. Returns the "i" of the changes that applied.
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
$fn$;

CREATE FUNCTION ${s}.renew_leases(p_server text, p_ids text[], p_until bigint)
RETURNS SETOF text
LANGUAGE plpgsql ${PINNED} AS $fn$
BEGIN
  RETURN QUERY
    UPDATE ${s}.jobs j SET lease_until = p_until
     WHERE j.id = ANY (p_ids) AND j.state = 'processing' AND j.server_id = p_server
    RETURNING j.id::text;
END
$fn$;

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
    RETURNING j.queue
  ),
  n AS (${notifyEnqueued('u')})
  SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM n) INTO v_moved, v_notified;
  RETURN v_moved;
END
$fn$;

CREATE FUNCTION ${s}.next_due_at()
RETURNS bigint
LANGUAGE plpgsql ${PINNED} AS $fn$
BEGIN
  RETURN (SELECT min(j.run_at) FROM ${s}.jobs j WHERE j.state = 'scheduled');
END
$fn$;

CREATE FUNCTION ${s}.release_expired_leases(p_now bigint, p_limit integer)
RETURNS bigint
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_moved bigint;
  v_notified bigint;
BEGIN
  WITH u AS (
    UPDATE ${s}.jobs j SET ${requeueSet(`'Lease of server ' || coalesce(j.server_id, 'null') || ' expired'`, 'p_now')}
     WHERE j.id = ANY (ARRAY(
             SELECT d.id FROM ${s}.jobs d WHERE d.state = 'processing' AND d.lease_until < p_now
              ORDER BY d.lease_until LIMIT p_limit FOR UPDATE SKIP LOCKED))
       AND j.state = 'processing'
    RETURNING j.queue
  ),
  n AS (${notifyEnqueued('u')})
  SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM n) INTO v_moved, v_notified;
  RETURN v_moved;
END
$fn$;

-- Removes one server (p_id) or the servers silent since p_before, and requeues the jobs they
-- held (for p_id, even when its record is already gone). Returns the removed ids.
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
    UPDATE ${s}.jobs j SET ${requeueSet(`'Server ' || j.server_id || ' stopped or timed out'`, 'p_now')}
     WHERE j.state = 'processing' AND (j.server_id = p_id OR j.server_id IN (SELECT d.id FROM d))
    RETURNING j.queue
  ),
  n AS (${notifyEnqueued('u')})
  SELECT coalesce((SELECT array_agg(d.id ORDER BY d.started_at, d.id) FROM d), '{}'), (SELECT count(*) FROM n)
    INTO v_ids, v_notified;
  RETURN QUERY SELECT unnest(v_ids);
END
$fn$;

-- Deletes a bounded batch of expired jobs, and folds the counter shards of hours before
-- p_fold_before into shard 0. Returns how many jobs it deleted.
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
    RETURNING 1
  ),
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
$fn$;

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
$fn$;
`;
}
