import type { StorageEvent } from '../contract/index.js';

/**
 * Wake-ups for SQLite, which has no notifications of its own. Two paths:
 *
 * 1. In this process: every `SqliteStorage` joins a process-wide channel keyed by the resolved
 *    path of its database file. After a write transaction commits, the storage broadcasts its
 *    events (`enqueued` with the queue, `aborted` with the job id) to every instance on the
 *    channel, which hands them to its subscribers on a microtask — as precise and as fast as the
 *    in-memory backend.
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
export interface EventSink {
  deliver(events: readonly StorageEvent[]): void;
}

const channels = new Map<string, Set<EventSink>>();

/** Adds `sink` to the channel of `key` (a resolved file path); returns how to leave it. */
export function joinChannel(key: string, sink: EventSink): () => void {
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

/** Hands `events` to every instance in this process using the database file `key`. */
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
export class DataVersionWatcher {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;

  constructor(
    private readonly read: () => number,
    private readonly intervalMs: number,
    private readonly onChange: () => void,
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

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
    } catch {
      // The connection was closed under us, or the file is briefly locked: try again next tick.
      return;
    }
    if (current !== this.last) {
      this.last = current;
      this.onChange();
    }
  }
}
