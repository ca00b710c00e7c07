import type { CreatedJob, CreateOptions, FetchOptions, JobDetails, JobPage, JobRecord, Json, ListJobsQuery } from '../contract/index.js';
import type { NewJob, QueueStatistics, RecurringAdvance, RecurringJobRecord, ServerRecord, StateName } from '../contract/index.js';
import type { Storage, StorageEvent, StorageStatistics, TimelinePoint, TransitionChange } from '../contract/index.js';
import { DEFAULT_REDIS_URL, type RedisConnection } from './connection.js';
import { RedisContext } from './context.js';
import { RedisJobStore } from './jobs.js';
import type { KeyLayout } from './keys.js';
import { RedisMaintenance } from './maintenance.js';
import { RedisMonitoring } from './monitoring.js';
import { RedisNotifications } from './notifications.js';
import { resolveRedisOptions, type RedisStorageOptions } from './options.js';
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
 * Every operation is one Lua script, so each is atomic and costs one round trip. This class only
 * composes the roles of the contract, each in its own file over one shared `RedisContext` (the
 * command connection, the key layout, the logger and the script runner; see `context.ts`): the job
 * store (`jobs.ts`), maintenance (`maintenance.ts`), recurring jobs (`recurring.ts`), monitoring
 * (`monitoring.ts`) and wake-ups through pub/sub (`notifications.ts`). Its methods hand the call
 * on and return the role's promise as it is: no extra await on the hot path.
 *
 * Connections: given a URL or ioredis options, the storage creates its connection (see
 * `KILN_REDIS_DEFAULTS`) and closes it in `close()`; given an existing `Redis` or `Cluster`
 * client, it uses it as configured and leaves it open. `subscribe` opens one extra connection for
 * pub/sub, which the storage owns and closes.
 */
export class RedisStorage implements Storage {
  /** The key layout, e.g. for tools that inspect or clean up the keyspace. */
  readonly keys: KeyLayout;
  private readonly ctx: RedisContext;
  private readonly jobs: RedisJobStore;
  private readonly maintenance: RedisMaintenance;
  private readonly recurring: RedisRecurringStore;
  private readonly monitoring: RedisMonitoring;
  private readonly notifications: RedisNotifications;

  /**
   * @param connection a `redis://` / `rediss://` URL, ioredis options, or an existing ioredis
   *   client (default `redis://127.0.0.1:6379`).
   * @param options See `RedisStorageOptions`; a bad one is a `ValidationError` naming it. A missing
   *   `ioredis` package is a `KilnError` that says to install it.
   */
  constructor(connection: RedisConnection = DEFAULT_REDIS_URL, options: RedisStorageOptions = {}) {
    this.ctx = new RedisContext(connection, resolveRedisOptions(options));
    this.keys = this.ctx.keys;
    this.jobs = new RedisJobStore(this.ctx);
    this.maintenance = new RedisMaintenance(this.ctx);
    this.recurring = new RedisRecurringStore(this.ctx);
    this.monitoring = new RedisMonitoring(this.ctx);
    this.notifications = new RedisNotifications(this.ctx);
  }

  /**
   * Loads every script into Redis's script cache and brings an older keyspace's indexes up to
   * date (the retries index). Idempotent.
   */
  async migrate(): Promise<void> {
    await this.ctx.loadScripts();
    await this.monitoring.indexRetries();
  }

  /** Closes the subscriber and, when the storage created it, the command connection. */
  async close(): Promise<void> {
    await Promise.all([this.notifications.close(), this.ctx.close()]);
  }

  // ---- job store

  createJobs(jobs: NewJob[], options: CreateOptions): Promise<CreatedJob[]> {
    return this.jobs.createJobs(jobs, options);
  }
  fetch(options: FetchOptions): Promise<JobRecord[]> {
    return this.jobs.fetch(options);
  }
  renewLeases(serverId: string, ids: string[], leaseMs: number, now: number): Promise<string[]> {
    return this.jobs.renewLeases(serverId, ids, leaseMs, now);
  }
  mergeParameters(id: string, serverId: string, parameters: { [key: string]: Json }): Promise<boolean> {
    return this.jobs.mergeParameters(id, serverId, parameters);
  }
  transition(changes: TransitionChange[], now: number): Promise<boolean[]> {
    return this.jobs.transition(changes, now);
  }
  getJob(id: string): Promise<JobDetails | null> {
    return this.jobs.getJob(id);
  }
  continuationsOf(parentIds: string[]): Promise<JobRecord[]> {
    return this.jobs.continuationsOf(parentIds);
  }
  awaitingReady(limit: number): Promise<Array<{ job: JobRecord; parentState: StateName | null; parentResult: string | null }>> {
    return this.jobs.awaitingReady(limit);
  }

  // ---- maintenance

  enqueueDue(now: number, limit: number): Promise<number> {
    return this.maintenance.enqueueDue(now, limit);
  }
  nextDueAt(): Promise<number | null> {
    return this.maintenance.nextDueAt();
  }
  releaseExpiredLeases(now: number, limit: number): Promise<number> {
    return this.maintenance.releaseExpiredLeases(now, limit);
  }
  deleteExpired(now: number, limit: number): Promise<number> {
    return this.maintenance.deleteExpired(now, limit);
  }
  announceServer(server: ServerRecord): Promise<void> {
    return this.maintenance.announceServer(server);
  }
  heartbeat(serverId: string, now: number): Promise<boolean> {
    return this.maintenance.heartbeat(serverId, now);
  }
  removeServer(serverId: string, now: number): Promise<void> {
    return this.maintenance.removeServer(serverId, now);
  }
  removeDeadServers(heartbeatBefore: number, now: number): Promise<string[]> {
    return this.maintenance.removeDeadServers(heartbeatBefore, now);
  }
  acquireLock(resource: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    return this.maintenance.acquireLock(resource, owner, ttlMs, now);
  }
  releaseLock(resource: string, owner: string): Promise<void> {
    return this.maintenance.releaseLock(resource, owner);
  }

  // ---- recurring jobs

  upsertRecurring(job: RecurringJobRecord): Promise<void> {
    return this.recurring.upsertRecurring(job);
  }
  removeRecurring(id: string): Promise<boolean> {
    return this.recurring.removeRecurring(id);
  }
  setRecurringPaused(id: string, paused: boolean): Promise<boolean> {
    return this.recurring.setRecurringPaused(id, paused);
  }
  getRecurring(id: string): Promise<RecurringJobRecord | null> {
    return this.recurring.getRecurring(id);
  }
  listRecurring(): Promise<RecurringJobRecord[]> {
    return this.recurring.listRecurring();
  }
  dueRecurring(now: number, limit: number): Promise<RecurringJobRecord[]> {
    return this.recurring.dueRecurring(now, limit);
  }
  advanceRecurring(advance: RecurringAdvance, now: number): Promise<boolean> {
    return this.recurring.advanceRecurring(advance, now);
  }

  // ---- monitoring

  statistics(): Promise<StorageStatistics> {
    return this.monitoring.statistics();
  }
  queues(): Promise<QueueStatistics[]> {
    return this.monitoring.queues();
  }
  listJobs(query: ListJobsQuery): Promise<JobPage> {
    return this.monitoring.listJobs(query);
  }
  listServers(): Promise<ServerRecord[]> {
    return this.monitoring.listServers();
  }
  timeline(unit: 'hour' | 'day', from: number, to: number): Promise<TimelinePoint[]> {
    return this.monitoring.timeline(unit, from, to);
  }

  // ---- wake-ups

  subscribe(listener: (event: StorageEvent) => void): Promise<() => Promise<void>> {
    return this.notifications.subscribe(listener);
  }
}
