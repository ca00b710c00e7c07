import { channelOf } from '../../options.js';
import { notifyEnqueued, PINNED, requeueTail, type AfterRequeue, type SchemaSql } from '../001-initial/fragments.js';
import { interruptedSet } from '../002-interruptions/index.js';
import type { Migration } from '../index.js';

/**
 * `remove_vanished_servers`: for each mark record but the checker's own, tries the record's lock
 * with `pg_try_advisory_xact_lock`. Held by its owner's session: skipped (no write, no wait).
 * Free: the owner's session ended, so in this transaction (which keeps the lock until it commits,
 * and so blocks the owner's retake until then) the record is deleted as it was read (a
 * compare-and-set: a record rewritten meanwhile is left alone), the server record removed and its
 * jobs requeued exactly as `remove_servers` does (interruptions counted), with the reason
 * `Server <id> is gone: ...`. Returns the ids found gone. `after` (migration 5) also runs over
 * the requeued rows.
 */
export function removeVanishedServers({ s, channel }: SchemaSql, after?: AfterRequeue): string {
  const tail = requeueTail(after, '    ');
  const reason = `'Server ' || r.server_id || ' is gone: its Postgres session (backend ' || r.pid || ') holding its liveness lock ended'`;
  return `
CREATE OR REPLACE FUNCTION ${s}.remove_vanished_servers(p_checker text, p_now bigint)
RETURNS SETOF text
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  r record;
  v_notified bigint;
BEGIN
  FOR r IN SELECT l.server_id, l.lock_key, l.pid FROM ${s}.liveness l
            WHERE l.server_id <> coalesce(p_checker, '') ORDER BY l.server_id LOOP
    CONTINUE WHEN NOT pg_try_advisory_xact_lock(r.lock_key);
    DELETE FROM ${s}.liveness l WHERE l.server_id = r.server_id AND l.lock_key = r.lock_key AND l.pid = r.pid;
    CONTINUE WHEN NOT FOUND;
    DELETE FROM ${s}.servers v WHERE v.id = r.server_id;
    WITH u AS (
      UPDATE ${s}.jobs j SET ${interruptedSet(reason, 'p_now')}
       WHERE j.state = 'processing' AND j.server_id = r.server_id
      ${tail.returning}
    ),
    n AS (${notifyEnqueued(channel, 'u')})${tail.cte}
    SELECT (SELECT count(*) FROM n)${tail.counted} INTO v_notified;
    RETURN NEXT r.server_id;
  END LOOP;
END
$fn$;`;
}

/**
 * Migration 4: liveness marks (issue #16). A server's mark is a session-level advisory lock on
 * the key `lock_key`, held by a dedicated connection (the `pid` backend); its mark record is a
 * row of `liveness`, independent of the server record.
 */
export const livenessMarks: Migration = {
  version: 4,
  name: 'liveness marks: session advisory locks and their records',
  up(schema: string): string {
    const names: SchemaSql = { s: `"${schema}"`, channel: channelOf(schema) };
    return `
CREATE TABLE ${names.s}.liveness (
  server_id text COLLATE "C" PRIMARY KEY,
  lock_key bigint NOT NULL,
  pid integer NOT NULL,
  held_at bigint NOT NULL
);
${removeVanishedServers(names)}
`;
  },
};
