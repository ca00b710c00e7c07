import { createHash } from 'node:crypto';
import { channelOf } from './options.js';

/**
 * A statement run by the storage. With a `name`, node-postgres prepares it once per connection
 * on first use and then only binds and executes it: the hot calls. Without one, Postgres plans it
 * afresh on every call with the current table sizes: the rare, dashboard and dynamic queries.
 */
export interface Statement {
  name?: string;
  text: string;
}

/** The columns of a `JobRecord`, for `SELECT`s, with the alias (or composite) they come from. */
export function jobColumns(alias: string): string {
  return [
    'id',
    'name',
    'queue',
    'args',
    'state',
    'state_reason',
    'state_data',
    'created_at',
    'state_at',
    'attempt',
    'parameters',
    'run_at',
    'parent_id',
    'server_id',
    'lease_until',
    'expire_at',
    'result',
    'unique_key',
  ]
    .map((c) => `${alias}.${c}`)
    .join(', ');
}

/**
 * Every statement of the storage for one schema. Operations on `jobs` call the functions of
 * migration 1 (one round trip each, plans pinned to their indexes). Names carry a hash of the
 * schema, since one pool shared by two schemas must not mix their prepared statements.
 */
export function statements(schema: string) {
  const s = `"${schema}"`;
  const tag = `k${createHash('sha1').update(schema).digest('hex').slice(0, 10)}_`;
  const named = (key: string, text: string): Statement => ({ name: tag + key, text });
  const plain = (text: string): Statement => ({ text });
  const cols = jobColumns('j');

  return {
    channel: channelOf(schema),

    // ---- jobs (hot)
    createJobs: named('create', `SELECT o_i, o_id FROM ${s}.create_jobs($1::jsonb, $2::bigint)`),
    insertJobs: named(
      'insert',
      `SELECT ${s}.insert_jobs($1::text, $2::text, $3::text, $4::text, $5::text, $6::text[], $7::text, $8::bigint[],
         $9::bigint[], $10::bigint[], $11::text, $12::text, $13::text)`,
    ),
    fetch: named(
      'fetch',
      `SELECT * FROM ${s}.fetch_jobs($1::text[], $2::integer, $3::text, $4::bigint, $5::bigint)`,
    ),
    transition: named(
      'transition',
      `SELECT ${s}.transition_jobs($1::text, $2::text, $3::text, $4::text, $5::text, $6::text[], $7::text,
         $8::bigint[], $9::text, $10::bigint[], $11::bigint[], $12::integer[], $13::text, $14::text, $15::integer[],
         $16::integer[], $17::bigint[], $18::bigint, $19::boolean) AS applied`,
    ),
    renewLeases: named('renew', `SELECT id FROM ${s}.renew_leases($1::text, $2::text[], $3::bigint) id`),
    mergeParameters: named(
      'merge_parameters',
      `UPDATE ${s}.jobs SET parameters = parameters || $3::jsonb WHERE id = $1 AND state = 'processing' AND server_id = $2`,
    ),
    enqueueDue: named('enqueue_due', `SELECT ${s}.enqueue_due($1::bigint, $2::integer) AS moved`),
    nextDueAt: named('next_due', `SELECT ${s}.next_due_at() AS at`),
    releaseExpiredLeases: named(
      'release_leases',
      `SELECT ${s}.release_expired_leases($1::bigint, $2::integer) AS moved`,
    ),
    deleteExpired: named('delete_expired', `SELECT ${s}.delete_expired($1::bigint, $2::integer, $3::bigint) AS deleted`),
    getJob: named(
      'get_job',
      `SELECT ${cols}, j.history, ${s}.children(j.id) AS continuations FROM ${s}.get_job($1::text) j`,
    ),
    continuationsOf: named('continuations_of', `SELECT ${cols} FROM ${s}.continuations_of($1::text[]) j`),
    awaitingReady: named(
      'awaiting_ready',
      `SELECT ${jobColumns('(r.job)')}, r.parent_state, r.parent_result FROM ${s}.awaiting_ready($1::integer) r`,
    ),

    // ---- servers and locks (small tables, keyed lookups)
    announceServer: named(
      'announce',
      `INSERT INTO ${s}.servers (id, name, worker_count, queues, started_at, heartbeat_at)
       VALUES ($1::text, $2::text, $3::integer, $4::jsonb, $5::bigint, $6::bigint)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, worker_count = excluded.worker_count,
         queues = excluded.queues, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
    ),
    heartbeat: named('heartbeat', `UPDATE ${s}.servers SET heartbeat_at = $2::bigint WHERE id = $1::text`),
    removeServers: named('remove_servers', `SELECT id FROM ${s}.remove_servers($1::text, $2::bigint, $3::bigint) id`),
    listServers: named(
      'list_servers',
      `SELECT id, name, worker_count, queues, started_at, heartbeat_at FROM ${s}.servers ORDER BY started_at, id`,
    ),
    /** Takes a free or expired lock, or extends one's own: a compare-and-set upsert. */
    acquireLock: named(
      'acquire_lock',
      `INSERT INTO ${s}.locks AS l (resource, owner, until) VALUES ($1::text, $2::text, $3::bigint)
       ON CONFLICT (resource) DO UPDATE SET owner = excluded.owner, until = excluded.until
         WHERE l.owner = excluded.owner OR l.until <= $4::bigint
       RETURNING 1`,
    ),
    releaseLock: named('release_lock', `DELETE FROM ${s}.locks WHERE resource = $1::text AND owner = $2::text`),

    // ---- recurring jobs (polled about once a second: planned per call, so a table that grew to
    // tens of thousands of definitions is never read with a plan made when it was empty)
    upsertRecurring: plain(
      `INSERT INTO ${s}.recurring (id, name, queue, args, cron, time_zone, misfire, next_execution, last_execution,
                                    last_job_id, paused, created_at, error)
       VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::bigint, $9::bigint,
               $10::text, $11::boolean, $12::bigint, $13::text)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, queue = excluded.queue, args = excluded.args,
         cron = excluded.cron, time_zone = excluded.time_zone, misfire = excluded.misfire,
         next_execution = excluded.next_execution, last_execution = excluded.last_execution,
         last_job_id = excluded.last_job_id, paused = excluded.paused, created_at = excluded.created_at,
         error = excluded.error`,
    ),
    removeRecurring: plain(`DELETE FROM ${s}.recurring WHERE id = $1::text`),
    pauseRecurring: plain(`UPDATE ${s}.recurring SET paused = $2::boolean WHERE id = $1::text`),
    getRecurring: plain(`SELECT * FROM ${s}.recurring WHERE id = $1::text`),
    listRecurring: plain(`SELECT * FROM ${s}.recurring`),
    dueRecurring: plain(
      `SELECT * FROM ${s}.recurring WHERE NOT paused AND next_execution <= $1::bigint
        ORDER BY next_execution, id LIMIT $2::integer`,
    ),
    /** The compare-and-set on `next_execution`; `error` changes only when $4. */
    advanceRecurring: plain(
      `UPDATE ${s}.recurring SET next_execution = $2::bigint, last_execution = $3::bigint,
              error = CASE WHEN $4::boolean THEN $5::text ELSE error END
        WHERE id = $1::text AND next_execution = $6::bigint`,
    ),
    setLastJob: plain(`UPDATE ${s}.recurring SET last_job_id = $2::text WHERE id = $1::text`),

    // ---- monitoring (dashboard: planned per call)
    statistics: plain(
      `SELECT (SELECT coalesce(jsonb_object_agg(x.state, x.n), '{}')
                 FROM (SELECT state, count(*) AS n FROM ${s}.jobs GROUP BY state) x) AS states,
              (SELECT coalesce(sum(succeeded), 0)::bigint FROM ${s}.counters WHERE bucket = -1) AS succeeded,
              (SELECT coalesce(sum(failed), 0)::bigint FROM ${s}.counters WHERE bucket = -1) AS failed,
              (SELECT count(*) FROM ${s}.servers) AS servers,
              (SELECT count(*) FROM ${s}.recurring) AS recurring`,
    ),
    queues: plain(
      `SELECT queue, count(*) FILTER (WHERE state = 'enqueued') AS enqueued,
              count(*) FILTER (WHERE state = 'processing') AS processing
         FROM ${s}.jobs WHERE state IN ('enqueued', 'processing') GROUP BY queue`,
    ),
    timeline: plain(
      `SELECT bucket AS at, sum(succeeded)::bigint AS succeeded, sum(failed)::bigint AS failed
         FROM ${s}.counters WHERE bucket >= $1::bigint AND bucket < $2::bigint GROUP BY bucket`,
    ),
    /** One page of a state, newest first, with the total; `where` is built from the filters. */
    listJobs(where: string): Statement {
      return plain(`SELECT t.total, ${cols}
                      FROM (SELECT count(*) AS total FROM ${s}.jobs j WHERE ${where}) t
                      LEFT JOIN LATERAL (
                        SELECT * FROM ${s}.jobs j WHERE ${where} ORDER BY j.seq DESC OFFSET $2::integer LIMIT $3::integer
                      ) j ON true
                     ORDER BY j.seq DESC`);
    },
  };
}

export type Statements = ReturnType<typeof statements>;
