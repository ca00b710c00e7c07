import { ValidationError } from '../errors.js';
import { describe, parseDuration, type Duration } from '../jobs/duration.js';
import { checkQueueName } from '../jobs/names.js';
import type { QueueLimits, Storage } from '../storage/contract/index.js';
import { MAX_LIMIT, MAX_RATE_WINDOW_MS } from '../storage/contract/index.js';

/** A queue as `list()` shows it: its jobs, whether it is paused, and its limits. */
export interface QueueInfo {
  name: string;
  enqueued: number;
  processing: number;
  paused: boolean;
  /** At most this many of its jobs processing at once, or null. */
  concurrency: number | null;
  /** At most `max` of its jobs started per `perMs`, or null. */
  rate: { max: number; perMs: number } | null;
}

/** A queue's limits for `setLimits`; a limit left out (or null) is removed. */
export interface QueueLimitOptions {
  /** At most this many of the queue's jobs processing at once, across every server: 1 to 100,000. */
  concurrency?: number | null;
  /** At most `max` (1 to 100,000) of the queue's jobs started in any window of `per` (1 ms to 1 day). */
  rate?: { max: number; per: Duration } | null;
}

/**
 * Queue control (`client.queues`): pause and resume queues, limit them, list them. Settings are
 * stored per queue and enforced by the storage on every claim, so they hold across every server
 * at once: a paused queue is fetched by no server from its next claim on (running jobs finish),
 * and resuming wakes the servers. A queue needs no creating: any valid name can be paused or
 * limited before its first job.
 */
export class Queues {
  constructor(
    private readonly storage: Storage,
    private readonly ready: () => Promise<void>,
  ) {}

  /** Pauses a queue: no server takes its jobs until `resume`. True if it was running. */
  async pause(name: string): Promise<boolean> {
    checkQueueName(name, 'name');
    await this.ready();
    return this.storage.setQueuePaused(name, true);
  }

  /** Resumes a paused queue and wakes the servers. True if it was paused. */
  async resume(name: string): Promise<boolean> {
    checkQueueName(name, 'name');
    await this.ready();
    return this.storage.setQueuePaused(name, false);
  }

  /**
   * Sets a queue's limits, replacing the ones it had: `{ concurrency: 5 }`, `{ rate: { max: 100,
   * per: '1s' } }`, both, or `{}` to remove them. Every server obeys them from its next claim.
   */
  async setLimits(name: string, limits: QueueLimitOptions): Promise<void> {
    checkQueueName(name, 'name');
    const checked = checkQueueLimits(limits);
    await this.ready();
    await this.storage.setQueueLimits(name, checked);
  }

  /** Every queue with jobs enqueued or processing, or with settings, by name. */
  async list(): Promise<QueueInfo[]> {
    await this.ready();
    const [stats, settings] = await Promise.all([this.storage.queues(), this.storage.queueSettings()]);
    const byName = new Map<string, QueueInfo>();
    for (const q of stats) byName.set(q.queue, { name: q.queue, enqueued: q.enqueued, processing: q.processing, paused: false, concurrency: null, rate: null });
    for (const s of settings) {
      const q = byName.get(s.queue) ?? { name: s.queue, enqueued: 0, processing: 0, paused: false, concurrency: null, rate: null };
      byName.set(s.queue, { ...q, paused: s.paused, concurrency: s.concurrency, rate: s.rate });
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** Checks `setLimits`'s argument; every problem names its field. */
export function checkQueueLimits(limits: unknown): QueueLimits {
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    throw new ValidationError('limits', "must be an object such as { concurrency: 5, rate: { max: 100, per: '1s' } }");
  }
  const { concurrency, rate } = limits as QueueLimitOptions;
  const out: QueueLimits = { concurrency: null, rate: null };
  if (concurrency !== undefined && concurrency !== null) {
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_LIMIT) {
      throw new ValidationError('limits.concurrency', `must be a whole number from 1 to ${MAX_LIMIT}, or null; got ${describe(concurrency)}`);
    }
    out.concurrency = concurrency;
  }
  if (rate !== undefined && rate !== null) {
    if (typeof rate !== 'object') throw new ValidationError('limits.rate', "must be { max, per } such as { max: 100, per: '1s' }, or null");
    if (!Number.isInteger(rate.max) || rate.max < 1 || rate.max > MAX_LIMIT) {
      throw new ValidationError('limits.rate.max', `must be a whole number from 1 to ${MAX_LIMIT}, got ${describe(rate.max)}`);
    }
    out.rate = { max: rate.max, perMs: parseDuration(rate.per, 'limits.rate.per', { min: 1, max: MAX_RATE_WINDOW_MS }) };
  }
  return out;
}
