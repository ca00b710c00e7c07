import type {
  JobDetails,
  JobLogPage,
  JobLogQuery,
  JobPage,
  LimitUsagePage,
  LimitUsageQuery,
  ListJobsQuery,
  MonitoringApi,
  QueueHead,
  QueueSettings,
  QueueStatistics,
  RecurringJobRecord,
  ServerRecord,
  StateName,
  StorageStatistics,
  TimelinePoint,
} from '../contract/index.js';
import { STATE_NAMES } from '../contract/index.js';
import { denseTimeline, timelineRange } from '../buckets.js';
import type { MemoryJobs } from './jobs.js';
import { binary } from '../limit-usage.js';
import { limitUsage } from './limits.js';
import type { MemoryJobLogs } from './logs.js';
import type { MemoryRecurring } from './recurring.js';
import { clone, toRecord, type MemoryState } from './state.js';

/** The read-only views of the memory backend, for the dashboard and the CLI. */
export class MemoryMonitoring implements MonitoringApi {
  constructor(
    private readonly s: MemoryState,
    private readonly jobs: MemoryJobs,
    private readonly recurring: MemoryRecurring,
    private readonly logs: MemoryJobLogs,
  ) {}

  async statistics(): Promise<StorageStatistics> {
    const states = Object.fromEntries(STATE_NAMES.map((s) => [s, 0])) as Record<StateName, number>;
    for (const j of this.s.jobs.values()) states[j.state]++;
    return {
      states,
      succeededTotal: this.s.totals.succeeded,
      failedTotal: this.s.totals.failed,
      servers: this.s.servers.size,
      recurring: this.s.recurring.size,
    };
  }

  async queues(): Promise<QueueStatistics[]> {
    const byQueue = new Map<string, QueueStatistics>();
    for (const j of this.s.jobs.values()) {
      if (j.state !== 'enqueued' && j.state !== 'processing') continue;
      const q = byQueue.get(j.queue) ?? { queue: j.queue, enqueued: 0, processing: 0 };
      q[j.state]++;
      byQueue.set(j.queue, q);
    }
    return [...byQueue.values()].sort((a, b) => a.queue.localeCompare(b.queue));
  }

  async queueHeads(): Promise<QueueHead[]> {
    const heads = new Map<string, QueueHead>();
    for (const j of this.s.ordered()) {
      if (j.state === 'enqueued' && !heads.has(j.queue)) heads.set(j.queue, { queue: j.queue, enqueuedAt: j.stateAt });
    }
    return [...heads.values()].sort((a, b) => a.queue.localeCompare(b.queue));
  }
  async queueSettings(): Promise<QueueSettings[]> {
    return [...this.s.queueSettings.values()].sort((a, b) => binary(a.queue, b.queue)).map(clone);
  }

  async limitUsage(query: LimitUsageQuery): Promise<LimitUsagePage> {
    return limitUsage(this.s, query);
  }

  async listJobs(q: ListJobsQuery): Promise<JobPage> {
    const search = q.search?.toLowerCase();
    const matching = this.s
      .ordered()
      .reverse()
      .filter(
        (j) =>
          j.state === q.state &&
          (q.queue === undefined || j.queue === q.queue) &&
          (q.name === undefined || j.name === q.name) &&
          (!q.retriesOnly || j.attempt > 1) &&
          (search === undefined || j.id.startsWith(search) || j.name.toLowerCase().includes(search)),
      );
    return { total: matching.length, jobs: matching.slice(q.offset, q.offset + q.limit).map(toRecord) };
  }

  getJob(id: string): Promise<JobDetails | null> {
    return this.jobs.getJob(id);
  }

  jobLogs(jobId: string, query: JobLogQuery): Promise<JobLogPage> {
    return this.logs.jobLogs(jobId, query);
  }

  async listServers(): Promise<ServerRecord[]> {
    return [...this.s.servers.values()].sort((a, b) => a.startedAt - b.startedAt).map(clone);
  }

  getRecurring(id: string): Promise<RecurringJobRecord | null> {
    return this.recurring.getRecurring(id);
  }

  listRecurring(): Promise<RecurringJobRecord[]> {
    return this.recurring.listRecurring();
  }

  async timeline(unit: 'hour' | 'day', from: number, to: number): Promise<TimelinePoint[]> {
    const { start, end } = timelineRange(unit, from, to);
    const hours = [...this.s.hours.entries()].filter(([at]) => at >= start && at < end).map(([at, v]) => ({ at, ...v }));
    return denseTimeline(unit, from, to, hours);
  }
}
