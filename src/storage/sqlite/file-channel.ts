/**
 * An in-process channel per database file: every `SqliteStorage` in this process on one file
 * (keyed by its resolved path) can join, and a commit tells the others at once, without waiting
 * for their `PRAGMA data_version` poll. Wake-ups (`notifications.ts`) and job events
 * (`events.ts`) each have one.
 */
export class FileChannel<T> {
  private readonly channels = new Map<string, Set<(message: T) => void>>();

  /** Adds `sink` to the channel of `key`; returns how to leave it. */
  join(key: string, sink: (message: T) => void): () => void {
    let sinks = this.channels.get(key);
    if (!sinks) {
      sinks = new Set();
      this.channels.set(key, sinks);
    }
    sinks.add(sink);
    return () => {
      const current = this.channels.get(key);
      if (!current) return;
      current.delete(sink);
      if (current.size === 0) this.channels.delete(key);
    };
  }

  /** Hands `message` to every sink on the channel of `key`. */
  send(key: string, message: T): void {
    const sinks = this.channels.get(key);
    if (!sinks) return;
    for (const sink of sinks) sink(message);
  }
}
