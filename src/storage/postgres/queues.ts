import type * as contract from '../contract/index.js';
import { pageLimitUsage } from '../limit-usage.js';
import type { PostgresContext } from './context.js';
import { RATE_KEY, RATE_QUEUE } from './migrations/003-flow/fragments.js';

/** A `queues` row. */
interface QueueRow {
  queue: string;
  paused: boolean;
  concurrency: number | null;
  rate_max: number | null;
  rate_per_ms: number | null;
}

/** A row of the limit-usage read: one limit in use. */
interface UsageRow {
  scope: contract.LimitUsage['scope'];
  kind: contract.LimitUsage['kind'];
  key: string;
  lim: number;
  per_ms: number | null;
  used: number;
  waiting: number;
}

/** The statements of queue control and of the dashboard's views of it. */
function queueStatements(ctx: PostgresContext) {
  const s = ctx.s;
  return {
    setPaused: ctx.named('set_queue_paused', `SELECT ${s}.set_queue_paused($1::text, $2::boolean) AS changed`),
    setLimits: ctx.named(
      'set_queue_limits',
      `SELECT ${s}.set_queue_limits($1::text, $2::integer, $3::integer, $4::bigint)`,
    ),
    nextRateSlot: ctx.named('next_rate_slot', `SELECT ${s}.next_rate_slot($1::text[], $2::bigint) AS at`),
    settings: ctx.plain(`SELECT queue, paused, concurrency, rate_max, rate_per_ms FROM ${s}.queues ORDER BY queue`),
    // Every limit in use: the queues' own, then the job groups with enqueued or processing jobs
    // (a group's numbers are the largest its jobs carry). Counted here, paged by `pageLimitUsage`.
    usage: ctx.plain(
      `WITH q AS (SELECT * FROM ${s}.queues),
            qn AS (
              SELECT j.queue, count(*) FILTER (WHERE j.state = 'enqueued') AS waiting,
                     count(*) FILTER (WHERE j.state = 'processing') AS running
                FROM ${s}.jobs j WHERE j.state IN ('enqueued', 'processing') AND j.queue IN (SELECT queue FROM q)
               GROUP BY j.queue)
       SELECT 'queue' AS scope, 'concurrency' AS kind, q.queue AS key, q.concurrency AS lim, NULL::bigint AS per_ms,
              coalesce(qn.running, 0) AS used, coalesce(qn.waiting, 0) AS waiting
         FROM q LEFT JOIN qn ON qn.queue = q.queue WHERE q.concurrency IS NOT NULL
       UNION ALL
       SELECT 'queue', 'rate', q.queue, q.rate_max, q.rate_per_ms,
              (SELECT count(*) FROM ${s}.rate_starts r WHERE r.scope = ${RATE_QUEUE} AND r.key = q.queue AND r.at > $1::bigint - q.rate_per_ms),
              coalesce(qn.waiting, 0)
         FROM q LEFT JOIN qn ON qn.queue = q.queue WHERE q.rate_max IS NOT NULL
       UNION ALL
       SELECT 'key', 'concurrency', j.concurrency_key, max(j.concurrency_limit), NULL,
              count(*) FILTER (WHERE j.state = 'processing'), count(*) FILTER (WHERE j.state = 'enqueued')
         FROM ${s}.jobs j WHERE j.concurrency_key IS NOT NULL AND j.state IN ('enqueued', 'processing')
        GROUP BY j.concurrency_key
       UNION ALL
       SELECT 'key', 'rate', g.key, g.lim, g.per_ms,
              (SELECT count(*) FROM ${s}.rate_starts r WHERE r.scope = ${RATE_KEY} AND r.key = g.key AND r.at > $1::bigint - g.per_ms),
              g.waiting
         FROM (SELECT j.rate_key AS key, max(j.rate_max) AS lim, (array_agg(j.rate_per_ms ORDER BY j.rate_max DESC))[1] AS per_ms,
                      count(*) FILTER (WHERE j.state = 'enqueued') AS waiting
                 FROM ${s}.jobs j WHERE j.rate_key IS NOT NULL AND j.state IN ('enqueued', 'processing')
                GROUP BY j.rate_key) g`,
    ),
  };
}

/**
 * Queue control on Postgres: a `queues` row per paused or limited queue, written by one function
 * call that also sends the `enqueued` wake-up; the limits themselves are enforced by `fetch_jobs`
 * (migration 3). Also answers the dashboard's `queueSettings` and `limitUsage`.
 */
export class PostgresQueues implements contract.QueueControl {
  private readonly sql: ReturnType<typeof queueStatements>;

  constructor(private readonly ctx: PostgresContext) {
    this.sql = queueStatements(ctx);
  }

  async setQueuePaused(queue: string, paused: boolean): Promise<boolean> {
    const res = await this.ctx.run<{ changed: boolean }>(this.sql.setPaused, [queue, paused]);
    return res.rows[0]?.changed === true;
  }

  async setQueueLimits(queue: string, limits: contract.QueueLimits): Promise<void> {
    await this.ctx.run(this.sql.setLimits, [queue, limits.concurrency, limits.rate?.max ?? null, limits.rate?.perMs ?? null]);
  }

  async nextRateSlot(queues: string[], now: number): Promise<number | null> {
    if (queues.length === 0) return null;
    const res = await this.ctx.run<{ at: number | null }>(this.sql.nextRateSlot, [queues, now]);
    return res.rows[0]?.at ?? null;
  }

  async queueSettings(): Promise<contract.QueueSettings[]> {
    const res = await this.ctx.run<QueueRow>(this.sql.settings, []);
    return res.rows.map((r) => ({
      queue: r.queue,
      paused: r.paused,
      concurrency: r.concurrency,
      rate: r.rate_max === null ? null : { max: r.rate_max, perMs: r.rate_per_ms! },
    }));
  }

  async limitUsage(q: contract.LimitUsageQuery): Promise<contract.LimitUsagePage> {
    const res = await this.ctx.run<UsageRow>(this.sql.usage, [q.now]);
    const all = res.rows.map((r) => ({
      scope: r.scope,
      kind: r.kind,
      key: r.key,
      limit: r.lim,
      perMs: r.per_ms,
      used: Number(r.used),
      waiting: Number(r.waiting),
    }));
    return pageLimitUsage(all, q);
  }
}
