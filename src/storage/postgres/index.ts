import type * as contract from '../contract/index.js';
import { PostgresContext, withConnection } from './context.js';
import { PostgresJobStore } from './jobs.js';
import { PostgresMaintenance } from './maintenance.js';
import { migrateSchema } from './migrations/runner.js';
import { PostgresMonitoring } from './monitoring.js';
import { PostgresNotifications } from './notifications.js';
import { checkConnection, resolveOptions, type PostgresConnection, type PostgresStorageOptions } from './options.js';
import { PostgresRecurringStore } from './recurring.js';

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
 * This class only composes the roles, one file each over a shared `PostgresContext` (the pool,
 * the statements, the logger): jobs.ts, maintenance.ts, recurring.ts, monitoring.ts,
 * notifications.ts. Resilience: pool errors are logged, never thrown, so a Postgres restart does
 * not crash the process; while the database is down every method rejects, and works again once
 * it is back.
 */
export class PostgresStorage implements contract.Storage {
  /** The schema holding Kiln's tables. */
  readonly schema: string;
  private readonly ctx: PostgresContext;
  private readonly jobs: PostgresJobStore;
  private readonly maintenance: PostgresMaintenance;
  private readonly recurring: PostgresRecurringStore;
  private readonly monitoring: PostgresMonitoring;
  private readonly notifications: PostgresNotifications;
  private closed = false;

  constructor(connection: PostgresConnection, options: PostgresStorageOptions = {}) {
    const settings = resolveOptions(options);
    this.schema = settings.schema;
    this.ctx = new PostgresContext(checkConnection(connection), settings);
    this.jobs = new PostgresJobStore(this.ctx);
    this.maintenance = new PostgresMaintenance(this.ctx);
    this.recurring = new PostgresRecurringStore(this.ctx, this.jobs);
    this.monitoring = new PostgresMonitoring(this.ctx, this.jobs, this.recurring);
    this.notifications = new PostgresNotifications(this.ctx, settings.listenerBackoff);
  }

  // ---- lifecycle

  async migrate(): Promise<void> {
    const { pool, logger } = this.ctx;
    await withConnection(pool, logger, 'while migrating', (client) => migrateSchema(client, this.schema));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.notifications.close();
    await this.ctx.close();
  }

  // ---- job store

  createJobs(jobs: contract.NewJob[], options: contract.CreateOptions): Promise<contract.CreatedJob[]> {
    return this.jobs.createJobs(jobs, options);
  }
  fetch(options: contract.FetchOptions): Promise<contract.JobRecord[]> {
    return this.jobs.fetch(options);
  }
  renewLeases(serverId: string, ids: string[], leaseMs: number, now: number): Promise<string[]> {
    return this.jobs.renewLeases(serverId, ids, leaseMs, now);
  }
  mergeParameters(id: string, serverId: string, parameters: { [key: string]: contract.Json }): Promise<boolean> {
    return this.jobs.mergeParameters(id, serverId, parameters);
  }
  transition(changes: contract.TransitionChange[], now: number): Promise<boolean[]> {
    return this.jobs.transition(changes, now);
  }
  getJob(id: string): Promise<contract.JobDetails | null> {
    return this.jobs.getJob(id);
  }
  continuationsOf(parentIds: string[]): Promise<contract.JobRecord[]> {
    return this.jobs.continuationsOf(parentIds);
  }
  awaitingReady(limit: number): ReturnType<contract.JobStore['awaitingReady']> {
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
  announceServer(server: contract.ServerRecord): Promise<void> {
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

  upsertRecurring(job: contract.RecurringJobRecord): Promise<void> {
    return this.recurring.upsertRecurring(job);
  }
  removeRecurring(id: string): Promise<boolean> {
    return this.recurring.removeRecurring(id);
  }
  setRecurringPaused(id: string, paused: boolean): Promise<boolean> {
    return this.recurring.setRecurringPaused(id, paused);
  }
  getRecurring(id: string): Promise<contract.RecurringJobRecord | null> {
    return this.recurring.getRecurring(id);
  }
  listRecurring(): Promise<contract.RecurringJobRecord[]> {
    return this.recurring.listRecurring();
  }
  dueRecurring(now: number, limit: number): Promise<contract.RecurringJobRecord[]> {
    return this.recurring.dueRecurring(now, limit);
  }
  advanceRecurring(advance: contract.RecurringAdvance, now: number): Promise<boolean> {
    return this.recurring.advanceRecurring(advance, now);
  }

  // ---- monitoring

  statistics(): Promise<contract.StorageStatistics> {
    return this.monitoring.statistics();
  }
  queues(): Promise<contract.QueueStatistics[]> {
    return this.monitoring.queues();
  }
  listJobs(query: contract.ListJobsQuery): Promise<contract.JobPage> {
    return this.monitoring.listJobs(query);
  }
  listServers(): Promise<contract.ServerRecord[]> {
    return this.monitoring.listServers();
  }
  timeline(unit: 'hour' | 'day', from: number, to: number): Promise<contract.TimelinePoint[]> {
    return this.monitoring.timeline(unit, from, to);
  }

  // ---- notifications

  subscribe(listener: (event: contract.StorageEvent) => void): Promise<() => Promise<void>> {
    return this.notifications.subscribe(listener);
  }
}
