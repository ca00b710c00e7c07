import { ACTIVE_SQL, type SchemaSql } from './fragments.js';

/**
 * The tables and their indexes.
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
 *   (`bucket` = -1), sharded by backend (`shard` = pid % 32, see `COUNTER_SHARDS`) so concurrent
 *   completers on different connections do not queue on one hot row until their commit; readers
 *   sum the shards, and `delete_expired` folds the shards of past hours into shard 0.
 */
export function tables({ s }: SchemaSql): string {
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
);`;
}
