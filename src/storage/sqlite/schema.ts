import type BetterSqlite3 from 'better-sqlite3';
import { KilnError } from '../../errors.js';
import type { Logger } from '../../logger.js';

/**
 * The SQLite schema, as an ordered list of migrations. Migration `i` (0-based) brings a database
 * from `PRAGMA user_version = i` to `i + 1`. Never edit a released migration: append a new one.
 *
 * Layout decisions:
 * - `kiln_jobs.seq` is the rowid (`INTEGER PRIMARY KEY`): it is the FIFO order within a queue, the
 *   "newest first" order of the dashboard, and the cheapest key to update by. It is kept when a job
 *   is requeued, exactly as the in-memory backend keeps its insertion sequence.
 * - A job's history lives in its own row, in `history`, as JSON objects joined by commas (a JSON
 *   array without its brackets). A transition appends with `history || ',' || ?`: no JSON parsing,
 *   no second table and no second index to write on the hot path, and deleting a job deletes its
 *   history with it.
 * - Partial indexes cover only the rows each hot path reads: enqueued jobs by queue and seq (fetch),
 *   scheduled jobs by due time (delayed scheduler), processing jobs by lease end (crash recovery),
 *   final jobs by expiry (expiration manager). A job is in at most one of the state indexes, so a
 *   state change costs one index delete and one insert. Each partial index is used only by
 *   queries that spell its `WHERE` literally, which `statements.ts` does.
 * - `kiln_counts` holds the number of jobs per state and queue, maintained in the same transaction
 *   as every change, so the dashboard's overview never counts a million rows (and never blocks the
 *   event loop doing so: better-sqlite3 is synchronous).
 * - `kiln_totals` and `kiln_hours` hold lifetime and hourly succeeded/failed counters.
 * - `kiln_liveness` holds each running server's liveness mark: the process holding it.
 * - Job events (`events.ts`): `kiln_event_listeners` holds one row per listening instance, with
 *   the host time its announcement lapses; `kiln_events` holds the events of recent writes, made
 *   while some announcement was live, numbered by an `AUTOINCREMENT` key (never reused, even once
 *   every row is pruned, so a reader's "last seen" stays valid) and pruned by `written_at`.
 * - Job logs (`logs.ts`): `kiln_job_logs` holds each job's kept lines, keyed by the job's `seq` and
 *   the line's number; the primary key is the only index a log needs (append, page, trim, delete).
 *
 * Flow control (migration 2), as the contract's `FetchOptions` needs it:
 * - `priority` orders a queue: `kiln_jobs_enqueued` is (queue, limited, priority DESC, seq), so
 *   a claim reads a queue's jobs in claim order without sorting.
 * - `limited` is 1 for a job carrying a concurrency or rate limit (its keys and numbers in the
 *   `concurrency_*` and `rate_*` columns), 0 otherwise. Plain jobs and limited jobs of one queue
 *   are two ranges of the one enqueued index, so the plain path (`limited = 0`) never reads a
 *   limited job, and a queue with no limited jobs costs one empty index probe.
 * - `kiln_jobs_running_keys` holds only processing jobs that carry a concurrency key: a claim
 *   counts a key's running jobs from it, and the dashboard their use. An enqueued limited job is
 *   not in it, so a limited job costs this index one insert (claimed) and one delete (done).
 * - `kiln_jobs_rate` lists the rate keys of active jobs, for the dashboard.
 * - `kiln_jobs_throttle` finds a throttled key's holder in any state (see `UniqueMode`).
 * - `kiln_queues` holds a row per queue that is paused or limited, none for the others.
 * - `kiln_rate_starts` is the log of starts: `scope` 0 for a job rate key, 1 for a queue. Each
 *   claim that records a start drops the key's starts older than the window; maintenance drops
 *   every start older than the longest window (`kiln_rate_starts_at`), so a key no longer used
 *   (a tenant gone) does not keep its last starts for ever.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE kiln_jobs (
    seq          INTEGER PRIMARY KEY,
    id           TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    queue        TEXT    NOT NULL,
    args         TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    state_reason TEXT,
    state_data   TEXT,
    created_at   INTEGER NOT NULL,
    state_at     INTEGER NOT NULL,
    attempt      INTEGER NOT NULL DEFAULT 1,
    parameters   TEXT    NOT NULL,
    run_at       INTEGER,
    parent_id    TEXT,
    server_id    TEXT,
    lease_until  INTEGER,
    expire_at    INTEGER,
    result       TEXT,
    unique_key   TEXT,
    unique_until INTEGER,
    history      TEXT    NOT NULL
  );
  CREATE UNIQUE INDEX kiln_jobs_id ON kiln_jobs (id);
  CREATE INDEX kiln_jobs_enqueued ON kiln_jobs (queue, seq) WHERE state = 'enqueued';
  CREATE INDEX kiln_jobs_scheduled ON kiln_jobs (run_at, seq) WHERE state = 'scheduled';
  CREATE INDEX kiln_jobs_processing ON kiln_jobs (lease_until) WHERE state = 'processing';
  CREATE INDEX kiln_jobs_awaiting ON kiln_jobs (seq) WHERE state = 'awaiting';
  CREATE INDEX kiln_jobs_failed ON kiln_jobs (seq) WHERE state = 'failed';
  CREATE INDEX kiln_jobs_parent ON kiln_jobs (parent_id) WHERE parent_id IS NOT NULL;
  CREATE INDEX kiln_jobs_expire ON kiln_jobs (expire_at) WHERE expire_at IS NOT NULL;
  CREATE INDEX kiln_jobs_unique ON kiln_jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('enqueued', 'scheduled', 'awaiting', 'processing');

  CREATE TABLE kiln_counts (
    state TEXT    NOT NULL,
    queue TEXT    NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (state, queue)
  ) WITHOUT ROWID;

  CREATE TABLE kiln_totals (
    name TEXT    PRIMARY KEY,
    n    INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE kiln_hours (
    hour      INTEGER PRIMARY KEY,
    succeeded INTEGER NOT NULL DEFAULT 0,
    failed    INTEGER NOT NULL DEFAULT 0
  );

  CREATE TABLE kiln_servers (
    id           TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL,
    worker_count INTEGER NOT NULL,
    queues       TEXT    NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
  );

  CREATE TABLE kiln_locks (
    resource TEXT    PRIMARY KEY,
    owner    TEXT    NOT NULL,
    until    INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE kiln_recurring (
    id             TEXT    PRIMARY KEY,
    name           TEXT    NOT NULL,
    queue          TEXT    NOT NULL,
    args           TEXT    NOT NULL,
    cron           TEXT    NOT NULL,
    time_zone      TEXT    NOT NULL,
    misfire        TEXT    NOT NULL,
    next_execution INTEGER,
    last_execution INTEGER,
    last_job_id    TEXT,
    paused         INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    error          TEXT
  );
  CREATE INDEX kiln_recurring_due ON kiln_recurring (next_execution)
    WHERE paused = 0 AND next_execution IS NOT NULL;
  `,
  // 2: flow control (issue #14).
  `
  ALTER TABLE kiln_jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE kiln_jobs ADD COLUMN limited INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE kiln_jobs ADD COLUMN concurrency_key TEXT;
  ALTER TABLE kiln_jobs ADD COLUMN concurrency_limit INTEGER;
  ALTER TABLE kiln_jobs ADD COLUMN rate_key TEXT;
  ALTER TABLE kiln_jobs ADD COLUMN rate_max INTEGER;
  ALTER TABLE kiln_jobs ADD COLUMN rate_per_ms INTEGER;

  DROP INDEX kiln_jobs_enqueued;
  CREATE INDEX kiln_jobs_enqueued ON kiln_jobs (queue, limited, priority DESC, seq) WHERE state = 'enqueued';
  CREATE INDEX kiln_jobs_running_keys ON kiln_jobs (concurrency_key)
    WHERE concurrency_key IS NOT NULL AND state = 'processing';
  CREATE INDEX kiln_jobs_rate ON kiln_jobs (rate_key)
    WHERE rate_key IS NOT NULL AND state IN ('enqueued', 'processing');
  CREATE INDEX kiln_jobs_throttle ON kiln_jobs (unique_key, unique_until)
    WHERE unique_key IS NOT NULL AND unique_until IS NOT NULL;

  CREATE TABLE kiln_queues (
    queue       TEXT    PRIMARY KEY,
    paused      INTEGER NOT NULL DEFAULT 0,
    concurrency INTEGER,
    rate_max    INTEGER,
    rate_per_ms INTEGER
  ) WITHOUT ROWID;

  CREATE TABLE kiln_rate_starts (
    scope INTEGER NOT NULL,
    key   TEXT    NOT NULL,
    at    INTEGER NOT NULL
  );
  CREATE INDEX kiln_rate_starts_key ON kiln_rate_starts (scope, key, at);
  `,
  // 3: liveness marks (#16), one per running server, apart from kiln_servers: a server removed
  // by heartbeat timeout keeps its mark while its process lives.
  `
  CREATE TABLE kiln_liveness (
    server_id   TEXT    PRIMARY KEY,
    pid         INTEGER NOT NULL,
    start_ticks INTEGER NOT NULL,
    boot_id     TEXT    NOT NULL,
    pid_ns      TEXT    NOT NULL
  ) WITHOUT ROWID;
  `,
  // 4: job events and job logs (issue #15).
  `
  CREATE TABLE kiln_event_listeners (
    id    TEXT    PRIMARY KEY,
    until INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE kiln_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    written_at INTEGER NOT NULL,
    payload    TEXT    NOT NULL
  );
  CREATE INDEX kiln_events_written ON kiln_events (written_at);

  CREATE TABLE kiln_job_logs (
    job_seq INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    level   TEXT    NOT NULL,
    message TEXT    NOT NULL,
    fields  TEXT,
    PRIMARY KEY (job_seq, seq)
  ) WITHOUT ROWID;
  `,
  // 5: the rate starts of keys no longer used are pruned by maintenance (issue #14): it finds
  // those older than the longest window by this index.
  `
  CREATE INDEX kiln_rate_starts_at ON kiln_rate_starts (at);
  `,
];


/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to `SCHEMA_VERSION`. Idempotent, and safe when several processes open a
 * fresh file at once: the version is read again inside a `BEGIN IMMEDIATE` transaction (which
 * takes SQLite's single write lock, waiting up to `busy_timeout`), so exactly one process applies
 * each migration and the others find the work done. DDL and `PRAGMA user_version` are
 * transactional in SQLite, so a crash mid-migration leaves the previous version intact.
 */
export function migrate(db: BetterSqlite3.Database, logger: Logger): void {
  if (userVersion(db) === SCHEMA_VERSION) return;
  db.transaction(() => {
    const current = userVersion(db);
    if (current > SCHEMA_VERSION) {
      throw new KilnError(
        `Kiln: the SQLite database ${db.name} has schema version ${current}, newer than this Kiln's ${SCHEMA_VERSION}; upgrade Kiln`,
      );
    }
    if (current === SCHEMA_VERSION) return;
    for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    logger.debug('migrated the SQLite schema', { file: db.name, from: current, to: SCHEMA_VERSION });
  }).immediate();
}

function userVersion(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}
