import type { LimitUsage, LimitUsagePage, LimitUsageQuery, QueueSettings } from '../contract/index.js';
import { pageLimitUsage } from '../limit-usage.js';
import { earliest, startsInWindow, windowReopensAt } from '../rate-window.js';
import type { MemoryJob, MemoryState } from './state.js';

const bump = (m: Map<string, number>, key: string, n = 1) => m.set(key, (m.get(key) ?? 0) + n);

/**
 * The limits as one claim sees them (see `FetchOptions`): processing jobs counted per
 * concurrency key and per queue when the claim begins, and updated with each job it takes, so a
 * batch counts its own claims.
 */
export class MemoryClaim {
  private readonly byKey = new Map<string, number>();
  private readonly byQueue = new Map<string, number>();

  constructor(
    private readonly s: MemoryState,
    private readonly now: number,
  ) {
    for (const j of s.jobs.values()) {
      if (j.state !== 'processing') continue;
      bump(this.byQueue, j.queue);
      if (j.concurrency) bump(this.byKey, j.concurrency.key);
    }
  }

  /** Whether claiming `j` now keeps every limit it is subject to. */
  allows(j: MemoryJob, queue: QueueSettings | undefined): boolean {
    const { now, s } = this;
    if (queue?.concurrency != null && (this.byQueue.get(j.queue) ?? 0) >= queue.concurrency) return false;
    if (queue?.rate != null && startsInWindow(s.queueStarts.get(j.queue) ?? [], now, queue.rate.perMs) >= queue.rate.max) return false;
    if (j.concurrency && (this.byKey.get(j.concurrency.key) ?? 0) >= j.concurrency.limit) return false;
    if (j.rateLimit && startsInWindow(s.keyStarts.get(j.rateLimit.key) ?? [], now, j.rateLimit.perMs) >= j.rateLimit.max) return false;
    return true;
  }

  /** Counts a claimed job and records its starts. */
  claimed(j: MemoryJob, queue: QueueSettings | undefined): void {
    bump(this.byQueue, j.queue);
    if (j.concurrency) bump(this.byKey, j.concurrency.key);
    if (queue?.rate) this.s.recordStart(this.s.queueStarts, j.queue, this.now);
    if (j.rateLimit) this.s.recordStart(this.s.keyStarts, j.rateLimit.key, this.now);
  }
}

/** `QueueControl.nextRateSlot` over the memory state. */
export function nextRateSlot(s: MemoryState, queues: string[], now: number): number | null {
  let next: number | null = null;
  for (const queue of queues) {
    const settings = s.queueSettings.get(queue);
    if (settings?.paused) continue;
    let waiting = false;
    for (const j of s.jobs.values()) {
      if (j.state !== 'enqueued' || j.queue !== queue) continue;
      waiting = true;
      if (j.rateLimit) {
        const { key, max, perMs } = j.rateLimit;
        next = earliest(next, windowReopensAt(s.keyStarts.get(key) ?? [], now, max, perMs));
      }
    }
    if (waiting && settings?.rate) {
      next = earliest(next, windowReopensAt(s.queueStarts.get(queue) ?? [], now, settings.rate.max, settings.rate.perMs));
    }
  }
  return next;
}

/** `MonitoringApi.limitUsage` over the memory state. */
export function limitUsage(s: MemoryState, q: LimitUsageQuery): LimitUsagePage {
  const rows: LimitUsage[] = [];
  const enqueued = new Map<string, number>();
  const processing = new Map<string, number>();
  for (const j of s.jobs.values()) {
    if (j.state === 'enqueued') bump(enqueued, j.queue);
    if (j.state === 'processing') bump(processing, j.queue);
  }
  for (const { queue, concurrency, rate } of s.queueSettings.values()) {
    const waiting = enqueued.get(queue) ?? 0;
    if (concurrency !== null) {
      rows.push({ scope: 'queue', kind: 'concurrency', key: queue, limit: concurrency, perMs: null, used: processing.get(queue) ?? 0, waiting });
    }
    if (rate !== null) {
      const used = startsInWindow(s.queueStarts.get(queue) ?? [], q.now, rate.perMs);
      rows.push({ scope: 'queue', kind: 'rate', key: queue, limit: rate.max, perMs: rate.perMs, used, waiting });
    }
  }
  const groups = new Map<string, LimitUsage>();
  const group = (kind: 'concurrency' | 'rate', key: string, limit: number, perMs: number | null, j: MemoryJob) => {
    const id = `${key}\u0000${kind}`;
    let g = groups.get(id);
    if (!g) {
      g = { scope: 'key', kind, key, limit, perMs, used: 0, waiting: 0 };
      groups.set(id, g);
    } else if (limit > g.limit) {
      g.limit = limit;
      g.perMs = perMs;
    }
    if (j.state === 'enqueued') g.waiting++;
    else if (kind === 'concurrency') g.used++;
  };
  for (const j of s.jobs.values()) {
    if (j.state !== 'enqueued' && j.state !== 'processing') continue;
    if (j.concurrency) group('concurrency', j.concurrency.key, j.concurrency.limit, null, j);
    if (j.rateLimit) group('rate', j.rateLimit.key, j.rateLimit.max, j.rateLimit.perMs, j);
  }
  for (const g of groups.values()) {
    if (g.kind === 'rate') g.used = startsInWindow(s.keyStarts.get(g.key) ?? [], q.now, g.perMs!);
    rows.push(g);
  }
  return pageLimitUsage(rows, q);
}
