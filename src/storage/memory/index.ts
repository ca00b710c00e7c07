import { ComposedStorage } from '../composed-storage.js';
import { MemoryJobs } from './jobs.js';
import { MemoryLiveness } from './liveness.js';
import { MemoryMaintenance } from './maintenance.js';
import { MemoryMonitoring } from './monitoring.js';
import { MemoryNotifications } from './notifications.js';
import { MemoryQueues } from './queues.js';
import { MemoryRecurring } from './recurring.js';
import { MemoryState } from './state.js';

/**
 * Storage in this process's memory: for tests and for trying Kiln out. Everything is lost when the
 * process exits, and it cannot be shared between processes. Every operation is synchronous inside,
 * so each is atomic by construction.
 *
 * One role object per part of the contract (`jobs.ts`, `maintenance.ts`, `recurring.ts`,
 * `queues.ts`, `monitoring.ts`, `notifications.ts`, `liveness.ts`) over the state they share (`state.ts`).
 */
export class MemoryStorage extends ComposedStorage {
  private readonly notifications: MemoryNotifications;

  constructor() {
    const state = new MemoryState();
    const jobs = new MemoryJobs(state);
    const recurring = new MemoryRecurring(state, jobs);
    const notifications = new MemoryNotifications(state);
    super({
      jobs,
      maintenance: new MemoryMaintenance(state),
      recurring,
      queues: new MemoryQueues(state),
      monitoring: new MemoryMonitoring(state, jobs, recurring),
      notifications,
      liveness: new MemoryLiveness(),
    });
    this.notifications = notifications;
  }

  async migrate(): Promise<void> {}

  async close(): Promise<void> {
    this.notifications.close();
  }
}
