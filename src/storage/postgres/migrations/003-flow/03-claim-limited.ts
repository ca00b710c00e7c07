import { PINNED, type SchemaSql } from '../001-initial/fragments.js';
import { CLAIM_DECLARE, CLAIM_SET, CLAIMED_COLUMNS, CLAIMED_RETURNING, flowLock, RATE_KEY, RATE_QUEUE } from './fragments.js';

/** How many limited candidates `claim_limited` reads at a time. */
export const CHUNK = 64;

/**
 * `claim_limited`: claims up to `p_room` jobs of a queue that is paused, limited, or holds
 * limited jobs, under the schema's flow lock (see `flowLock`), so that what it counts (processing
 * jobs of a key or queue, starts in a window) cannot change under it from another claim:
 *
 * 1. A paused queue gives nothing (read before the lock, which it does not take). The queue's
 *    own limits cut the room: its concurrency minus its processing jobs, its rate `max` minus the
 *    starts in its window.
 * 2. The queue's plain heads (up to the room) and its limited jobs, read in chunks, are merged in
 *    claim order. A plain job is taken as it comes; a limited job is checked against its own
 *    numbers: each key's processing jobs and each window's starts are read once per call (after
 *    the lock, with a fresh snapshot, so earlier queues of the same fetch count) and counted up
 *    here with each job chosen. A job over a limit is skipped untouched, and its key (with those
 *    numbers) is left out of the next chunk's read, so a saturated key's backlog is passed over
 *    by the index scan, not row by row here.
 * 3. Every job chosen is claimed in one statement, and the starts of the rate keys and of the
 *    queue are logged (pruned to their window first).
 *
 * Every row considered is locked `FOR UPDATE SKIP LOCKED`: the claim never waits on a row, and
 * no row it chose can change before its `UPDATE`.
 */
export function claimLimited(names: SchemaSql, reads: CandidateReads = excludingChosen(names)): string {
  const { s } = names;
  const sep = `E'\\x1f'`;
  return `
${reads.create} ${s}.claim_limited(p_queue text, p_room integer, p_server text, p_lease_until bigint, p_now bigint)
RETURNS TABLE (${CLAIMED_COLUMNS})
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_settings ${s}.queues;
  v_room integer := p_room;
  v_count bigint;
  v_claimed integer := 0;
  v_taken integer := 0;
  v_plain_ids text[];
  v_plain_pri smallint[];
  v_plain_seq bigint[];
  v_plain_len integer;
  v_p integer := 1;
  v_chosen text[] := '{}';
  -- The limited jobs chosen, and the rate key and window of each (null without one).
  v_lim_ids text[] := '{}';
  v_lim_rk text[] := '{}';
  v_lim_rp bigint[] := '{}';
  -- Processing jobs per concurrency key; starts per rate window (key␟perMs) before this call;
  -- starts this call made per rate key (counted in every window of the key).
  v_ck text[] := '{}';
  v_ck_n integer[] := '{}';
  v_rw text[] := '{}';
  v_rw_n integer[] := '{}';
  v_rk text[] := '{}';
  v_rk_n integer[] := '{}';
  v_full_c text[] := '{}';
  v_full_r text[] := '{}';
  v_c text;
  v_r text;
  v_w text;
  v_i integer;
  v_j integer;
  v_k integer;
  v_got integer;
  v_cand record;${reads.declare}
  ${CLAIM_DECLARE}
BEGIN
  SELECT * INTO v_settings FROM ${s}.queues q WHERE q.queue = p_queue;
  IF v_settings.paused THEN RETURN; END IF;
  PERFORM ${flowLock(names)};
  IF v_settings.queue IS NOT NULL THEN
    IF v_settings.concurrency IS NOT NULL THEN
      SELECT count(*) INTO v_count FROM ${s}.jobs c WHERE c.state = 'processing' AND c.queue = p_queue;
      v_room := least(v_room, v_settings.concurrency - v_count);
    END IF;
    IF v_settings.rate_max IS NOT NULL THEN
      SELECT count(*) INTO v_count FROM ${s}.rate_starts r
       WHERE r.scope = ${RATE_QUEUE} AND r.key = p_queue AND r.at > p_now - v_settings.rate_per_ms;
      v_room := least(v_room, v_settings.rate_max - v_count);
    END IF;
  END IF;
  IF v_room <= 0 THEN RETURN; END IF;

  SELECT array_agg(h.id ORDER BY h.priority DESC, h.seq), array_agg(h.priority ORDER BY h.priority DESC, h.seq),
         array_agg(h.seq ORDER BY h.priority DESC, h.seq)
    INTO v_plain_ids, v_plain_pri, v_plain_seq
    FROM (SELECT c.id, c.priority, c.seq FROM ${s}.jobs c
           WHERE c.state = 'enqueued' AND c.queue = p_queue AND c.limited = false
           ORDER BY c.priority DESC, c.seq LIMIT v_room
           FOR UPDATE SKIP LOCKED) h;
  v_plain_len := coalesce(array_length(v_plain_ids, 1), 0);

  <<chunks>>
  LOOP
    v_got := 0;
    FOR v_cand IN
${reads.query}
    LOOP
      v_got := v_got + 1;${reads.onCandidate}
      -- The plain jobs ahead of this one in claim order.
      WHILE v_taken < v_room AND v_p <= v_plain_len
            AND (v_plain_pri[v_p] > v_cand.priority OR (v_plain_pri[v_p] = v_cand.priority AND v_plain_seq[v_p] < v_cand.seq)) LOOP
        v_chosen := v_chosen || v_plain_ids[v_p];
        v_p := v_p + 1;
        v_taken := v_taken + 1;
      END LOOP;
      EXIT chunks WHEN v_taken >= v_room;
      v_c := v_cand.concurrency_key || ${sep} || v_cand.concurrency_limit;
      v_r := v_cand.rate_key || ${sep} || v_cand.rate_max || ${sep} || v_cand.rate_per_ms;
      IF v_c = ANY (v_full_c) OR v_r = ANY (v_full_r) THEN CONTINUE; END IF;
      IF v_cand.concurrency_key IS NOT NULL THEN
        v_i := array_position(v_ck, v_cand.concurrency_key);
        IF v_i IS NULL THEN
          SELECT count(*) INTO v_count FROM ${s}.jobs c
           WHERE c.concurrency_key IS NOT NULL AND c.state = 'processing' AND c.concurrency_key = v_cand.concurrency_key;
          v_ck := v_ck || v_cand.concurrency_key;
          v_ck_n := v_ck_n || v_count::integer;
          v_i := array_length(v_ck, 1);
        END IF;
        IF v_ck_n[v_i] >= v_cand.concurrency_limit THEN
          v_full_c := v_full_c || v_c;
          CONTINUE;
        END IF;
      END IF;
      IF v_cand.rate_key IS NOT NULL THEN
        v_w := v_cand.rate_key || ${sep} || v_cand.rate_per_ms;
        v_j := array_position(v_rw, v_w);
        IF v_j IS NULL THEN
          SELECT count(*) INTO v_count FROM ${s}.rate_starts r
           WHERE r.scope = ${RATE_KEY} AND r.key = v_cand.rate_key AND r.at > p_now - v_cand.rate_per_ms;
          v_rw := v_rw || v_w;
          v_rw_n := v_rw_n || v_count::integer;
          v_j := array_length(v_rw, 1);
        END IF;
        v_k := array_position(v_rk, v_cand.rate_key);
        IF v_rw_n[v_j] + coalesce(v_rk_n[v_k], 0) >= v_cand.rate_max THEN
          v_full_r := v_full_r || v_r;
          CONTINUE;
        END IF;
        IF v_k IS NULL THEN
          v_rk := v_rk || v_cand.rate_key;
          v_rk_n := v_rk_n || 1;
        ELSE
          v_rk_n[v_k] := v_rk_n[v_k] + 1;
        END IF;
      END IF;
      IF v_cand.concurrency_key IS NOT NULL THEN v_ck_n[v_i] := v_ck_n[v_i] + 1; END IF;
      v_chosen := v_chosen || v_cand.id;
      v_lim_ids := v_lim_ids || v_cand.id;
      v_lim_rk := v_lim_rk || v_cand.rate_key;
      v_lim_rp := v_lim_rp || v_cand.rate_per_ms;
      v_taken := v_taken + 1;
    END LOOP;
    EXIT WHEN v_got < ${CHUNK};
  END LOOP;
  -- The limited jobs ran out: plain jobs fill the rest of the room.
  WHILE v_taken < v_room AND v_p <= v_plain_len LOOP
    v_chosen := v_chosen || v_plain_ids[v_p];
    v_p := v_p + 1;
    v_taken := v_taken + 1;
  END LOOP;
  IF v_taken = 0 THEN RETURN; END IF;

  RETURN QUERY
    UPDATE ${s}.jobs j SET ${CLAIM_SET}
     WHERE j.id = ANY (v_chosen) AND j.state = 'enqueued'
    RETURNING ${CLAIMED_RETURNING};
  GET DIAGNOSTICS v_claimed = ROW_COUNT;
  IF array_length(v_rk, 1) > 0 THEN
    DELETE FROM ${s}.rate_starts r
     USING (SELECT x.k, max(x.p) AS p FROM unnest(v_lim_rk, v_lim_rp) AS x(k, p) WHERE x.k IS NOT NULL GROUP BY x.k) d
     WHERE r.scope = ${RATE_KEY} AND r.key = d.k AND r.at <= p_now - d.p;
    INSERT INTO ${s}.rate_starts (scope, key, at)
      SELECT ${RATE_KEY}, x.k, p_now FROM unnest(v_lim_rk) AS x(k) WHERE x.k IS NOT NULL;
  END IF;
  IF v_settings.rate_max IS NOT NULL AND v_claimed > 0 THEN
    DELETE FROM ${s}.rate_starts r
     WHERE r.scope = ${RATE_QUEUE} AND r.key = p_queue AND r.at <= p_now - v_settings.rate_per_ms;
    INSERT INTO ${s}.rate_starts (scope, key, at) SELECT ${RATE_QUEUE}, p_queue, p_now FROM generate_series(1, v_claimed);
  END IF;
END
$fn$;`;
}

/**
 * How `claim_limited` reads its limited candidates, chunk by chunk (migration 3 and 6 differ
 * only here): the statement's `CREATE`, extra declarations, the loop's query (up to `CHUNK` rows
 * in claim order, locked `FOR UPDATE SKIP LOCKED`, leaving out the keys in `v_full_c` and
 * `v_full_r`), and a step run on each candidate read.
 */
export interface CandidateReads {
  create: 'CREATE FUNCTION' | 'CREATE OR REPLACE FUNCTION';
  declare: string;
  query: string;
  onCandidate: string;
}

/** The filters leaving out the candidates `c` of keys found full (the arrays named `full`, `fullRate`). */
export function fullKeyFilters(full = 'v_full_c', fullRate = 'v_full_r'): string {
  const sep = `E'\\x1f'`;
  return `(c.concurrency_key IS NULL OR NOT (c.concurrency_key || ${sep} || c.concurrency_limit) = ANY (${full}))
         AND (c.rate_key IS NULL OR NOT (c.rate_key || ${sep} || c.rate_max || ${sep} || c.rate_per_ms) = ANY (${fullRate}))`;
}

/**
 * Migration 3's reads: each chunk from the head of the queue's limited jobs, leaving out those
 * already chosen (`v_lim_ids`), so a later chunk passes over every row an earlier one read.
 */
function excludingChosen({ s }: SchemaSql): CandidateReads {
  return {
    create: 'CREATE FUNCTION',
    declare: '',
    query: `      SELECT c.id, c.priority, c.seq, c.concurrency_key, c.concurrency_limit, c.rate_key, c.rate_max, c.rate_per_ms
        FROM ${s}.jobs c
       WHERE c.state = 'enqueued' AND c.queue = p_queue AND c.limited = true
         AND NOT c.id = ANY (v_lim_ids)
         AND ${fullKeyFilters()}
       ORDER BY c.priority DESC, c.seq LIMIT ${CHUNK}
       FOR UPDATE SKIP LOCKED`,
    onCandidate: '',
  };
}
