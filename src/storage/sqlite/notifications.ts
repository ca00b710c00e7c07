import type { Notifications, StorageEvent } from '../contract/index.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { SqliteContext } from './context.js';

/**
 * Wake-ups for SQLite, which has no notifications of its own. Two paths:
 *
 * 1. In this process: every subscribed `SqliteStorage` joins a process-wide channel keyed by the
 *    resolved path of its database file. After a write transaction commits, the storage
 *    broadcasts its events (`enqueued` with the queue, `aborted` with the job id) to every
 *    instance on the channel, which hands them to its subscribers on a microtask — as precise and
 *    as fast as the in-memory backend.
 * 2. From other processes: a subscribed storage polls `PRAGMA data_version` on its own connection
 *    (see `DataVersionWatcher`). The value changes when another connection commits, and never for
 *    the connection's own commits, so a change means "someone else wrote". The storage then sends
 *    `{ type: 'enqueued', queue: '*' }`: every worker fetches. Another process's `aborted` events
 *    are not seen this way; the engine's cancellation watcher polls for those.
 *
 * Several instances on one file in one process each see the others' commits as changes too, so
 * they receive a redundant `'*'` wake-up after the precise in-process event. It costs one empty
 * fetch and keeps the logic free of races.
 */
export class SqliteNotifications implements Notifications {
  private readonly listeners = new Set<(event: StorageEvent) => void>();
  private readonly sink: EventSink = { deliver: (events) => this.deliver(events) };
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
    this.leaveChannel ??= joinChannel(key, this.sink);
    if (!this.watcher) {
      const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
      this.watcher = new DataVersionWatcher(
        () => dataVersion.get() ?? 0,
        this.ctx.options.pollIntervalMs,
        () => this.deliver([{ type: 'enqueued', queue: '*' }]),
        this.ctx.logger,
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

/** An instance on a file's in-process channel. */
interface EventSink {
  deliver(events: readonly StorageEvent[]): void;
}

const channels = new Map<string, Set<EventSink>>();

/** Adds `sink` to the channel of `key` (a resolved file path); returns how to leave it. */
function joinChannel(key: string, sink: EventSink): () => void {
  let sinks = channels.get(key);
  if (!sinks) {
    sinks = new Set();
    channels.set(key, sinks);
  }
  sinks.add(sink);
  return () => {
    const current = channels.get(key);
    if (!current) return;
    current.delete(sink);
    if (current.size === 0) channels.delete(key);
  };
}

/** Hands `events` to every subscribed instance in this process using the database file `key`. */
export function broadcast(key: string, events: readonly StorageEvent[]): void {
  if (events.length === 0) return;
  const sinks = channels.get(key);
  if (!sinks) return;
  for (const sink of sinks) sink.deliver(events);
}

/**
 * Polls a connection's `PRAGMA data_version` every `intervalMs` while started, and calls
 * `onChange` when it moved. The timer is `unref()`ed: it never keeps a process alive.
 */
class DataVersionWatcher {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private failing = false;

  constructor(
    private readonly read: () => number,
    private readonly intervalMs: number,
    private readonly onChange: () => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.last = this.read();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    let current: number;
    try {
      current = this.read();
    } catch (error) {
      // The file is briefly unreadable: try again next tick, and say so once per run of failures.
      if (!this.failing) this.logger.warn('SQLite wake-up poll failed; retrying', { error: errorMessage(error) });
      this.failing = true;
      return;
    }
    if (this.failing) this.logger.info('SQLite wake-up poll restored');
    this.failing = false;
    if (current !== this.last) {
      this.last = current;
      this.onChange();
    }
  }
}
