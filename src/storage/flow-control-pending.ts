import { KilnError } from '../errors.js';
import type { LimitUsagePage, QueueControl, QueueLimits, QueueSettings } from './contract/index.js';

/**
 * A stand-in for the queue control role and the flow-control reads of a backend that does not
 * implement them yet (Postgres and Redis until their issue #14 work lands): nothing is paused or
 * limited, so the engine's hot path runs as before, and the writes say plainly that the backend
 * cannot store them. Delete this file once every backend implements `QueueControl`.
 */
export class PendingQueueControl implements QueueControl {
  constructor(private readonly backend: string) {}

  setQueuePaused(_queue: string, _paused: boolean): Promise<boolean> {
    return Promise.reject(this.unsupported());
  }

  setQueueLimits(_queue: string, _limits: QueueLimits): Promise<void> {
    return Promise.reject(this.unsupported());
  }

  async nextRateSlot(_queues: string[], _now: number): Promise<number | null> {
    return null;
  }

  async queueSettings(): Promise<QueueSettings[]> {
    return [];
  }

  async limitUsage(): Promise<LimitUsagePage> {
    return { total: 0, limits: [] };
  }

  private unsupported(): KilnError {
    return new KilnError(`${this.backend} does not store queue settings yet (issue #14)`);
  }
}
