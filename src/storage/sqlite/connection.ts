import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ResolvedSqliteOptions } from './options.js';

/**
 * Opens a connection to the database file and configures it for several processes on one host:
 *
 * - `busy_timeout` (through better-sqlite3's `timeout`): a writer waits for the one before it
 *   instead of failing at once.
 * - `journal_mode = WAL`: readers never block the writer nor the writer the readers, and a commit
 *   is one append to the log. The mode is stored in the file, so only the first opener switches
 *   it; when several processes open a fresh file at once, the switch can report `SQLITE_BUSY`
 *   without waiting, so it is retried until `busyTimeoutMs` has passed.
 * - `synchronous`: see `SqliteStorageOptions.synchronous`.
 * - `journal_size_limit`: see `SqliteStorageOptions.walSizeLimitBytes`.
 *
 * The parent directory is created if missing, so `new SqliteStorage('./data/kiln.db')` works on
 * a fresh checkout.
 */
export function openConnection(path: string, options: ResolvedSqliteOptions): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: options.busyTimeoutMs });
  try {
    retryWhileBusy(() => {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`Kiln: could not switch ${path} to WAL mode (journal_mode is ${String(mode)})`);
    }, options.busyTimeoutMs);
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma(`journal_size_limit = ${Math.floor(options.walSizeLimitBytes)}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** True for SQLite's "database is locked" family of errors. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

function retryWhileBusy(fn: () => void, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fn();
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      sleepSync(5);
    }
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms`: only while opening, where every call is synchronous anyway. */
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
