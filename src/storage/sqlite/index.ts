import { resolve } from 'node:path';
import type * as contract from '../contract/index.js';
import { ValidationError } from '../../errors.js';
import { SqliteContext } from './context.js';
import { SqliteJobStore } from './jobs.js';
import { SqliteMaintenance } from './maintenance.js';
import { SqliteMonitoring } from './monitoring.js';
import { SqliteNotifications } from './notifications.js';
import { resolveSqliteOptions, type SqliteStorageOptions } from './options.js';
import { SqliteRecurringStore } from './recurring.js';

export type { SqliteStorageOptions } from './options.js';

/**
 * Kiln's embedded default storage: one SQLite file, shared by every server and client process on
 * the host, through better-sqlite3 (loaded when the file is first used, not when Kiln is imported).
 *
 * This class only composes the roles of the contract, each in its own file over one shared
 * `SqliteContext` (the connection, its statements and transactions; see `context.ts` for how
 * concurrency works): the job store (`jobs.ts`), maintenance (`maintenance.ts`), recurring jobs
 * (`recurring.ts`), monitoring (`monitoring.ts`) and wake-ups (`notifications.ts`). Its methods
 * hand the call on and return the role's promise as it is: no extra await on the hot path.
 *
 * The file is opened, configured and migrated on first use (or by `migrate()`), so every method
 * works even when called first. `close()` stops the wake-up poll and closes the connection; any
 * later call fails.
 */
export class SqliteStorage implements contract.Storage {
  /** The absolute path of the database file. */
  readonly path: string;
  private readonly ctx: SqliteContext;
  private readonly jobs: SqliteJobStore;
  private readonly maintenance: SqliteMaintenance;
  private readonly recurring: SqliteRecurringStore;
  private readonly monitoring: SqliteMonitoring;
  private readonly notifications: SqliteNotifications;

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
    this.path = resolve(path);
    this.ctx = new SqliteContext(this.path, resolveSqliteOptions(options));
    this.jobs = new SqliteJobStore(this.ctx);
    this.maintenance = new SqliteMaintenance(this.ctx);
    this.recurring = new SqliteRecurringStore(this.ctx);
    this.monitoring = new SqliteMonitoring(this.ctx);
    this.notifications = new SqliteNotifications(this.ctx);
  }

  async migrate(): Promise<void> {
    this.ctx.open();
  }

  async close(): Promise<void> {
    this.notifications.close();
    this.ctx.close();
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
  awaitingReady(
    limit: number,
  ): Promise<Array<{ job: contract.JobRecord; parentState: contract.StateName | null; parentResult: string | null }>> {
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
