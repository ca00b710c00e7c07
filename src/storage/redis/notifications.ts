import { KilnError, errorMessage } from '../../errors.js';
import type { Notifications, StorageEvent } from '../contract/index.js';
import type { RedisContext } from './context.js';

type Listener = (event: StorageEvent) => void;

/**
 * Wake-ups through Redis pub/sub. The scripts publish them on `<prefix>events` (see
 * `lua/library.ts`): `{"t":"e","q":"<queue>"}` once per queue that received jobs in a call, and
 * `{"t":"a","id":"<id>"}` for a job taken from processing by someone other than its worker.
 *
 * The first `subscribe` subscribes the channel on the storage's subscriber connection
 * (`subscriber.ts`, shared with job events), and it stays subscribed until `close()`. After the
 * connection comes back (events published meanwhile are lost) listeners get
 * `{ type: 'enqueued', queue: '*' }`, so idle workers fetch at once instead of waiting for their
 * poll.
 */
export class RedisNotifications implements Notifications {
  private readonly listeners = new Set<Listener>();
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

  /** Forgets the listeners (the storage closes the subscriber). Idempotent. */
  close(): void {
    this.closed = true;
    this.listeners.clear();
  }

  private ensureSubscribed(): Promise<void> {
    this.subscribing ??= this.ctx.subscriber
      .listen(this.ctx.keys.channel, {
        onMessage: (message) => this.deliver(message),
        onResubscribed: () => this.dispatch({ type: 'enqueued', queue: '*' }),
      })
      .catch((error: unknown) => {
        this.subscribing = null;
        throw error;
      });
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
