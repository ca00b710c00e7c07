/**
 * A wake-up from storage. `enqueued`: jobs arrived in a queue, an idle worker should fetch now.
 * `aborted`: a job left `processing` by someone else's hand (deleted, requeued), so the worker
 * running it must abort its `ctx.signal`. A backend that only knows "something changed" (SQLite
 * seen from another process) sends `{ type: 'enqueued', queue: '*' }`: every worker fetches.
 */
export type StorageEvent = { type: 'enqueued'; queue: string } | { type: 'aborted'; jobId: string };

/** Wake-ups between processes sharing a storage. */
export interface Notifications {
  /** Delivers events from every process sharing the storage where the backend can; returns an unsubscribe. */
  subscribe(listener: (event: StorageEvent) => void): Promise<() => Promise<void>>;
}
