import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JobEvent, JobEventChannel, JobEventOf, JobEventType } from '../storage/contract/index.js';

/** What `JobEvents.on` takes for each name: one job event type, every event, or a gap. */
export type JobEventHandlers = { [T in JobEventType]: (event: JobEventOf<T>) => void } & {
  /** Every event, whatever its type. */
  event: (event: JobEvent) => void;
  /** Events may have been lost (the storage's channel reconnected, this process fell behind): re-read what matters. */
  gap: () => void;
};

type Handler = (event?: JobEvent) => void;

/**
 * The job lifecycle events of every process sharing a storage, as BullMQ's `QueueEvents`:
 * `enqueued`, `started`, `progress`, `succeeded` (with the result), `failed` (with the error, and
 * whether a retry follows), `retrying`, `deleted`, each typed (see `contract/events.ts`).
 *
 * ```ts
 * client.events.on('succeeded', (e) => console.log(e.jobId, e.result));
 * client.events.on('failed', (e) => e.willRetry || alert(e.error.message));
 * await client.events.ready(); // events of every write from now on are delivered
 * ```
 *
 * Subscribing costs nothing until the first listener: then the storage is subscribed once (one
 * announcement, one channel) for every listener of this object, and unsubscribed when the last
 * one leaves (`off`, `close`). While no process listens, storages publish nothing at all.
 *
 * Events of one job arrive in the order of its states; a listener that throws is logged and does
 * not keep the event from the others.
 */
export class JobEvents {
  private readonly handlers = new Map<keyof JobEventHandlers, Set<Handler>>();
  private count = 0;
  private subscription: Promise<() => Promise<void>> | undefined;

  constructor(
    private readonly storage: JobEventChannel,
    private readonly logger: Logger,
    /** Awaited before subscribing (the client's migration). */
    private readonly prepare: () => Promise<void> = () => Promise.resolve(),
  ) {}

  /** Calls `listener` for each event of `type` (`'event'`: every event; `'gap'`: events may be lost). */
  on<K extends keyof JobEventHandlers>(type: K, listener: JobEventHandlers[K]): this {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    if (set.has(listener as Handler)) return this;
    set.add(listener as Handler);
    if (this.count++ === 0) void this.ready().catch(() => {});
    return this;
  }

  /** Stops calling `listener`; the last one to leave unsubscribes from the storage. */
  off<K extends keyof JobEventHandlers>(type: K, listener: JobEventHandlers[K]): this {
    if (!this.handlers.get(type)?.delete(listener as Handler)) return this;
    if (--this.count === 0) void this.unsubscribe();
    return this;
  }

  /**
   * Resolves once the storage is subscribed: every event of a write that commits from then on is
   * delivered. Rejects when the storage cannot subscribe (the error is also logged); a later call
   * tries again. Resolves at once when nobody listens.
   */
  ready(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    this.subscription ??= this.subscribe();
    return this.subscription.then(() => {});
  }

  /** Removes every listener and unsubscribes. */
  async close(): Promise<void> {
    this.handlers.clear();
    this.count = 0;
    await this.unsubscribe();
  }

  private subscribe(): Promise<() => Promise<void>> {
    const subscription = this.prepare().then(() =>
      this.storage.subscribeJobEvents(
        (event) => this.dispatch(event),
        () => this.emit('gap', undefined),
      ),
    );
    subscription.catch((e: unknown) => {
      this.logger.error('could not subscribe to job events', { error: errorMessage(e) });
      if (this.subscription === subscription) this.subscription = undefined;
    });
    return subscription;
  }

  private async unsubscribe(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    if (!subscription) return;
    try {
      await (await subscription)();
    } catch {
      // It never subscribed (already logged), or the storage is closed: nothing to undo.
    }
  }

  private dispatch(event: JobEvent): void {
    this.emit(event.type, event);
    this.emit('event', event);
  }

  private emit(type: keyof JobEventHandlers, event: JobEvent | undefined): void {
    const set = this.handlers.get(type);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        handler(event);
      } catch (e) {
        this.logger.error(`a job event listener (${type}) threw`, { error: errorMessage(e) });
      }
    }
  }
}
