import type { JobEvent, JobEventChannel } from '../contract/index.js';
import type { MemoryState } from './state.js';

/**
 * Job events in memory: the writes of this store publish to its subscribers, in order, on the
 * next tick (`MemoryState.publish`), and only while there are subscribers (`MemoryState.listening`).
 * There is no other process to reach, so no gap can happen.
 */
export class MemoryJobEvents implements JobEventChannel {
  constructor(private readonly s: MemoryState) {}

  async subscribeJobEvents(onEvent: (event: JobEvent) => void, onGap?: () => void): Promise<() => Promise<void>> {
    const remove = this.s.jobListeners.add(onEvent, onGap);
    return async () => remove();
  }

  /** Drops every subscriber: the store is closing. */
  close(): void {
    this.s.jobListeners.clear();
  }
}
