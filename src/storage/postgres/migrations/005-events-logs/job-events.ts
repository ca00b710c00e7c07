import { MAX_EVENT_TEXT } from '../../../contract/index.js';
import { eventChannelOf } from '../../options.js';
import { dueJobs } from '../001-initial/07-due-jobs.js';
import { releaseExpiredLeases } from '../001-initial/08-release-expired-leases.js';
import { removeServers } from '../001-initial/09-remove-servers.js';
import type { AfterRequeue, SchemaSql } from '../001-initial/fragments.js';
import { interruptedSet } from '../002-interruptions/index.js';
import { removeVanishedServers } from '../004-liveness/index.js';

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
 * publishing the `enqueued` event of every job it requeues: the same templates, given the
 * publishing step.
 */
export function requeueEvents(names: SchemaSql): string {
  const after = publishRequeued(names.s);
  return [dueJobs(names, after), releaseExpiredLeases(names, interruptedSet, after), removeServers(names, interruptedSet, after)]
    .map((sql) => sql.replace(/CREATE FUNCTION/g, 'CREATE OR REPLACE FUNCTION'))
    .concat(removeVanishedServers(names, after))
    .join('\n');
}
