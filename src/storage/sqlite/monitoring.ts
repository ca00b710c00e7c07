import { denseTimeline, timelineRange } from '../buckets.js';
import type {
  JobDetails,
  JobLogPage,
  JobLogQuery,
  JobPage,
  LimitUsage,
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
import { ValidationError } from '../../errors.js';
import type { SqliteContext } from './context.js';
import type { SqliteJobStore } from './jobs.js';
import type { SqliteJobLogs } from './logs.js';
import type { SqliteRecurringStore } from './recurring.js';
import { pageLimitUsage } from '../limit-usage.js';
import { toQueueSettings } from './queues.js';
import { JOB_COLUMNS, toJobRecord, toServerRecord, type JobRow } from './rows.js';
import { RATE_KEY, RATE_QUEUE } from './statements/queues.js';

/**
 * Monitoring on SQLite: the dashboard's and the CLI's reads. Counts come from the counters every
 * write transaction maintains (`kiln_counts`, `kiln_totals`, `kiln_hours`), so the overview never
 * counts a million rows; only a filtered list (name, search, retries) counts its matches. One job,
 * the recurring definitions and a job's log are read by the job store, the recurring store and the
 * log store, which own them.
 */
export class SqliteMonitoring implements MonitoringApi {

  constructor(
    private readonly ctx: SqliteContext,
    private readonly jobs: SqliteJobStore,
    private readonly recurring: SqliteRecurringStore,
    private readonly logs: SqliteJobLogs,
  ) {}

  async statistics(): Promise<StorageStatistics> {
    return this.ctx.read(({ monitoring: s }) => {
      const states = Object.fromEntries(STATE_NAMES.map((name) => [name, 0])) as Record<StateName, number>;
      for (const r of s.stateCounts.all()) states[r.state] = r.n;
      const totals = new Map(s.totals.all().map((r) => [r.name, r.n]));
      return {
        states,
        succeededTotal: totals.get('succeeded') ?? 0,
        failedTotal: totals.get('failed') ?? 0,
        servers: s.countServers.get() ?? 0,
        recurring: s.countRecurring.get() ?? 0,
      };
    });
  }

  async queues(): Promise<QueueStatistics[]> {
    const byQueue = new Map<string, QueueStatistics>();
    for (const r of this.ctx.open().s.monitoring.queueCounts.all()) {
      const q = byQueue.get(r.queue) ?? { queue: r.queue, enqueued: 0, processing: 0 };
      q[r.state] += r.n;
      byQueue.set(r.queue, q);
    }
    return [...byQueue.values()].sort((a, b) => a.queue.localeCompare(b.queue));
  }

  async queueHeads(): Promise<QueueHead[]> {
    return this.ctx
      .open()
      .s.monitoring.queueHeads.all()
      .filter((h) => h.enqueuedAt !== null)
      .sort((a, b) => a.queue.localeCompare(b.queue));
  }
  async queueSettings(): Promise<QueueSettings[]> {
    return this.ctx.open().s.queues.allSettings.all().map(toQueueSettings);
  }

  /**
   * Limits in use: queue limits from `kiln_queues` and the counters, job groups from the partial
   * indexes that hold only limited jobs that are enqueued or processing, rate use from the log.
   */
  async limitUsage(q: LimitUsageQuery): Promise<LimitUsagePage> {
    return this.ctx.read(({ queues, monitoring }) => {
      const all: LimitUsage[] = [];
      for (const r of queues.allSettings.all()) {
        const waiting = queues.enqueuedIn.get(r.queue) ?? 0;
        if (r.concurrency !== null) {
          const used = queues.processingIn.get(r.queue) ?? 0;
          all.push({ scope: 'queue', kind: 'concurrency', key: r.queue, limit: r.concurrency, perMs: null, used, waiting });
        }
        if (r.rate_max !== null) {
          const perMs = r.rate_per_ms!;
          const used = queues.countStarts.get(RATE_QUEUE, r.queue, q.now - perMs) ?? 0;
          all.push({ scope: 'queue', kind: 'rate', key: r.queue, limit: r.rate_max, perMs, used, waiting });
        }
      }
      const groups = new Map<string, LimitUsage>();
      const group = (r: { key: string; lim: number }) => {
        let g = groups.get(r.key);
        if (!g) groups.set(r.key, (g = { scope: 'key', kind: 'concurrency', key: r.key, limit: r.lim, perMs: null, used: 0, waiting: 0 }));
        g.limit = Math.max(g.limit, r.lim);
        return g;
      };
      for (const r of monitoring.runningByKey.all()) group(r).used = r.n;
      for (const { queue } of monitoring.queueCounts.all().filter((c) => c.state === 'enqueued')) {
        for (const r of monitoring.waitingByKey.all(queue)) group(r).waiting += r.n;
      }
      all.push(...groups.values());
      for (const g of monitoring.rateUsage.all()) {
        const used = queues.countStarts.get(RATE_KEY, g.key, q.now - g.per_ms) ?? 0;
        all.push({ scope: 'key', kind: 'rate', key: g.key, limit: g.lim, perMs: g.per_ms, used, waiting: g.waiting });
      }
      return pageLimitUsage(all, q);
    });
  }

  /**
   * A page of one state's jobs, newest first. The total comes from the maintained counts when only
   * state and queue filter; name, search and retry filters count the matching rows.
   */
  async listJobs(q: ListJobsQuery): Promise<JobPage> {
    if (!STATE_NAMES.includes(q.state)) throw new ValidationError('state', `unknown job state: ${String(q.state)}`);
    // The state is spelled literally (it is one of STATE_NAMES) so partial indexes can serve it.
    const where = [`state = '${q.state}'`];
    const params: Array<string | number> = [];
    if (q.queue !== undefined) {
      where.push('queue = ?');
      params.push(q.queue);
    }
    if (q.name !== undefined) {
      where.push('name = ?');
      params.push(q.name);
    }
    if (q.search !== undefined) {
      where.push('kiln_search(id, name, ?)');
      params.push(q.search);
    }
    if (q.retriesOnly) where.push('attempt > 1');
    const filter = where.join(' AND ');
    return this.ctx.read(({ monitoring: s }) => {
      let total: number;
      if (q.name === undefined && q.search === undefined && !q.retriesOnly) {
        total = q.queue === undefined ? (s.stateCount.get(q.state) ?? 0) : (s.stateQueueCount.get(q.state, q.queue) ?? 0);
      } else {
        const count = s.dynamicStatement<number>(`SELECT count(*) FROM kiln_jobs WHERE ${filter}`).pluck();
        total = count.get(...params) ?? 0;
      }
      const page = s.dynamicStatement<JobRow>(
        `SELECT ${JOB_COLUMNS} FROM kiln_jobs WHERE ${filter} ORDER BY seq DESC LIMIT ? OFFSET ?`,
      );
      const jobs = page.all(...params, Math.max(0, q.limit), Math.max(0, q.offset)).map(toJobRecord);
      return { total, jobs };
    });
  }

  getJob(id: string): Promise<JobDetails | null> {
    return this.jobs.getJob(id);
  }

  jobLogs(jobId: string, query: JobLogQuery): Promise<JobLogPage> {
    return this.logs.jobLogs(jobId, query);
  }

  getRecurring(id: string): Promise<RecurringJobRecord | null> {
    return this.recurring.getRecurring(id);
  }

  listRecurring(): Promise<RecurringJobRecord[]> {
    return this.recurring.listRecurring();
  }

  async listServers(): Promise<ServerRecord[]> {
    return this.ctx.open().s.monitoring.listServers.all().map(toServerRecord);
  }

  async timeline(unit: 'hour' | 'day', from: number, to: number): Promise<TimelinePoint[]> {
    const { start, end } = timelineRange(unit, from, to);
    return denseTimeline(unit, from, to, this.ctx.open().s.monitoring.hours.all(start, end));
  }
}
