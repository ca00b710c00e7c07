import { PINNED, type SchemaSql } from '../001-initial/fragments.js';
import { CLAIM_DECLARE, CLAIM_SET, CLAIMED_COLUMNS, CLAIMED_RETURNING, flowLock, RATE_KEY, RATE_QUEUE } from './fragments.js';

/** How many limited candidates `claim_limited` reads at a time. */
const CHUNK = 64;

/**
 * `claim_limited`: claims up to `p_room` jobs of a queue that is paused, limited, or holds
 * limited jobs, under the schema's flow lock (see `flowLock`), so that what it counts (processing
 * jobs of a key or queue, starts in a window) cannot change under it from another claim:
 *
 * 1. A paused queue gives nothing (read before the lock). The queue's own limits cut the room: its concurrency minus its
 *    processing jobs, its rate `max` minus the starts in its window.
 * 2. The queue's plain heads (up to the room) and its limited jobs, read in chunks, are merged in
 *    claim order. A plain job is taken as it comes; a limited job is checked against its own
 *    numbers with fresh counts (its claim-mates, claimed just before in this transaction, are
 *    counted) and either claimed at once, with its rate start logged, or skipped untouched. A
 *    key found full is left out of the next chunk's read, so a saturated key's backlog is passed
 *    over by the index scan, not row by row here.
 * 3. The plain jobs chosen are claimed in one statement, and the queue's starts are logged.
 *
 * Every row considered is locked `FOR UPDATE SKIP LOCKED`, so the claim never waits on a row.
 */
export function claimLimited(names: SchemaSql): string {
  const { s } = names;
  const sep = `E'\\x1f'`;
  return `
CREATE FUNCTION ${s}.claim_limited(p_queue text, p_room integer, p_server text, p_lease_until bigint, p_now bigint)
RETURNS TABLE (${CLAIMED_COLUMNS})
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_settings ${s}.queues;
  v_room integer := p_room;
  v_count bigint;
  v_n integer;
  v_taken integer := 0;
  v_claimed integer := 0;
  v_plain_ids text[];
  v_plain_pri smallint[];
  v_plain_seq bigint[];
  v_plain_len integer;
  v_p integer := 1;
  v_chosen text[] := '{}';
  v_full_c text[] := '{}';
  v_full_r text[] := '{}';
  v_c text;
  v_r text;
  v_got integer;
  v_cand record;
  ${CLAIM_DECLARE}
BEGIN
  SELECT * INTO v_settings FROM ${s}.queues q WHERE q.queue = p_queue;
  -- A paused queue is passed over without the lock, so pausing a queue serializes no claim.
  IF v_settings.paused THEN RETURN; END IF;
  -- Every count below is read after the lock, each statement with a fresh snapshot.
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
      SELECT c.id, c.priority, c.seq, c.concurrency_key, c.concurrency_limit, c.rate_key, c.rate_max, c.rate_per_ms
        FROM ${s}.jobs c
       WHERE c.state = 'enqueued' AND c.queue = p_queue AND c.limited = true
         AND (c.concurrency_key IS NULL OR NOT (c.concurrency_key || ${sep} || c.concurrency_limit) = ANY (v_full_c))
         AND (c.rate_key IS NULL OR NOT (c.rate_key || ${sep} || c.rate_max || ${sep} || c.rate_per_ms) = ANY (v_full_r))
       ORDER BY c.priority DESC, c.seq LIMIT ${CHUNK}
       FOR UPDATE SKIP LOCKED
    LOOP
      v_got := v_got + 1;
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
        SELECT count(*) INTO v_count FROM ${s}.jobs c
         WHERE c.concurrency_key IS NOT NULL AND c.state = 'processing' AND c.concurrency_key = v_cand.concurrency_key;
        IF v_count >= v_cand.concurrency_limit THEN
          v_full_c := v_full_c || v_c;
          CONTINUE;
        END IF;
      END IF;
      IF v_cand.rate_key IS NOT NULL THEN
        SELECT count(*) INTO v_count FROM ${s}.rate_starts r
         WHERE r.scope = ${RATE_KEY} AND r.key = v_cand.rate_key AND r.at > p_now - v_cand.rate_per_ms;
        IF v_count >= v_cand.rate_max THEN
          v_full_r := v_full_r || v_r;
          CONTINUE;
        END IF;
      END IF;
      RETURN QUERY
        UPDATE ${s}.jobs j SET ${CLAIM_SET}
         WHERE j.id = v_cand.id AND j.state = 'enqueued'
        RETURNING ${CLAIMED_RETURNING};
      GET DIAGNOSTICS v_n = ROW_COUNT;
      IF v_n > 0 THEN
        v_taken := v_taken + 1;
        v_claimed := v_claimed + 1;
        IF v_cand.rate_key IS NOT NULL THEN
          DELETE FROM ${s}.rate_starts r
           WHERE r.scope = ${RATE_KEY} AND r.key = v_cand.rate_key AND r.at <= p_now - v_cand.rate_per_ms;
          INSERT INTO ${s}.rate_starts (scope, key, at) VALUES (${RATE_KEY}, v_cand.rate_key, p_now);
        END IF;
      END IF;
    END LOOP;
    EXIT WHEN v_got < ${CHUNK};
  END LOOP;
  -- The limited jobs ran out: plain jobs fill the rest of the room.
  WHILE v_taken < v_room AND v_p <= v_plain_len LOOP
    v_chosen := v_chosen || v_plain_ids[v_p];
    v_p := v_p + 1;
    v_taken := v_taken + 1;
  END LOOP;

  IF array_length(v_chosen, 1) > 0 THEN
    RETURN QUERY
      UPDATE ${s}.jobs j SET ${CLAIM_SET}
       WHERE j.id = ANY (v_chosen) AND j.state = 'enqueued'
      RETURNING ${CLAIMED_RETURNING};
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_claimed := v_claimed + v_n;
  END IF;
  IF v_settings.rate_max IS NOT NULL AND v_claimed > 0 THEN
    DELETE FROM ${s}.rate_starts r
     WHERE r.scope = ${RATE_QUEUE} AND r.key = p_queue AND r.at <= p_now - v_settings.rate_per_ms;
    INSERT INTO ${s}.rate_starts (scope, key, at) SELECT ${RATE_QUEUE}, p_queue, p_now FROM generate_series(1, v_claimed);
  END IF;
END
$fn$;`;
}
