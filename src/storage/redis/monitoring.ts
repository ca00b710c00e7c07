import { HOUR_MS, denseTimeline, timelineRange } from '../buckets.js';
import { STATE_NAMES } from '../contract/index.js';
import type { JobDetails, JobLogPage, JobLogQuery, JobPage, ListJobsQuery, MonitoringApi, QueueHead, QueueStatistics, RecurringJobRecord } from '../contract/index.js';
import type { LimitUsagePage, LimitUsageQuery, QueueSettings, ServerRecord, StateName, StorageStatistics, TimelinePoint } from '../contract/index.js';
import { decodeJob } from './codec.js';
import type { RedisContext } from './context.js';
import type { RedisJobStore } from './jobs.js';
import type { RedisQueues } from './queues.js';
import type { RedisRecurringStore } from './recurring.js';
import { SCRIPTS } from './scripts.js';
import type { RedisJobLogs } from './logs.js';

/**
 * Filtered `listJobs` (by name, search, or queue outside the enqueued state) examine at most this
 * many of the newest jobs of the state, and `total` counts the matches among them: a Lua script
 * blocks Redis for every client, and scanning a million finished jobs for a dashboard search
 * would stall all workers for seconds. Unfiltered pages and counts are exact at any size, and so
 * are the scheduled retries (`retriesOnly`), which have an index of their own.
 */
const LIST_SCAN_LIMIT = 50_000;

/** Scheduled jobs read per call while `migrate()` fills the retries index of an older keyspace. */
const RETRY_INDEX_SLICE = 1_000;

/**
 * Monitoring on Redis: the dashboard's and the CLI's reads, each one script and so one
 * consistent snapshot. Counts are the sizes of the state indexes (see `keys.ts`), never a scan.
 * One job, the recurring definitions and the flow-control settings are read by the job store, the
 * recurring store and queue control, which own them.
 */
export class RedisMonitoring implements MonitoringApi {
  constructor(
    private readonly ctx: RedisContext,
    private readonly jobs: RedisJobStore,
    private readonly recurring: RedisRecurringStore,
    private readonly queueControl: RedisQueues,
    private readonly logs: RedisJobLogs,
  ) {}

  queueSettings(): Promise<QueueSettings[]> {
    return this.queueControl.queueSettings();
  }

  limitUsage(query: LimitUsageQuery): Promise<LimitUsagePage> {
    return this.queueControl.limitUsage(query);
  }

  async statistics(): Promise<StorageStatistics> {
    const r = ((await this.ctx.run(SCRIPTS.statistics, [...STATE_NAMES])) as unknown[]).map(Number);
    const states = Object.fromEntries(STATE_NAMES.map((s, i) => [s, r[i] ?? 0])) as Record<StateName, number>;
    const n = STATE_NAMES.length;
    return {
      states,
      succeededTotal: r[n] ?? 0,
      failedTotal: r[n + 1] ?? 0,
      servers: r[n + 2] ?? 0,
      recurring: r[n + 3] ?? 0,
    };
  }

  async queues(): Promise<QueueStatistics[]> {
    const reply = (await this.ctx.run(SCRIPTS.queues, [])) as unknown[][];
    return reply
      .map(([queue, enqueued, processing]) => ({
        queue: String(queue),
        enqueued: Number(enqueued),
        processing: Number(processing),
      }))
      .filter((q) => q.enqueued > 0 || q.processing > 0)
      .sort((a, b) => a.queue.localeCompare(b.queue));
  }

  async queueHeads(): Promise<QueueHead[]> {
    const reply = (await this.ctx.run(SCRIPTS.queueHeads, [])) as unknown[][];
    return reply
      .map(([queue, enqueuedAt]) => ({ queue: String(queue), enqueuedAt: Number(enqueuedAt) }))
      .sort((a, b) => a.queue.localeCompare(b.queue));
  }

  async listJobs(q: ListJobsQuery): Promise<JobPage> {
    const query: { s: StateName; o: string; l: string; c: string; q?: string; n?: string; x?: string; r?: true } = {
      s: q.state,
      o: String(Math.max(0, q.offset)),
      l: String(Math.max(0, q.limit)),
      c: String(LIST_SCAN_LIMIT),
    };
    if (q.queue !== undefined) query.q = q.queue;
    if (q.name !== undefined) query.n = q.name;
    if (q.search !== undefined) query.x = q.search.toLowerCase();
    if (q.retriesOnly) query.r = true;
    const [total, jobs] = (await this.ctx.run(SCRIPTS.listJobs, [JSON.stringify(query)])) as [unknown, unknown[]];
    return { total: Number(total), jobs: jobs.map((flat) => decodeJob(flat).record) };
  }

  getJob(id: string): Promise<JobDetails | null> {
    return this.jobs.getJob(id);
  }

  /** Not stored by this backend yet (issue #15). */
  jobLogs(jobId: string, query: JobLogQuery): Promise<JobLogPage> {
    return this.logs.jobLogs(jobId, query);
  }

  async listServers(): Promise<ServerRecord[]> {
    const reply = (await this.ctx.run(SCRIPTS.listServers, [])) as unknown[][];
    return reply
      .map(([json, heartbeatAt]) => ({
        ...(JSON.parse(String(json)) as Omit<ServerRecord, 'heartbeatAt'>),
        heartbeatAt: Number(heartbeatAt),
      }))
      .sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
  }

  async timeline(unit: 'hour' | 'day', from: number, to: number): Promise<TimelinePoint[]> {
    const { start, end } = timelineRange(unit, from, to);
    const hours: number[] = [];
    for (let at = start; at < end; at += HOUR_MS) hours.push(at);
    if (hours.length === 0) return denseTimeline(unit, from, to, []);
    const fields = hours.flatMap((at) => [`s:${at}`, `f:${at}`]);
    const values = (await this.ctx.run(SCRIPTS.timeline, fields)) as string[];
    const points = hours.map((at, i) => ({
      at,
      succeeded: Number(values[2 * i] || 0),
      failed: Number(values[2 * i + 1] || 0),
    }));
    return denseTimeline(unit, from, to, points);
  }

  getRecurring(id: string): Promise<RecurringJobRecord | null> {
    return this.recurring.getRecurring(id);
  }

  listRecurring(): Promise<RecurringJobRecord[]> {
    return this.recurring.listRecurring();
  }

  /**
   * Fills the `retries` index from the scheduled jobs of a keyspace written before it existed, a
   * slice of `RETRY_INDEX_SLICE` jobs a call; once done (marked in Redis) it costs one call.
   * Called by `migrate()`. During a rolling upgrade a server of an older version still schedules
   * retries without indexing them: those are missing from the Retries page (still listed among
   * the scheduled jobs) until a newer server schedules them again.
   */
  async indexRetries(): Promise<void> {
    let after = '';
    do {
      after = String(await this.ctx.run(SCRIPTS.indexRetries, [after, String(RETRY_INDEX_SLICE)]));
    } while (after !== '');
  }
}
