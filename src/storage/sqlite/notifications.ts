import type { Notifications, StorageEvent } from '../contract/index.js';
import type { SqliteContext } from './context.js';
import { DataVersionWatcher } from './data-version.js';
import { FileChannel } from './file-channel.js';

/**
 * Wake-ups for SQLite, which has no notifications of its own. Two paths:
 *
 * 1. In this process: every subscribed `SqliteStorage` joins a process-wide channel keyed by the
 *    resolved path of its database file. After a write transaction commits, the storage
 *    broadcasts its events (`enqueued` with the queue, `aborted` with the job id) to every
 *    instance on the channel, which hands them to its subscribers on a microtask — as precise and
 *    as fast as the in-memory backend.
 * 2. From other processes: a subscribed storage polls `PRAGMA data_version` on its own connection
 *    (see `DataVersionWatcher`): a change means "someone else wrote". The storage then sends
 *    `{ type: 'enqueued', queue: '*' }`: every worker fetches. Another process's `aborted` events
 *    are not seen this way; the engine's cancellation watcher polls for those.
 *
 * Several instances on one file in one process each see the others' commits as changes too, so
 * they receive a redundant `'*'` wake-up after the precise in-process event. It costs one empty
 * fetch and keeps the logic free of races.
 */
export class SqliteNotifications implements Notifications {
  private readonly listeners = new Set<(event: StorageEvent) => void>();
  private leaveChannel: (() => void) | undefined;
  private watcher: DataVersionWatcher | undefined;

  constructor(private readonly ctx: SqliteContext) {}

  /**
   * Subscribes to wake-ups: precise events from every `SqliteStorage` on this file in this process,
   * and `{ type: 'enqueued', queue: '*' }` within about `pollIntervalMs` of another process's
   * commit. The `data_version` poll runs only while someone is subscribed.
   */
  async subscribe(listener: (event: StorageEvent) => void): Promise<() => Promise<void>> {
    const { db, key } = this.ctx.open();
    this.leaveChannel ??= wakeUps.join(key, (events) => this.deliver(events));
    if (!this.watcher) {
      const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
      this.watcher = new DataVersionWatcher(
        () => dataVersion.get() ?? 0,
        this.ctx.options.pollIntervalMs,
        () => this.deliver([{ type: 'enqueued', queue: '*' }]),
        this.ctx.logger,
        'wake-up',
      );
    }
    this.listeners.add(listener);
    this.watcher.start();
    return async () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.watcher?.stop();
    };
  }

  /** Drops every subscriber, stops the poll and leaves the channel; before the connection closes. */
  close(): void {
    this.listeners.clear();
    this.watcher?.stop();
    this.leaveChannel?.();
    this.leaveChannel = undefined;
  }

  private deliver(events: readonly StorageEvent[]): void {
    for (const listener of this.listeners) {
      // Delivered on a microtask, like a notification from a database would be; a listener that
      // throws does not keep the others from hearing the event.
      queueMicrotask(() => {
        if (!this.listeners.has(listener)) return;
        for (const event of events) listener(event);
      });
    }
  }
}

/** Wake-ups committed in this process, to every subscribed instance on the same file. */
const wakeUps = new FileChannel<readonly StorageEvent[]>();

/** Hands `events` to every subscribed instance in this process using the database file `key`. */
export function broadcast(key: string, events: readonly StorageEvent[]): void {
  if (events.length > 0) wakeUps.send(key, events);
}
