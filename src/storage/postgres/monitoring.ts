import { denseTimeline, timelineRange } from '../buckets.js';
import type * as contract from '../contract/index.js';
import { STATE_NAMES } from '../contract/index.js';
import type { PostgresJobLogs } from './logs.js';
import type { PostgresContext, Statement } from './context.js';
import type { PostgresJobStore } from './jobs.js';
import type { PostgresQueues } from './queues.js';
import type { PostgresRecurringStore } from './recurring.js';
import { jobColumns, type JobRow, type ServerRow, toJob, toServer } from './rows.js';

/**
 * The dashboard's statements: planned per call (rare, and over tables whose sizes change), except
 * the server list, a small table read on every page.
 */
function monitoringStatements(ctx: PostgresContext) {
  const s = ctx.s;
  const cols = jobColumns('j');
  return {
    statistics: ctx.plain(
      `SELECT (SELECT coalesce(jsonb_object_agg(x.state, x.n), '{}')
                 FROM (SELECT state, count(*) AS n FROM ${s}.jobs GROUP BY state) x) AS states,
              (SELECT coalesce(sum(succeeded), 0)::bigint FROM ${s}.counters WHERE bucket = -1) AS succeeded,
              (SELECT coalesce(sum(failed), 0)::bigint FROM ${s}.counters WHERE bucket = -1) AS failed,
              (SELECT count(*) FROM ${s}.servers) AS servers,
              (SELECT count(*) FROM ${s}.recurring) AS recurring`,
    ),
    queues: ctx.plain(
      `SELECT queue, count(*) FILTER (WHERE state = 'enqueued') AS enqueued,
              count(*) FILTER (WHERE state = 'processing') AS processing
         FROM ${s}.jobs WHERE state IN ('enqueued', 'processing') GROUP BY queue`,
    ),
    // The queues holding enqueued jobs by a loose index scan of the fetch index (one probe per
    // queue, however many jobs wait), then each queue's head: the job a claim takes first (by
    // priority, then seq), the better of the first plain and the first limited entry of the
    // fetch index (queue, limited, priority DESC, seq): two probes, never a sort of the backlog.
    queueHeads: ctx.plain(
      `WITH RECURSIVE q(queue) AS (
         (SELECT queue FROM ${s}.jobs WHERE state = 'enqueued' ORDER BY queue LIMIT 1)
         UNION ALL
         SELECT (SELECT j.queue FROM ${s}.jobs j WHERE j.state = 'enqueued' AND j.queue > q.queue ORDER BY j.queue LIMIT 1)
           FROM q WHERE q.queue IS NOT NULL
       )
       SELECT q.queue, h.state_at AS "enqueuedAt"
         FROM q
         JOIN LATERAL (
           SELECT f.state_at FROM (
             (SELECT j.priority, j.seq, j.state_at FROM ${s}.jobs j
               WHERE j.state = 'enqueued' AND j.queue = q.queue AND j.limited = false ORDER BY j.priority DESC, j.seq LIMIT 1)
             UNION ALL
             (SELECT j.priority, j.seq, j.state_at FROM ${s}.jobs j
               WHERE j.state = 'enqueued' AND j.queue = q.queue AND j.limited = true ORDER BY j.priority DESC, j.seq LIMIT 1)
           ) f ORDER BY f.priority DESC, f.seq LIMIT 1) h ON true
        WHERE q.queue IS NOT NULL`,
    ),
    timeline: ctx.plain(
      `SELECT bucket AS at, sum(succeeded)::bigint AS succeeded, sum(failed)::bigint AS failed
         FROM ${s}.counters WHERE bucket >= $1::bigint AND bucket < $2::bigint GROUP BY bucket`,
    ),
    listServers: ctx.named(
      'list_servers',
      `SELECT id, name, worker_count, queues, started_at, heartbeat_at FROM ${s}.servers ORDER BY started_at, id`,
    ),
    /** One page of a state, newest first, with the total; `where` is built from the filters. */
    listJobs(where: string): Statement {
      return ctx.plain(`SELECT t.total, ${cols}
                      FROM (SELECT count(*) AS total FROM ${s}.jobs j WHERE ${where}) t
                      LEFT JOIN LATERAL (
                        SELECT * FROM ${s}.jobs j WHERE ${where} ORDER BY j.seq DESC OFFSET $2::integer LIMIT $3::integer
                      ) j ON true
                     ORDER BY j.seq DESC`);
    },
  };
}

/**
 * The read-only views on Postgres for the dashboard and the CLI. A single job and the recurring
 * definitions are read as the job store and the recurring store read them.
 */
export class PostgresMonitoring implements contract.MonitoringApi {
  private readonly sql: ReturnType<typeof monitoringStatements>;

  constructor(
    private readonly ctx: PostgresContext,
    private readonly jobs: PostgresJobStore,
    private readonly recurring: PostgresRecurringStore,
    private readonly flow: PostgresQueues,
    private readonly logs: PostgresJobLogs,
  ) {
    this.sql = monitoringStatements(ctx);
  }

  queueSettings(): Promise<contract.QueueSettings[]> {
    return this.flow.queueSettings();
  }

  limitUsage(query: contract.LimitUsageQuery): Promise<contract.LimitUsagePage> {
    return this.flow.limitUsage(query);
  }

  getJob(id: string): Promise<contract.JobDetails | null> {
    return this.jobs.getJob(id);
  }

  /** Not stored by this backend yet (issue #15). */
  jobLogs(jobId: string, query: contract.JobLogQuery): Promise<contract.JobLogPage> {
    return this.logs.jobLogs(jobId, query);
  }

  getRecurring(id: string): Promise<contract.RecurringJobRecord | null> {
    return this.recurring.getRecurring(id);
  }

  listRecurring(): Promise<contract.RecurringJobRecord[]> {
    return this.recurring.listRecurring();
  }

  /**
   * Per-state counts are `count(*)` over the jobs table (exact, like Hangfire's SQL storages):
   * cheap for the active states, and proportional to the retained succeeded/deleted jobs.
   */
  async statistics(): Promise<contract.StorageStatistics> {
    const row = (
      await this.ctx.run<{
        states: Partial<Record<contract.StateName, number>>;
        succeeded: number;
        failed: number;
        servers: number;
        recurring: number;
      }>(this.sql.statistics, [])
    ).rows[0];
    const states = Object.fromEntries(STATE_NAMES.map((s) => [s, row?.states[s] ?? 0]));
    return {
      states: states as contract.StorageStatistics['states'],
      succeededTotal: row?.succeeded ?? 0,
      failedTotal: row?.failed ?? 0,
      servers: row?.servers ?? 0,
      recurring: row?.recurring ?? 0,
    };
  }

  async queues(): Promise<contract.QueueStatistics[]> {
    const res = await this.ctx.run<contract.QueueStatistics>(this.sql.queues, []);
    return res.rows
      .map((r) => ({ queue: r.queue, enqueued: r.enqueued, processing: r.processing }))
      .sort((a, b) => a.queue.localeCompare(b.queue));
  }

  async queueHeads(): Promise<contract.QueueHead[]> {
    const res = await this.ctx.run<contract.QueueHead>(this.sql.queueHeads, []);
    return res.rows.map((r) => ({ queue: r.queue, enqueuedAt: r.enqueuedAt })).sort((a, b) => a.queue.localeCompare(b.queue));
  }

  /** `retriesOnly` is `attempt > 1`, read from the table like the other filters. */
  async listJobs(q: contract.ListJobsQuery): Promise<contract.JobPage> {
    const values: unknown[] = [q.state, Math.max(0, q.offset), Math.max(0, q.limit)];
    const where = ['j.state = $1::text'];
    if (q.queue !== undefined) {
      values.push(q.queue);
      where.push(`j.queue = $${values.length}::text`);
    }
    if (q.name !== undefined) {
      values.push(q.name);
      where.push(`j.name = $${values.length}::text`);
    }
    if (q.search !== undefined) {
      values.push(q.search.toLowerCase());
      const p = `$${values.length}::text`;
      where.push(`(left(j.id, length(${p})) = ${p} OR strpos(lower(j.name), ${p}) > 0)`);
    }
    if (q.retriesOnly) where.push('j.attempt > 1');
    const res = await this.ctx.run<JobRow & { total: number }>(this.sql.listJobs(where.join(' AND ')), values);
    const total = res.rows[0]?.total ?? 0;
    return { total, jobs: res.rows.filter((r) => r.id !== null).map(toJob) };
  }

  async listServers(): Promise<contract.ServerRecord[]> {
    const res = await this.ctx.run<ServerRow>(this.sql.listServers, []);
    return res.rows.map(toServer);
  }

  async timeline(unit: 'hour' | 'day', from: number, to: number): Promise<contract.TimelinePoint[]> {
    const { start, end } = timelineRange(unit, from, to);
    const res = await this.ctx.run<{ at: number; succeeded: number; failed: number }>(this.sql.timeline, [start, end]);
    return denseTimeline(unit, from, to, res.rows);
  }
}
