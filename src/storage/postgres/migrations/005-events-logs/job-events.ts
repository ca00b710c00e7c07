import { MAX_EVENT_TEXT } from '../../../contract/index.js';
import { eventChannelOf } from '../../options.js';
import { notifyEnqueued, PINNED, requeueSet, type SchemaSql } from '../001-initial/fragments.js';
import { interruptedSet } from '../002-interruptions/index.js';
import { removeVanishedServers, type AfterRequeue } from '../004-liveness/index.js';

/** A schema's names, and its job-event channel. */
function eventChannel(s: string): string {
  return eventChannelOf(s.slice(1, -1));
}

/**
 * Job events (issue #15). `event_listeners` holds one row per listening storage instance, live
 * while `until` (by the database's clock) is ahead. `listening()` is the one check every
 * publishing write makes; `quiet()` is the guard of a write made without its events (the hot
 * path while nobody listens): it raises `KLEVT` when someone listens, which rolls the write
 * back, and the caller makes it again with its events (see `../../publishing.ts`).
 * `enqueued_event` builds an `enqueued` event as `src/storage/job-events.ts` does, for the
 * writes that requeue jobs inside the database (due schedules, expired leases, removed servers).
 */
export function jobEvents({ s }: SchemaSql): string {
  const cut = MAX_EVENT_TEXT;
  return `
CREATE TABLE ${s}.event_listeners (
  id text COLLATE "C" PRIMARY KEY,
  until timestamptz NOT NULL
);

CREATE FUNCTION ${s}.listening()
RETURNS boolean
LANGUAGE sql VOLATILE AS $fn$
  SELECT EXISTS (SELECT 1 FROM ${s}.event_listeners l WHERE l.until > clock_timestamp())
$fn$;

CREATE FUNCTION ${s}.quiet()
RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  -- The check inline (not through listening()): a SQL function called from PL/pgSQL is planned
  -- again in every transaction, and this runs on every write of the hot path.
  IF EXISTS (SELECT 1 FROM ${s}.event_listeners l WHERE l.until > clock_timestamp()) THEN
    RAISE EXCEPTION 'kiln: job events are listened to: the write is made again with its events' USING ERRCODE = 'KLEVT';
  END IF;
  RETURN true;
END
$fn$;

CREATE FUNCTION ${s}.enqueued_event(p_id text, p_name text, p_queue text, p_attempt integer, p_at bigint, p_reason text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
  SELECT json_build_object('type', 'enqueued', 'jobId', p_id, 'name', p_name, 'queue', p_queue, 'attempt', p_attempt,
    'at', p_at, 'reason', CASE WHEN length(p_reason) > ${cut} THEN left(p_reason, ${cut - 1}) || '…' ELSE p_reason END)::text
$fn$;`;
}

/**
 * The `enqueued` events of the rows of `requeued` (`id, name, queue, attempt, state_reason, seq`),
 * oldest job first, sent only while someone listens.
 */
function publishRequeued(s: string): AfterRequeue {
  const channel = eventChannel(s);
  return (requeued, now) =>
    `SELECT pg_notify('${channel}', x.payload) FROM (
       SELECT ${s}.enqueued_event(rq.id, rq.name, rq.queue, rq.attempt, ${now}, rq.state_reason) AS payload
         FROM ${requeued} rq WHERE (SELECT ${s}.listening()) ORDER BY rq.seq) x`;
}

/**
 * `enqueue_due`, `release_expired_leases` and `remove_servers` as migrations 1 and 2 made them
 * (interruptions counted), and `remove_vanished_servers` as migration 4 made it, each now also
 * publishing the `enqueued` event of every job it requeues.
 */
export function requeueEvents(names: SchemaSql): string {
  const { s, channel } = names;
  const after = publishRequeued(s);
  const returning = 'RETURNING j.id, j.name, j.queue, j.attempt, j.state_reason, j.seq';
  return `
CREATE OR REPLACE FUNCTION ${s}.enqueue_due(p_now bigint, p_limit integer)
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
    ${returning}
  ),
  n AS (${notifyEnqueued(channel, 'u')}),
  e AS (${after('u', 'p_now')})
  SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM n) + (SELECT count(*) FROM e) INTO v_moved, v_notified;
  RETURN v_moved;
END
$fn$;

CREATE OR REPLACE FUNCTION ${s}.release_expired_leases(p_now bigint, p_limit integer)
RETURNS bigint
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  v_moved bigint;
  v_notified bigint;
BEGIN
  WITH u AS (
    UPDATE ${s}.jobs j SET ${interruptedSet(`'Lease of server ' || coalesce(j.server_id, 'null') || ' expired'`, 'p_now')}
     WHERE j.id = ANY (ARRAY(
             SELECT d.id FROM ${s}.jobs d WHERE d.state = 'processing' AND d.lease_until < p_now
              ORDER BY d.lease_until LIMIT p_limit FOR UPDATE SKIP LOCKED))
       AND j.state = 'processing'
    ${returning}
  ),
  n AS (${notifyEnqueued(channel, 'u')}),
  e AS (${after('u', 'p_now')})
  SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM n) + (SELECT count(*) FROM e) INTO v_moved, v_notified;
  RETURN v_moved;
END
$fn$;

CREATE OR REPLACE FUNCTION ${s}.remove_servers(p_id text, p_before bigint, p_now bigint)
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
    UPDATE ${s}.jobs j SET ${interruptedSet(`'Server ' || j.server_id || ' stopped or timed out'`, 'p_now')}
     WHERE j.state = 'processing' AND (j.server_id = p_id OR j.server_id IN (SELECT d.id FROM d))
    ${returning}
  ),
  n AS (${notifyEnqueued(channel, 'u')}),
  e AS (${after('u', 'p_now')})
  SELECT coalesce((SELECT array_agg(d.id ORDER BY d.started_at, d.id) FROM d), '{}'),
         (SELECT count(*) FROM n) + (SELECT count(*) FROM e)
    INTO v_ids, v_notified;
  RETURN QUERY SELECT unnest(v_ids);
END
$fn$;
${removeVanishedServers(names, after)}`;
}
