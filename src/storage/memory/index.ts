import { ComposedStorage } from '../composed-storage.js';
import { MemoryJobEvents } from './events.js';
import { MemoryJobs } from './jobs.js';
import { MemoryLiveness } from './liveness.js';
import { MemoryJobLogs } from './logs.js';
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
 * `queues.ts`, `monitoring.ts`, `notifications.ts`, `events.ts`, `logs.ts`, `liveness.ts`) over the state they share (`state.ts`).
 */
export class MemoryStorage extends ComposedStorage {
  private readonly notifications: MemoryNotifications;
  private readonly events: MemoryJobEvents;

  constructor() {
    const state = new MemoryState();
    const jobs = new MemoryJobs(state);
    const recurring = new MemoryRecurring(state, jobs);
    const notifications = new MemoryNotifications(state);
    const events = new MemoryJobEvents(state);
    const logs = new MemoryJobLogs(state);
    super({
      jobs,
      maintenance: new MemoryMaintenance(state),
      recurring,
      queues: new MemoryQueues(state),
      monitoring: new MemoryMonitoring(state, jobs, recurring, logs),
      notifications,
      events,
      logs,
      liveness: new MemoryLiveness(),
    });
    this.notifications = notifications;
    this.events = events;
  }

  async migrate(): Promise<void> {}

  async close(): Promise<void> {
    this.notifications.close();
    this.events.close();
  }
}
