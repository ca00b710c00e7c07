import type { QueueControl, QueueLimits, QueueSettings } from '../contract/index.js';
import { nextRateSlot } from './limits.js';
import type { MemoryState } from './state.js';

/** Queue control in memory: paused flags and limits per queue, and when a rate window reopens. */
export class MemoryQueues implements QueueControl {
  constructor(private readonly s: MemoryState) {}

  async setQueuePaused(queue: string, paused: boolean): Promise<boolean> {
    const current = this.settings(queue);
    if (current.paused === paused) return false;
    this.store({ ...current, paused });
    if (!paused) this.s.emit({ type: 'enqueued', queue });
    return true;
  }

  async setQueueLimits(queue: string, limits: QueueLimits): Promise<void> {
    const rate = limits.rate === null ? null : { max: limits.rate.max, perMs: limits.rate.perMs };
    this.store({ ...this.settings(queue), concurrency: limits.concurrency, rate });
    this.s.emit({ type: 'enqueued', queue });
  }

  async nextRateSlot(queues: string[], now: number): Promise<number | null> {
    return nextRateSlot(this.s, queues, now);
  }

  private settings(queue: string): QueueSettings {
    return this.s.queueSettings.get(queue) ?? { queue, paused: false, concurrency: null, rate: null };
  }

  /** Keeps settings only while they say something: a running, unlimited queue has no entry. */
  private store(settings: QueueSettings): void {
    if (!settings.paused && settings.concurrency === null && settings.rate === null) this.s.queueSettings.delete(settings.queue);
    else this.s.queueSettings.set(settings.queue, settings);
  }
}
