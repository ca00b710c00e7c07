import type { LimitUsage, LimitUsagePage, LimitUsageQuery, QueueControl, QueueLimits, QueueSettings } from '../contract/index.js';
import { binary, pageLimitUsage } from '../limit-usage.js';
import type { RedisContext } from './context.js';
import { SCRIPTS } from './scripts.js';

/** A stored number, '' for none. */
const optNumber = (v: unknown): number | null => (v === '' || v === null || v === undefined ? null : Number(v));

/**
 * Queue control on Redis, and the flow-control reads of monitoring: the `qsettings` hash (one
 * field per paused or limited queue, see keys.ts), which every fetch checks, and the start logs
 * that rate limits count. Each call is one script; pausing, resuming and changing limits publish
 * an `enqueued` wake-up on the storage's channel, as creating a job does.
 */
export class RedisQueues implements QueueControl {
  constructor(private readonly ctx: RedisContext) {}

  async setQueuePaused(queue: string, paused: boolean): Promise<boolean> {
    return Number(await this.ctx.run(SCRIPTS.setQueuePaused, [queue, paused ? '1' : '0'])) === 1;
  }

  async setQueueLimits(queue: string, limits: QueueLimits): Promise<void> {
    const { concurrency, rate } = limits;
    await this.ctx.run(SCRIPTS.setQueueLimits, [
      queue,
      concurrency === null ? '' : String(concurrency),
      rate === null ? '' : String(rate.max),
      rate === null ? '' : String(rate.perMs),
    ]);
  }

  async nextRateSlot(queues: string[], now: number): Promise<number | null> {
    const unique = [...new Set(queues)];
    if (unique.length === 0) return null;
    return optNumber(await this.ctx.run(SCRIPTS.nextRateSlot, [String(now), ...unique]));
  }

  /** Every queue that is paused or has a limit, by queue name. */
  async queueSettings(): Promise<QueueSettings[]> {
    const rows = (await this.ctx.run(SCRIPTS.queueSettings, [])) as unknown[][];
    return rows
      .map(([queue, paused, concurrency, max, perMs]) => {
        const rateMax = optNumber(max);
        return {
          queue: String(queue),
          paused: Number(paused) === 1,
          concurrency: optNumber(concurrency),
          rate: rateMax === null ? null : { max: rateMax, perMs: Number(perMs) },
        };
      })
      .sort((a, b) => binary(a.queue, b.queue));
  }

  /** Limits and their current use: every one found by one script, filtered and paged here. */
  async limitUsage(q: LimitUsageQuery): Promise<LimitUsagePage> {
    const rows = (await this.ctx.run(SCRIPTS.limitUsage, [String(q.now)])) as unknown[][];
    const all: LimitUsage[] = rows.map(([scope, kind, key, limit, perMs, used, waiting]) => ({
      scope: scope === 'queue' ? 'queue' : 'key',
      kind: kind === 'rate' ? 'rate' : 'concurrency',
      key: String(key),
      limit: Number(limit),
      perMs: optNumber(perMs),
      used: Number(used),
      waiting: Number(waiting),
    }));
    return pageLimitUsage(all, q);
  }
}
