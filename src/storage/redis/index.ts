import type { StorageDescriptor } from '../contract/index.js';
import { ComposedStorage } from '../composed-storage.js';
import { describeStorage } from '../descriptor.js';
import { DEFAULT_REDIS_URL, type RedisConnection } from './connection.js';
import { RedisContext } from './context.js';
import { RedisJobStore } from './jobs.js';
import type { KeyLayout } from './keys.js';
import { RedisJobEvents } from './events.js';
import { RedisLiveness } from './liveness.js';
import { RedisJobLogs } from './logs.js';
import { RedisMaintenance } from './maintenance.js';
import { RedisMonitoring } from './monitoring.js';
import { RedisNotifications } from './notifications.js';
import { DEFAULT_REDIS_PREFIX, resolveRedisOptions, type RedisStorageOptions } from './options.js';
import { splitConnection } from '../url.js';
import { RedisQueues } from './queues.js';
import { RedisRecurringStore } from './recurring.js';

export type { RedisClient, RedisConnection } from './connection.js';
export { KILN_REDIS_DEFAULTS, DEFAULT_REDIS_URL } from './connection.js';
export { DEFAULT_REDIS_PREFIX, type RedisStorageOptions } from './options.js';
export { keyLayout, type KeyLayout } from './keys.js';

/**
 * Storage in Redis (6.2 or later), for fleets whose stack is Redis (today's BullMQ users), through
 * ioredis (an optional peer dependency, loaded when a storage is constructed, not when Kiln is
 * imported).
 *
 * Every operation is one Lua script, so each is atomic and costs one round trip. One role object
 * per part of the contract — the job store (`jobs.ts`), maintenance (`maintenance.ts`), recurring
 * jobs (`recurring.ts`), queue control (`queues.ts`), monitoring (`monitoring.ts`) and wake-ups through pub/sub
 * (`notifications.ts`) — over one shared `RedisContext` (`context.ts`: the command connection, the
 * key layout, the logger and the script runner). `ComposedStorage` hands each call to its role
 * and returns the role's promise as it is: no extra await on the hot path.
 *
 * Connections: given a URL or ioredis options, the storage creates its connection (see
 * `KILN_REDIS_DEFAULTS`) and closes it in `close()`; given an existing `Redis` or `Cluster`
 * client, it uses it as configured and leaves it open. `subscribe` opens one extra connection for
 * pub/sub, which the storage owns and closes.
 *
 * Job events (`events.ts`, sharing that pub/sub connection), job logs (`logs.ts`) and liveness
 * (`liveness.ts`: one more connection per held mark) are roles like the others.
 */
export class RedisStorage extends ComposedStorage {
  /** The key layout, e.g. for tools that inspect or clean up the keyspace. */
  readonly keys: KeyLayout;
  private readonly ctx: RedisContext;
  private readonly monitoring: RedisMonitoring;
  private readonly notifications: RedisNotifications;
  private readonly marks: RedisLiveness;
  private readonly events: RedisJobEvents;
  private readonly description: StorageDescriptor | undefined;

  /**
   * @param connection a `redis://` / `rediss://` URL, ioredis options, or an existing ioredis
   *   client (default `redis://127.0.0.1:6379`).
   * @param options See `RedisStorageOptions`; a bad one is a `ValidationError` naming it. A missing
   *   `ioredis` package is a `KilnError` that says to install it.
   */
  constructor(connection: RedisConnection = DEFAULT_REDIS_URL, options: RedisStorageOptions = {}) {
    // `?prefix=` in the URL is the key prefix (as for `kiln --storage`); `options.prefix` wins.
    const fromUrl = splitConnection(connection, 'prefix');
    const ctx = new RedisContext(fromUrl.connection, resolveRedisOptions(options, fromUrl.value));
    const liveness = new RedisLiveness(ctx);
    const events = new RedisJobEvents(ctx);
    const jobs = new RedisJobStore(ctx);
    const recurring = new RedisRecurringStore(ctx);
    const queues = new RedisQueues(ctx);
    const logs = new RedisJobLogs(ctx);
    const monitoring = new RedisMonitoring(ctx, jobs, recurring, queues, logs);
    const notifications = new RedisNotifications(ctx);
    super({
      jobs,
      maintenance: new RedisMaintenance(ctx),
      recurring,
      queues,
      monitoring,
      notifications,
      liveness,
      events,
      logs,
    });
    this.keys = ctx.keys;
    this.ctx = ctx;
    this.monitoring = monitoring;
    this.notifications = notifications;
    this.marks = liveness;
    this.events = events;
    const prefix = options.prefix ?? fromUrl.value ?? DEFAULT_REDIS_PREFIX;
    this.description = ctx.connection.owned ? describeStorage(import.meta.url, 'RedisStorage', [fromUrl.connection as unknown, { prefix }]) : undefined;
  }

  /**
   * The same server and key prefix, for a storage built from a URL or plain ioredis options;
   * undefined for one given an existing client, or options holding functions (`retryStrategy`).
   */
  describe(): StorageDescriptor | undefined {
    return this.description;
  }

  /**
   * Loads every script into Redis's script cache and brings an older keyspace's indexes up to
   * date (the retries index). Idempotent.
   */
  async migrate(): Promise<void> {
    await this.ctx.loadScripts();
    await this.monitoring.indexRetries();
  }

  /**
   * Ends the liveness marks' connections (leaving their records: the servers then look gone, as
   * if their process had died), withdraws the job-event announcement, and closes the subscriber
   * and, when the storage created it, the command connection.
   */
  async close(): Promise<void> {
    this.marks.close();
    this.notifications.close();
    await this.events.close();
    await this.ctx.close();
  }
}
