import type {
  CreatedJob,
  CreateOptions,
  FetchOptions,
  JobDetails,
  JobEvent,
  JobEventChannel,
  JobLogAppend,
  JobLogPage,
  JobLogQuery,
  JobLogStore,
  JobPage,
  JobRecord,
  JobStore,
  Json,
  LimitUsagePage,
  LimitUsageQuery,
  ListJobsQuery,
  Liveness,
  LivenessHold,
  Maintenance,
  MonitoringApi,
  NewJob,
  Notifications,
  QueueHead,
  QueueControl,
  QueueLimits,
  QueueSettings,
  QueueStatistics,
  RecurringAdvance,
  RecurringJobRecord,
  RecurringStore,
  ServerRecord,
  StateName,
  Storage,
  StorageEvent,
  StorageStatistics,
  TimelinePoint,
  TransitionChange,
} from './contract/index.js';

/** A backend's role objects, one per role of the contract. */
export interface StorageRoles {
  jobs: JobStore;
  maintenance: Maintenance;
  recurring: RecurringStore;
  queues: QueueControl;
  monitoring: MonitoringApi;
  notifications: Notifications;
  /** Absent: the backend has no liveness mark nor clock yet (`WITHOUT_LIVENESS`). */
  liveness?: Liveness;
  events: JobEventChannel;
  logs: JobLogStore;
}

/**
 * The liveness role of a backend that has none: no mark (its servers are judged by the heartbeat
 * timeout alone), nothing ever found gone, no storage clock (no correction). What a backend is
 * until it implements `src/storage/contract/liveness.ts`.
 */
export const WITHOUT_LIVENESS: Liveness = {
  holdLiveness: async () => null,
  removeVanishedServers: async () => [],
  storageTime: async () => null,
};

/**
 * The thin public class of a backend: a `Storage` made of its role objects, each call handed to
 * the role that owns it, so the backend's class holds only its lifecycle (`migrate`, `close`)
 * and how it builds its roles. Where two roles name one read (`getJob` is in the job store and
 * monitoring, `getRecurring`/`listRecurring` in recurring and monitoring, `jobLogs` in the log
 * store and monitoring), the job store, the recurring store and the log store answer it.
 */
export abstract class ComposedStorage implements Storage {
  private readonly liveness: Liveness;

  constructor(protected readonly roles: StorageRoles) {
    this.liveness = roles.liveness ?? WITHOUT_LIVENESS;
  }

  abstract migrate(): Promise<void>;
  abstract close(): Promise<void>;

  // The job store.
  createJobs(jobs: NewJob[], options: CreateOptions): Promise<CreatedJob[]> {
    return this.roles.jobs.createJobs(jobs, options);
  }
  fetch(options: FetchOptions): Promise<JobRecord[]> {
    return this.roles.jobs.fetch(options);
  }
  renewLeases(serverId: string, ids: string[], leaseMs: number, now: number): Promise<string[]> {
    return this.roles.jobs.renewLeases(serverId, ids, leaseMs, now);
  }
  mergeParameters(id: string, serverId: string, parameters: { [key: string]: Json }, now: number): Promise<boolean> {
    return this.roles.jobs.mergeParameters(id, serverId, parameters, now);
  }
  transition(changes: TransitionChange[], now: number): Promise<boolean[]> {
    return this.roles.jobs.transition(changes, now);
  }
  getJob(id: string): Promise<JobDetails | null> {
    return this.roles.jobs.getJob(id);
  }
  continuationsOf(parentIds: string[]): Promise<JobRecord[]> {
    return this.roles.jobs.continuationsOf(parentIds);
  }
  awaitingReady(limit: number): Promise<Array<{ job: JobRecord; parentState: StateName | null; parentResult: string | null }>> {
    return this.roles.jobs.awaitingReady(limit);
  }

  // Maintenance.
  enqueueDue(now: number, limit: number): Promise<number> {
    return this.roles.maintenance.enqueueDue(now, limit);
  }
  nextDueAt(): Promise<number | null> {
    return this.roles.maintenance.nextDueAt();
  }
  releaseExpiredLeases(now: number, limit: number): Promise<number> {
    return this.roles.maintenance.releaseExpiredLeases(now, limit);
  }
  deleteExpired(now: number, limit: number): Promise<number> {
    return this.roles.maintenance.deleteExpired(now, limit);
  }
  announceServer(server: ServerRecord): Promise<void> {
    return this.roles.maintenance.announceServer(server);
  }
  heartbeat(serverId: string, now: number): Promise<boolean> {
    return this.roles.maintenance.heartbeat(serverId, now);
  }
  removeServer(serverId: string, now: number): Promise<void> {
    return this.roles.maintenance.removeServer(serverId, now);
  }
  removeDeadServers(heartbeatBefore: number, now: number): Promise<string[]> {
    return this.roles.maintenance.removeDeadServers(heartbeatBefore, now);
  }
  acquireLock(resource: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    return this.roles.maintenance.acquireLock(resource, owner, ttlMs, now);
  }
  releaseLock(resource: string, owner: string): Promise<void> {
    return this.roles.maintenance.releaseLock(resource, owner);
  }

  // Recurring jobs.
  upsertRecurring(job: RecurringJobRecord): Promise<void> {
    return this.roles.recurring.upsertRecurring(job);
  }
  removeRecurring(id: string): Promise<boolean> {
    return this.roles.recurring.removeRecurring(id);
  }
  setRecurringPaused(id: string, paused: boolean): Promise<boolean> {
    return this.roles.recurring.setRecurringPaused(id, paused);
  }
  getRecurring(id: string): Promise<RecurringJobRecord | null> {
    return this.roles.recurring.getRecurring(id);
  }
  listRecurring(): Promise<RecurringJobRecord[]> {
    return this.roles.recurring.listRecurring();
  }
  dueRecurring(now: number, limit: number): Promise<RecurringJobRecord[]> {
    return this.roles.recurring.dueRecurring(now, limit);
  }
  advanceRecurring(advance: RecurringAdvance, now: number): Promise<boolean> {
    return this.roles.recurring.advanceRecurring(advance, now);
  }

  // Queue control.
  setQueuePaused(queue: string, paused: boolean): Promise<boolean> {
    return this.roles.queues.setQueuePaused(queue, paused);
  }
  setQueueLimits(queue: string, limits: QueueLimits): Promise<void> {
    return this.roles.queues.setQueueLimits(queue, limits);
  }
  nextRateSlot(queues: string[], now: number): Promise<number | null> {
    return this.roles.queues.nextRateSlot(queues, now);
  }

  // Monitoring.
  statistics(): Promise<StorageStatistics> {
    return this.roles.monitoring.statistics();
  }
  queues(): Promise<QueueStatistics[]> {
    return this.roles.monitoring.queues();
  }
  queueHeads(): Promise<QueueHead[]> {
    return this.roles.monitoring.queueHeads();
  }
  queueSettings(): Promise<QueueSettings[]> {
    return this.roles.monitoring.queueSettings();
  }
  limitUsage(query: LimitUsageQuery): Promise<LimitUsagePage> {
    return this.roles.monitoring.limitUsage(query);
  }
  listJobs(query: ListJobsQuery): Promise<JobPage> {
    return this.roles.monitoring.listJobs(query);
  }
  listServers(): Promise<ServerRecord[]> {
    return this.roles.monitoring.listServers();
  }
  timeline(unit: 'hour' | 'day', from: number, to: number): Promise<TimelinePoint[]> {
    return this.roles.monitoring.timeline(unit, from, to);
  }

  // Notifications.
  subscribe(listener: (event: StorageEvent) => void): Promise<() => Promise<void>> {
    return this.roles.notifications.subscribe(listener);
  }

  // Liveness.
  holdLiveness(serverId: string): Promise<LivenessHold | null> {
    return this.liveness.holdLiveness(serverId);
  }
  removeVanishedServers(now: number, checkerId: string): Promise<string[]> {
    return this.liveness.removeVanishedServers(now, checkerId);
  }
  storageTime(): Promise<number | null> {
    return this.liveness.storageTime();
  }

  // Job events.
  subscribeJobEvents(onEvent: (event: JobEvent) => void, onGap?: () => void): Promise<() => Promise<void>> {
    return this.roles.events.subscribeJobEvents(onEvent, onGap);
  }

  // Job logs.
  appendJobLogs(appends: JobLogAppend[], maxLines: number): Promise<void> {
    return this.roles.logs.appendJobLogs(appends, maxLines);
  }
  jobLogs(jobId: string, query: JobLogQuery): Promise<JobLogPage> {
    return this.roles.logs.jobLogs(jobId, query);
  }
}
