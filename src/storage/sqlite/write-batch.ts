import { hourBucket } from '../buckets.js';
import type { JobEvent, StateName, StorageEvent } from '../contract/index.js';
import { encodeJobEvent } from '../job-event-wire.js';
import type { CounterStatements } from './statements/counters.js';
import { EVENT_RETENTION_MS, PRUNE_EVERY, type EventStatements } from './statements/events.js';

/**
 * What one write transaction changed besides the rows themselves: per-state-and-queue job counts,
 * succeeded/failed counters, the job events it publishes, and the wake-ups to send once it commits.
 *
 * Deltas are summed in memory while the transaction runs and written by `flush()` just before it
 * commits, so a batch of 100 claims costs two counter upserts, not two hundred.
 *
 * Job events: the first change that could publish one asks `publishing`, which reads once per
 * transaction whether a listener's announcement is live (`listening`, a read of a tiny table under
 * the write lock the transaction already holds, so no listener can announce itself meanwhile).
 * When none is, no event is built; otherwise `publish` collects them and `flush` inserts them.
 */
export class WriteBatch {
  private readonly counts = new Map<string, { state: StateName; queue: string; delta: number }>();
  private readonly hours = new Map<number, { succeeded: number; failed: number }>();
  private succeeded = 0;
  private failed = 0;
  readonly events: StorageEvent[] = [];
  private readonly enqueuedQueues = new Set<string>();
  private readonly jobEvents: JobEvent[] = [];
  private listeners: boolean | undefined;

  /** @param listening Whether some listener's announcement is live; asked at most once. */
  constructor(private readonly listening: () => boolean) {}

  /** Whether this transaction publishes job events: someone listens. */
  get publishing(): boolean {
    return (this.listeners ??= this.listening());
  }

  /** Job events of a change, in order; call only when `publishing`. */
  publish(...events: JobEvent[]): void {
    for (const e of events) this.jobEvents.push(e);
  }

  /** Whether the transaction wrote job events (the in-process readers are told after commit). */
  get publishedJobEvents(): boolean {
    return this.jobEvents.length > 0;
  }

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

  /** Writes the summed deltas and the job events; call inside the transaction, after the last change. */
  flush(s: CounterStatements, e: EventStatements): void {
    for (const c of this.counts.values()) if (c.delta !== 0) s.bumpCount.run(c.state, c.queue, c.delta);
    if (this.succeeded) s.bumpTotal.run('succeeded', this.succeeded);
    if (this.failed) s.bumpTotal.run('failed', this.failed);
    for (const [hour, h] of this.hours) s.bumpHour.run(hour, h.succeeded, h.failed);
    if (this.jobEvents.length > 0) {
      const writtenAt = Date.now();
      let last = 0;
      for (const event of this.jobEvents) last = Number(e.insertEvent.run(writtenAt, encodeJobEvent(event)).lastInsertRowid);
      const first = last - this.jobEvents.length + 1;
      if (Math.floor(last / PRUNE_EVERY) !== Math.floor((first - 1) / PRUNE_EVERY)) e.pruneEvents.run(writtenAt - EVENT_RETENTION_MS);
    }
  }
}
