/** Options of `SqliteStorage`. Every one has a default that suits a single host running a few processes. */
export interface SqliteStorageOptions {
  /**
   * How long, in milliseconds, a write waits for another connection's write transaction before it
   * fails with `SQLITE_BUSY`. Default 5000.
   *
   * SQLite allows one writer at a time; Kiln's write transactions last well under a millisecond to
   * a few milliseconds (a batch of 100 claims, a WAL checkpoint), so the wait is normally tiny.
   * Five seconds rides out a slow disk or a large `createJobs` in another process, yet still
   * surfaces a process that holds the lock forever as an error instead of a silent hang. Note that
   * better-sqlite3 waits synchronously: the event loop is blocked while it waits.
   */
  busyTimeoutMs?: number;

  /**
   * How often, in milliseconds, a subscribed storage checks `PRAGMA data_version` to notice
   * commits made by other processes. Default 25.
   *
   * SQLite has no notifications, so this is how an idle worker in one process learns that another
   * process enqueued a job. The check reads a counter from shared memory (about a microsecond),
   * runs only while someone is subscribed, and its timer is `unref()`ed so it never keeps the
   * process alive. 25 ms keeps cross-process pickup latency well under the engine's polling
   * fallback at no measurable cost.
   */
  pollIntervalMs?: number;

  /**
   * SQLite's `synchronous` setting. Default `'normal'`.
   *
   * In WAL mode `'normal'` never corrupts the database and loses nothing when a process crashes;
   * only a power loss or OS crash may roll back the last few committed transactions. That is the
   * usual trade for a job queue (the same one Rails' Solid Queue and most embedded stores make)
   * and it is several times faster than `'full'`, which fsyncs the WAL on every commit. Choose
   * `'full'` when a power loss must not forget an acknowledged enqueue.
   */
  synchronous?: 'normal' | 'full';

  /**
   * Size in bytes above which the WAL file is truncated after a checkpoint. Default 64 MiB.
   *
   * The WAL grows while readers hold old snapshots and is reused afterwards; without a limit a
   * burst of millions of jobs leaves a large file behind for good.
   */
  walSizeLimitBytes?: number;
}

/** `SqliteStorageOptions` with every default applied. */
export type ResolvedSqliteOptions = Required<SqliteStorageOptions>;

export const SQLITE_DEFAULTS: ResolvedSqliteOptions = {
  busyTimeoutMs: 5000,
  pollIntervalMs: 25,
  synchronous: 'normal',
  walSizeLimitBytes: 64 * 1024 * 1024,
};

export function resolveSqliteOptions(options: SqliteStorageOptions = {}): ResolvedSqliteOptions {
  const resolved = { ...SQLITE_DEFAULTS };
  for (const key of Object.keys(SQLITE_DEFAULTS) as Array<keyof SqliteStorageOptions>) {
    if (options[key] !== undefined) Object.assign(resolved, { [key]: options[key] });
  }
  for (const key of ['busyTimeoutMs', 'pollIntervalMs', 'walSizeLimitBytes'] as const) {
    const v = resolved[key];
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`SqliteStorage: ${key} must be a non-negative number, got ${v}`);
  }
  if (resolved.pollIntervalMs < 1) throw new RangeError('SqliteStorage: pollIntervalMs must be at least 1');
  if (resolved.synchronous !== 'normal' && resolved.synchronous !== 'full') {
    throw new RangeError(`SqliteStorage: synchronous must be 'normal' or 'full', got ${String(resolved.synchronous)}`);
  }
  return resolved;
}
