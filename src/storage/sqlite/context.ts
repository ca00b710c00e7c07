import { realpathSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { KilnError, StorageFullError, errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { openConnection } from './connection.js';
import { jobEventsWritten } from './events.js';
import { broadcast } from './notifications.js';
import type { ResolvedSqliteOptions } from './options.js';
import { migrate } from './schema.js';
import { Statements } from './statements/index.js';
import { WriteBatch } from './write-batch.js';

/** What exists once the file is open: the connection, its statements and its transactions. */
export interface Connection {
  db: BetterSqlite3.Database;
  s: Statements;
  /** Runs a function in `BEGIN IMMEDIATE` (`.immediate`) or `BEGIN DEFERRED` (`.deferred`). */
  tx: BetterSqlite3.Transaction<(work: () => unknown) => unknown>;
  /** The resolved file path: the key of this file's in-process event channel. */
  key: string;
}

/**
 * What every role of one `SqliteStorage` shares: the file, its options and logger, the one
 * connection (opened on first use), its prepared statements, and the two kinds of transaction.
 *
 * Concurrency. SQLite allows one writer at a time. Every operation that writes more than one
 * statement runs in one `BEGIN IMMEDIATE` transaction (`write`), which takes the write lock up
 * front (waiting up to `busyTimeoutMs`), so a read inside it can never be stale when its write
 * lands: `fetch` cannot claim a job twice, a unique key cannot be inserted twice, a
 * compare-and-set transition cannot apply twice, across connections and processes. Reads that
 * span several statements run in one deferred transaction (`read`), a consistent WAL snapshot.
 *
 * Opening. The file is opened, configured and migrated on first use (better-sqlite3 itself is
 * loaded then too), so every method works even when called first. After `close()` any call
 * fails with a `KilnError`.
 */
export class SqliteContext {
  private connection: Connection | undefined;
  private closed = false;

  constructor(
    /** The absolute path of the database file. */
    readonly path: string,
    readonly options: ResolvedSqliteOptions,
  ) {}

  get logger(): Logger {
    return this.options.logger;
  }

  /** The open connection, opening, configuring and migrating the file the first time. */
  open(): Connection {
    if (this.connection) return this.connection;
    if (this.closed) throw new KilnError(`SqliteStorage(${this.path}) is closed`);
    const db = openConnection(this.path, this.options);
    try {
      migrate(db, this.options.logger);
      const s = new Statements(db);
      const tx = db.transaction((work: () => unknown) => work());
      this.connection = { db, s, tx, key: realpathSync(this.path) };
      return this.connection;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Runs `work` in one `BEGIN IMMEDIATE` transaction, writes its counters and job events just
   * before commit, and after the commit sends its wake-ups to every instance on this file in this
   * process and tells its job-event readers to read. If `work` throws, everything rolls back and
   * nothing is sent; a full disk is a `StorageFullError`.
   */
  write<T>(work: (s: Statements, batch: WriteBatch) => T): T {
    const { s, tx, key } = this.open();
    const batch = new WriteBatch(() => s.events.listening.get(Date.now()) !== undefined);
    let result: T;
    try {
      result = tx.immediate(() => {
        const r = work(s, batch);
        batch.flush(s.counters, s.events);
        return r;
      }) as T;
    } catch (error) {
      throw this.full(error);
    }
    broadcast(key, batch.events);
    if (batch.publishedJobEvents) jobEventsWritten(key);
    return result;
  }

  /**
   * SQLite's `SQLITE_FULL` (the disk is full, or the file reached `max_page_count`) as a
   * `StorageFullError` naming this file; any other error as it is. The transaction rolled back.
   */
  private full(error: unknown): unknown {
    if ((error as { code?: unknown } | null)?.code !== 'SQLITE_FULL') return error;
    return new StorageFullError(`SqliteStorage(${this.path})`, `${errorMessage(error)} (nothing of this call was written)`, { cause: error });
  }

  /** Runs `work` in one read transaction: one consistent snapshot, no write lock. */
  read<T>(work: (s: Statements) => T): T {
    const { s, tx } = this.open();
    return tx.deferred(() => work(s)) as T;
  }

  /** Closes the connection; later calls fail. Idempotent. */
  close(): void {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    connection?.db.close();
  }
}
