import type { QueueControl, QueueLimits, QueueSettings } from '../contract/index.js';
import { earliest } from '../rate-window.js';
import type { SqliteContext } from './context.js';
import type { Statements } from './statements/index.js';
import { RATE_KEY, RATE_QUEUE, type QueueRow, type RateScope } from './statements/queues.js';

/** A stored row as the contract's settings. */
export function toQueueSettings(r: QueueRow): QueueSettings {
  return {
    queue: r.queue,
    paused: r.paused !== 0,
    concurrency: r.concurrency,
    rate: r.rate_max === null ? null : { max: r.rate_max, perMs: r.rate_per_ms! },
  };
}

/**
 * Queue control on SQLite: a `kiln_queues` row per paused or limited queue, written in one write
 * transaction each, whose commit wakes this file's subscribers (as a created job does).
 */
export class SqliteQueues implements QueueControl {
  constructor(private readonly ctx: SqliteContext) {}

  async setQueuePaused(queue: string, paused: boolean): Promise<boolean> {
    return this.ctx.write((s, batch) => {
      const current = this.settings(s, queue);
      if (current.paused === (paused ? 1 : 0)) return false;
      store(s, { ...current, paused: paused ? 1 : 0 });
      if (!paused) batch.enqueued(queue);
      return true;
    });
  }

  async setQueueLimits(queue: string, limits: QueueLimits): Promise<void> {
    this.ctx.write((s, batch) => {
      store(s, {
        ...this.settings(s, queue),
        concurrency: limits.concurrency,
        rate_max: limits.rate?.max ?? null,
        rate_per_ms: limits.rate?.perMs ?? null,
      });
      batch.enqueued(queue);
    });
  }

  async nextRateSlot(queues: string[], now: number): Promise<number | null> {
    return this.ctx.read((s) => {
      let next: number | null = null;
      for (const queue of queues) {
        const settings = s.queues.settingsOf.get(queue);
        if (settings?.paused || s.jobs.hasEnqueued.get(queue) === undefined) continue;
        if (settings?.rate_max != null) next = earliest(next, reopensAt(s, RATE_QUEUE, queue, now, settings.rate_max, settings.rate_per_ms!));
        for (const k of s.queues.waitingRateKeys.all(queue)) next = earliest(next, reopensAt(s, RATE_KEY, k.key, now, k.max, k.per_ms));
      }
      return next;
    });
  }

  private settings(s: Statements, queue: string): QueueRow {
    return s.queues.settingsOf.get(queue) ?? { queue, paused: 0, concurrency: null, rate_max: null, rate_per_ms: null };
  }
}

/** Keeps a row only while it says something: a running, unlimited queue has none. */
function store(s: Statements, row: QueueRow): void {
  if (!row.paused && row.concurrency === null && row.rate_max === null) s.queues.dropSettings.run(row.queue);
  else s.queues.putSettings.run(row);
}

/** When a window full at `now` reopens (its `max`-th most recent start + `perMs`), or null. */
function reopensAt(s: Statements, scope: RateScope, key: string, now: number, max: number, perMs: number): number | null {
  const nth = s.queues.nthRecentStart.get(scope, key, now - perMs, max - 1);
  return nth === undefined ? null : nth + perMs;
}
