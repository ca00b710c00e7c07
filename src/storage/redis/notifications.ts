import { KilnError, errorMessage } from '../../errors.js';
import type { Notifications, StorageEvent } from '../contract/index.js';
import { closeClient, duplicateForSubscriber, watchConnection, type RedisClient } from './connection.js';
import type { RedisContext } from './context.js';

type Listener = (event: StorageEvent) => void;

/**
 * Wake-ups through Redis pub/sub. The scripts publish them on `<prefix>events` (see
 * `lua/library.ts`): `{"t":"e","q":"<queue>"}` once per queue that received jobs in a call, and
 * `{"t":"a","id":"<id>"}` for a job taken from processing by someone other than its worker.
 *
 * The first `subscribe` opens the subscriber: one extra connection (a duplicate of the command
 * connection, since a subscribed connection runs no scripts), which this role owns, watches and
 * closes. After it reconnects (events published meanwhile are lost) listeners get
 * `{ type: 'enqueued', queue: '*' }`, so idle workers fetch at once instead of waiting for their
 * poll.
 */
export class RedisNotifications implements Notifications {
  private readonly listeners = new Set<Listener>();
  private subscriber: RedisClient | null = null;
  private subscribing: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly ctx: RedisContext) {}

  async subscribe(listener: Listener): Promise<() => Promise<void>> {
    if (this.closed) throw new KilnError('RedisStorage is closed');
    this.listeners.add(listener);
    try {
      await this.ensureSubscribed();
    } catch (error) {
      this.listeners.delete(listener);
      throw error;
    }
    return async () => {
      this.listeners.delete(listener);
    };
  }

  /** Forgets the listeners and closes the subscriber. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    if (this.subscriber) await closeClient(this.subscriber);
  }

  /**
   * One subscriber connection per storage, opened by the first `subscribe` and kept until
   * `close()`. ioredis re-subscribes it after every reconnection (`autoResubscribe`); once that
   * is done (a PING queued behind the SUBSCRIBE answers) listeners get a `'*'` wake-up, because
   * whatever was published while it was away is lost.
   */
  private ensureSubscribed(): Promise<void> {
    if (!this.subscribing) {
      const { channel } = this.ctx.keys;
      const sub = duplicateForSubscriber(this.ctx.connection);
      this.subscriber = sub;
      watchConnection(sub, 'subscriber', this.ctx.logger);
      sub.on('message', (from: string, message: string) => {
        if (from === channel) this.deliver(message);
      });
      let subscribed = false;
      sub.on('ready', () => {
        if (!subscribed) return;
        sub.ping().then(
          () => this.dispatch({ type: 'enqueued', queue: '*' }),
          () => {},
        );
      });
      this.subscribing = sub.subscribe(channel).then(
        () => {
          subscribed = true;
        },
        async (error: unknown) => {
          this.subscribing = null;
          this.subscriber = null;
          await closeClient(sub);
          throw error;
        },
      );
    }
    return this.subscribing;
  }

  private deliver(message: string): void {
    let event: StorageEvent;
    try {
      const m = JSON.parse(message) as { t?: string; q?: string; id?: string };
      if (m.t === 'e' && typeof m.q === 'string') event = { type: 'enqueued', queue: m.q };
      else if (m.t === 'a' && typeof m.id === 'string') event = { type: 'aborted', jobId: m.id };
      else return;
    } catch {
      return;
    }
    this.dispatch(event);
  }

  private dispatch(event: StorageEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.ctx.logger.error('a storage event listener threw', { error: errorMessage(error) });
      }
    }
  }
}
