import { PINNED, type SchemaSql } from '../001-initial/fragments.js';
import { RATE_KEY, RATE_QUEUE } from './fragments.js';

/**
 * Queue control: `set_queue_paused` and `set_queue_limits` write a queue's row (and drop it once
 * it says nothing: a running, unlimited queue has none), sending the `enqueued` wake-up in the
 * same statement; `next_rate_slot` is when the earliest full window that an enqueued job of the
 * queues waits on reopens (its `max`-th most recent start + `perMs`).
 */
export function queueControl({ s, channel }: SchemaSql): string {
  const wake = `PERFORM pg_notify('${channel}', '{"t":"e","q":' || to_json(p_queue)::text || '}')`;
  const dropIfEmpty = `DELETE FROM ${s}.queues q
     WHERE q.queue = p_queue AND NOT q.paused AND q.concurrency IS NULL AND q.rate_max IS NULL`;
  /** When the window of `key` (scope, max, perMs given as SQL) that is full at p_now reopens, or null. */
  const reopens = (scope: number, key: string, max: string, perMs: string) =>
    `(SELECT r.at + ${perMs} FROM ${s}.rate_starts r
       WHERE r.scope = ${scope} AND r.key = ${key} AND r.at > p_now - ${perMs}
       ORDER BY r.at DESC OFFSET ${max} - 1 LIMIT 1)`;
  return `
CREATE FUNCTION ${s}.set_queue_paused(p_queue text, p_paused boolean)
RETURNS boolean
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_changed boolean;
BEGIN
  IF p_paused THEN
    INSERT INTO ${s}.queues AS q (queue, paused) VALUES (p_queue, true)
    ON CONFLICT (queue) DO UPDATE SET paused = true WHERE NOT q.paused
    RETURNING true INTO v_changed;
  ELSE
    UPDATE ${s}.queues q SET paused = false WHERE q.queue = p_queue AND q.paused RETURNING true INTO v_changed;
    ${dropIfEmpty};
    IF v_changed THEN ${wake}; END IF;
  END IF;
  RETURN coalesce(v_changed, false);
END
$fn$;

CREATE FUNCTION ${s}.set_queue_limits(p_queue text, p_concurrency integer, p_rate_max integer, p_rate_per_ms bigint)
RETURNS void
LANGUAGE plpgsql ${PINNED} AS $fn$
BEGIN
  INSERT INTO ${s}.queues AS q (queue, concurrency, rate_max, rate_per_ms) VALUES (p_queue, p_concurrency, p_rate_max, p_rate_per_ms)
  ON CONFLICT (queue) DO UPDATE
    SET concurrency = excluded.concurrency, rate_max = excluded.rate_max, rate_per_ms = excluded.rate_per_ms;
  ${dropIfEmpty};
  ${wake};
END
$fn$;

CREATE FUNCTION ${s}.next_rate_slot(p_queues text[], p_now bigint)
RETURNS bigint
LANGUAGE plpgsql ${PINNED} AS $fn$
BEGIN
  RETURN (
    SELECT min(w.at) FROM (
      SELECT ${reopens(RATE_QUEUE, 'q.queue', 'q.rate_max', 'q.rate_per_ms')} AS at
        FROM ${s}.queues q
       WHERE q.queue = ANY (p_queues) AND NOT q.paused AND q.rate_max IS NOT NULL
         AND EXISTS (SELECT 1 FROM ${s}.jobs j WHERE j.state = 'enqueued' AND j.queue = q.queue)
      UNION ALL
      SELECT ${reopens(RATE_KEY, 'k.rate_key', 'k.rate_max', 'k.rate_per_ms')}
        FROM (SELECT DISTINCT j.rate_key, j.rate_max, j.rate_per_ms FROM ${s}.jobs j
               WHERE j.state = 'enqueued' AND j.queue = ANY (p_queues) AND j.limited = true AND j.rate_key IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM ${s}.queues q WHERE q.queue = j.queue AND q.paused)) k
    ) w
  );
END
$fn$;`;
}
