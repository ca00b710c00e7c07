import type { Notifications, StorageEvent } from '../contract/index.js';
import type { MemoryState } from './state.js';

/** Wake-ups in memory: in-process events, delivered on the next tick (see `MemoryState.emit`). */
export class MemoryNotifications implements Notifications {
  constructor(private readonly s: MemoryState) {}

  async subscribe(listener: (event: StorageEvent) => void): Promise<() => Promise<void>> {
    this.s.events.on('event', listener);
    return async () => {
      this.s.events.off('event', listener);
    };
  }

  /** Drops every listener: the store is closing. */
  close(): void {
    this.s.events.removeAllListeners();
  }
}
