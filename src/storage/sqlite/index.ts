import { resolve } from 'node:path';
import { ValidationError } from '../../errors.js';
import type { StorageDescriptor } from '../contract/index.js';
import { ComposedStorage } from '../composed-storage.js';
import { describeStorage } from '../descriptor.js';
import { SqliteContext } from './context.js';
import { SqliteJobEvents } from './events.js';
import { SqliteJobStore } from './jobs.js';
import { SqliteLiveness } from './liveness.js';
import { SqliteJobLogs } from './logs.js';
import { SqliteMaintenance } from './maintenance.js';
import { SqliteMonitoring } from './monitoring.js';
import { SqliteNotifications } from './notifications.js';
import { resolveSqliteOptions, type SqliteStorageOptions } from './options.js';
import { SqliteQueues } from './queues.js';
import { SqliteRecurringStore } from './recurring.js';

export type { SqliteStorageOptions } from './options.js';

/**
 * Kiln's embedded default storage: one SQLite file, shared by every server and client process on
 * the host, through better-sqlite3 (loaded when the file is first used, not when Kiln is imported).
 *
 * One role object per part of the contract — the job store (`jobs.ts`, its claim in `claim.ts`),
 * maintenance (`maintenance.ts`), recurring jobs (`recurring.ts`), queue control (`queues.ts`),
 * monitoring (`monitoring.ts`), wake-ups (`notifications.ts`), job events (`events.ts`), job logs
 * (`logs.ts`) and liveness (`liveness.ts`) — over one shared `SqliteContext` (`context.ts`: the
 * connection, its prepared statements and transactions, and how concurrency works).
 * `ComposedStorage` hands each call to its role.
 *
 * The file is opened, configured and migrated on first use (or by `migrate()`), so every method
 * works even when called first. `close()` stops the wake-up poll and closes the connection; any
 * later call fails.
 */
export class SqliteStorage extends ComposedStorage {
  /** The absolute path of the database file. */
  readonly path: string;
  private readonly ctx: SqliteContext;
  private readonly notifications: SqliteNotifications;
  private readonly events: SqliteJobEvents;
  private readonly description: StorageDescriptor | undefined;

  /**
   * @param path The database file, created if missing. Default `./kiln.db`, resolved against the
   *   working directory now, so a later `process.chdir` does not move it. `:memory:` is not
   *   supported: the point of this backend is a file other processes can share.
   * @param options See `SqliteStorageOptions`; a bad one is a `ValidationError` naming it.
   */
  constructor(path = './kiln.db', options: SqliteStorageOptions = {}) {
    if (typeof path !== 'string' || path === ':memory:' || path === '') {
      throw new ValidationError('path', 'SqliteStorage needs a file path; use MemoryStorage for a store in memory');
    }
    const settings = resolveSqliteOptions(options);
    const ctx = new SqliteContext(resolve(path), settings);
    const jobs = new SqliteJobStore(ctx);
    const recurring = new SqliteRecurringStore(ctx);
    const notifications = new SqliteNotifications(ctx);
    const maintenance = new SqliteMaintenance(ctx);
    const queues = new SqliteQueues(ctx);
    const events = new SqliteJobEvents(ctx);
    const logs = new SqliteJobLogs(ctx);
    super({
      jobs,
      maintenance,
      recurring,
      queues,
      monitoring: new SqliteMonitoring(ctx, jobs, recurring, logs),
      notifications,
      liveness: new SqliteLiveness(ctx),
      events,
      logs,
    });
    this.events = events;
    this.path = ctx.path;
    this.ctx = ctx;
    this.notifications = notifications;
    const { logger: _logger, ...plain } = settings;
    this.description = describeStorage(import.meta.url, 'SqliteStorage', [ctx.path, plain]);
  }

  /** The same file with the same settings: another connection to it. */
  describe(): StorageDescriptor | undefined {
    return this.description;
  }

  async migrate(): Promise<void> {
    this.ctx.open();
  }

  async close(): Promise<void> {
    this.notifications.close();
    this.events.close();
    this.ctx.close();
  }
}
