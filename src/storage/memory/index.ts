import type {
  CreatedJob,
  CreateOptions,
  FetchOptions,
  Json,
  JobDetails,
  JobPage,
  JobRecord,
  ListJobsQuery,
  NewJob,
  QueueStatistics,
  RecurringAdvance,
  RecurringJobRecord,
  ServerRecord,
  StateName,
  Storage,
  StorageEvent,
  StorageStatistics,
  TimelinePoint,
  TransitionChange,
} from '../contract/index.js';
import { MemoryJobs } from './jobs.js';
import { MemoryMaintenance } from './maintenance.js';
import { MemoryMonitoring } from './monitoring.js';
import { MemoryNotifications } from './notifications.js';
import { MemoryRecurring } from './recurring.js';
import { MemoryState } from './state.js';

/**
 * Storage in this process's memory: for tests and for trying Kiln out. Everything is lost when the
 * process exits, and it cannot be shared between processes. Every operation is synchronous inside,
 * so each is atomic by construction.
 *
 * A thin class over one role object per part of the contract (`jobs.ts`, `maintenance.ts`,
 * `recurring.ts`, `monitoring.ts`, `notifications.ts`), which share the state in `state.ts`.
 */
export class MemoryStorage implements Storage {
  private readonly state = new MemoryState();
  private readonly jobs = new MemoryJobs(this.state);
  private readonly maintenance = new MemoryMaintenance(this.state);
  private readonly recurring = new MemoryRecurring(this.state, this.jobs);
  private readonly monitoring = new MemoryMonitoring(this.state, this.jobs, this.recurring);
  private readonly notifications = new MemoryNotifications(this.state);

  async migrate(): Promise<void> {}

  async close(): Promise<void> {
    this.notifications.close();
  }

  // The job store.
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

  // Maintenance.
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

  // Recurring jobs.
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

  // Monitoring.
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

  // Notifications.
  subscribe(listener: (event: StorageEvent) => void): Promise<() => Promise<void>> {
    return this.notifications.subscribe(listener);
  }
}
