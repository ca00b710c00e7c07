import { hourBucket } from '../buckets.js';
import type { StateName, StorageEvent } from '../contract/index.js';
import type { CounterStatements } from './statements/counters.js';

/**
 * What one write transaction changed besides the rows themselves: per-state-and-queue job counts,
 * succeeded/failed counters, and the wake-ups to send once it commits.
 *
 * Deltas are summed in memory while the transaction runs and written by `flush()` just before it
 * commits, so a batch of 100 claims costs two counter upserts, not two hundred.
 */
export class WriteBatch {
  private readonly counts = new Map<string, { state: StateName; queue: string; delta: number }>();
  private readonly hours = new Map<number, { succeeded: number; failed: number }>();
  private succeeded = 0;
  private failed = 0;
  readonly events: StorageEvent[] = [];
  private readonly enqueuedQueues = new Set<string>();

  /** `n` jobs entered (positive) or left (negative) `state` in `queue`. */
  count(state: StateName, queue: string, n: number): void {
    const key = `${state}\u0000${queue}`;
    const c = this.counts.get(key);
    if (c) c.delta += n;
    else this.counts.set(key, { state, queue, delta: n });
  }

  /** A job entered `state` at `at`: succeeded and failed are counted for ever and per hour. */
  stat(state: StateName, at: number): void {
    if (state !== 'succeeded' && state !== 'failed') return;
    if (state === 'succeeded') this.succeeded++;
    else this.failed++;
    const bucket = hourBucket(at);
    const h = this.hours.get(bucket) ?? { succeeded: 0, failed: 0 };
    h[state]++;
    this.hours.set(bucket, h);
  }

  /** Jobs arrived in `queue`: one wake-up per queue per transaction is enough. */
  enqueued(queue: string): void {
    if (this.enqueuedQueues.has(queue)) return;
    this.enqueuedQueues.add(queue);
    this.events.push({ type: 'enqueued', queue });
  }

  /** A job moved from `from` back to `enqueued` in `queue`: counted, and its queue woken. */
  requeued(from: StateName, queue: string): void {
    this.count(from, queue, -1);
    this.count('enqueued', queue, 1);
    this.enqueued(queue);
  }

  aborted(jobId: string): void {
    this.events.push({ type: 'aborted', jobId });
  }

  /** Writes the summed deltas; call inside the transaction, after the last change. */
  flush(s: CounterStatements): void {
    for (const c of this.counts.values()) if (c.delta !== 0) s.bumpCount.run(c.state, c.queue, c.delta);
    if (this.succeeded) s.bumpTotal.run('succeeded', this.succeeded);
    if (this.failed) s.bumpTotal.run('failed', this.failed);
    for (const [hour, h] of this.hours) s.bumpHour.run(hour, h.succeeded, h.failed);
  }
}
