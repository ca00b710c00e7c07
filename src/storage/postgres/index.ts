import type { StorageDescriptor } from '../contract/index.js';
import { ComposedStorage } from '../composed-storage.js';
import { describeStorage } from '../descriptor.js';
import { PostgresContext, withConnection } from './context.js';
import { PostgresJobStore } from './jobs.js';
import { PostgresJobEvents } from './events.js';
import { PostgresLiveness } from './liveness.js';
import { PostgresJobLogs } from './logs.js';
import { PostgresMaintenance } from './maintenance.js';
import { migrateSchema } from './migrations/runner.js';
import { PostgresMonitoring } from './monitoring.js';
import { PostgresNotifications } from './notifications.js';
import { EventPublishing } from './publishing.js';
import { checkConnection, resolveOptions, type PostgresConnection, type PostgresStorageOptions } from './options.js';
import { PostgresQueues } from './queues.js';
import { PostgresRecurringStore } from './recurring.js';
import { splitConnection } from '../url.js';

export { MIGRATIONS, type Migration } from './migrations/index.js';
export { migrate, migrateSchema, type SqlClient } from './migrations/runner.js';
export {
  DEFAULT_POOL_SIZE,
  DEFAULT_SCHEMA,
  type PostgresConnection,
  type PostgresStorageOptions,
} from './options.js';

/**
 * Kiln's production storage: many servers on many machines share one PostgreSQL database.
 *
 * Everything lives in one schema (default `kiln`, created by `migrate()`). The hot paths are one
 * round trip each (see `PostgresJobStore`); wake-ups travel by `LISTEN/NOTIFY` on the channel
 * `kiln_<schema>` (see `PostgresNotifications`). `pg` is loaded when the first storage is
 * constructed, so importing this module costs nothing to an application that never uses it.
 *
 * One role object per part of the contract — the job store (`jobs.ts`), maintenance
 * (`maintenance.ts`), recurring jobs (`recurring.ts`), monitoring (`monitoring.ts`), wake-ups
 * (`notifications.ts`), queue control (`queues.ts`), liveness marks and the database clock
 * (`liveness.ts`), job events (`events.ts`, published by the writes through `publishing.ts`) and
 * job logs (`logs.ts`) — over one shared `PostgresContext` (`context.ts`: the pool, statement
 * naming, transactions, the logger). `ComposedStorage` hands each call to its role.
 *
 * Resilience: pool errors are logged, never thrown, so a Postgres restart does not crash the
 * process; while the database is down every method rejects, and works again once it is back.
 */
export class PostgresStorage extends ComposedStorage {
  /** The schema holding Kiln's tables. */
  readonly schema: string;
  private readonly ctx: PostgresContext;
  private readonly notifications: PostgresNotifications;
  private readonly marks: PostgresLiveness;
  private readonly events: PostgresJobEvents;
  private readonly description: StorageDescriptor | undefined;
  private closed = false;

  /**
   * @param connection A connection string, a `pg.PoolConfig`, or `{ pool }` (see `PostgresConnection`).
   * @param options See `PostgresStorageOptions`; a bad one is a `ValidationError` naming it.
   */
  constructor(connection: PostgresConnection, options: PostgresStorageOptions = {}) {
    // `?schema=` in a connection string names the schema (as for `kiln --storage`); `options.schema` wins.
    const fromUrl = splitConnection(connection, 'schema');
    const settings = resolveOptions(options, fromUrl.value);
    const ctx = new PostgresContext(checkConnection(fromUrl.connection), settings);
    const jobs = new PostgresJobStore(ctx, new EventPublishing(ctx));
    const recurring = new PostgresRecurringStore(ctx, jobs);
    const notifications = new PostgresNotifications(ctx, settings.listenerBackoff);
    const queues = new PostgresQueues(ctx);
    const logs = new PostgresJobLogs(ctx);
    const liveness = new PostgresLiveness(ctx, settings.listenerBackoff);
    const events = new PostgresJobEvents(ctx, notifications);
    super({
      jobs,
      maintenance: new PostgresMaintenance(ctx),
      recurring,
      queues,
      monitoring: new PostgresMonitoring(ctx, jobs, recurring, queues, logs),
      notifications,
      liveness,
      events,
      logs,
    });
    this.schema = ctx.schema;
    this.ctx = ctx;
    this.notifications = notifications;
    this.marks = liveness;
    this.events = events;
    const connectionArg = fromUrl.connection;
    this.description =
      typeof connectionArg === 'object' && 'pool' in connectionArg
        ? undefined
        : describeStorage(import.meta.url, 'PostgresStorage', [
            connectionArg,
            {
              schema: settings.schema,
              poolSize: Math.min(2, settings.poolSize),
              listenerMinBackoffMs: settings.listenerBackoff.initialMs,
              listenerMaxBackoffMs: settings.listenerBackoff.maxMs,
            },
          ]);
  }

  /**
   * The same database and schema with a pool of at most 2 connections (another process's
   * storage, for the heartbeat thread: it runs one statement at a time); undefined for a storage
   * given an application's own `{ pool }`, or a config that is not plain JSON (functions, buffers).
   */
  describe(): StorageDescriptor | undefined {
    return this.description;
  }

  async migrate(): Promise<void> {
    const { pool, logger } = this.ctx;
    await withConnection(pool, logger, 'while migrating', (client) => migrateSchema(client, this.schema));
  }

  /**
   * Withdraws its job-event announcement, stops listening, ends its liveness marks' connections
   * (leaving their records: other servers then find those servers gone, as after a crash) and the
   * pool the storage created (an application's own pool stays open).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.events.close();
    await this.notifications.close();
    await this.marks.close();
    await this.ctx.close();
  }
}
