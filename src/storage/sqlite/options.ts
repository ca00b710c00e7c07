import { ValidationError } from '../../errors.js';
import { consoleLogger, type Logger } from '../../logger.js';

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

  /**
   * Where the storage writes what it notices: schema migrations and busy retries at debug level,
   * a failing cross-process wake-up poll as a warning. Default `consoleLogger()` (src/logger.ts),
   * the logger every part of Kiln uses unless told otherwise.
   */
  logger?: Logger;
}

/** `SqliteStorageOptions` with every default applied. */
export type ResolvedSqliteOptions = Required<SqliteStorageOptions>;

/** The defaults, each explained on `SqliteStorageOptions`. */
export const SQLITE_DEFAULTS: Readonly<Omit<ResolvedSqliteOptions, 'logger'>> = {
  busyTimeoutMs: 5000,
  pollIntervalMs: 25,
  synchronous: 'normal',
  walSizeLimitBytes: 64 * 1024 * 1024,
};

/** Applies the defaults; a bad option is a `ValidationError` naming it (`options.busyTimeoutMs`). */
export function resolveSqliteOptions(options: SqliteStorageOptions = {}): ResolvedSqliteOptions {
  const resolved: ResolvedSqliteOptions = { ...SQLITE_DEFAULTS, logger: options.logger ?? consoleLogger() };
  for (const key of Object.keys(SQLITE_DEFAULTS) as Array<keyof typeof SQLITE_DEFAULTS>) {
    if (options[key] !== undefined) Object.assign(resolved, { [key]: options[key] });
  }
  for (const key of ['busyTimeoutMs', 'pollIntervalMs', 'walSizeLimitBytes'] as const) {
    const v = resolved[key];
    if (!Number.isFinite(v) || v < 0) throw new ValidationError(`options.${key}`, `must be a non-negative number, got ${v}`);
  }
  if (resolved.pollIntervalMs < 1) throw new ValidationError('options.pollIntervalMs', 'must be at least 1');
  if (resolved.synchronous !== 'normal' && resolved.synchronous !== 'full') {
    throw new ValidationError('options.synchronous', `must be 'normal' or 'full', got ${String(resolved.synchronous)}`);
  }
  const { logger } = resolved;
  if (typeof logger !== 'object' || logger === null || !LOG_LEVELS.every((level) => typeof logger[level] === 'function')) {
    throw new ValidationError('options.logger', 'must have debug, info, warn and error methods');
  }
  return resolved;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
