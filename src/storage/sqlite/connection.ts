import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { Backoff } from '../../backoff.js';
import { KilnError } from '../../errors.js';
import type { ResolvedSqliteOptions } from './options.js';

const require = createRequire(import.meta.url);

/**
 * The better-sqlite3 driver, loaded when the first database is opened rather than when Kiln is
 * imported: importing `SqliteStorage` (the zero-config default) costs nothing until it is used,
 * and an application on Postgres or Redis never loads the native module. It is a regular
 * dependency, so a plain `require` (CommonJS, synchronous, cached by Node) is all it takes.
 */
function driver(): typeof BetterSqlite3 {
  return require('better-sqlite3') as typeof BetterSqlite3;
}

/**
 * The wait between two attempts to switch a fresh file to WAL mode while another process holds
 * it: 5 ms, doubling to 100 ms. The switch takes microseconds once the other opener is done, so
 * the first retries are short; the cap keeps a slow opener from being polled hard.
 */
const WAL_SWITCH_BACKOFF = { initialMs: 5, maxMs: 100 };

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
export function openConnection(path: string, options: ResolvedSqliteOptions): BetterSqlite3.Database {
  mkdirSync(dirname(path), { recursive: true });
  const Database = driver();
  const db = new Database(path, { timeout: options.busyTimeoutMs });
  try {
    retryWhileBusy(() => {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new KilnError(`Kiln: could not switch ${path} to WAL mode (journal_mode is ${String(mode)})`);
    }, options);
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

function retryWhileBusy(fn: () => void, options: ResolvedSqliteOptions): void {
  const deadline = Date.now() + options.busyTimeoutMs;
  const backoff = new Backoff(WAL_SWITCH_BACKOFF);
  for (;;) {
    try {
      fn();
      return;
    } catch (error) {
      const left = deadline - Date.now();
      if (!isBusy(error) || left <= 0) throw error;
      const wait = Math.min(backoff.fail(), left);
      options.logger.debug('SQLite file busy while switching to WAL mode, retrying', { waitMs: wait });
      sleepSync(wait);
    }
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms`: only while opening, where every call is synchronous anyway. */
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
