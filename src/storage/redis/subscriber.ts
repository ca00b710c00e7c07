import { KilnError, errorMessage } from '../../errors.js';
import { closeClient, duplicateForSubscriber, watchConnection, type RedisClient } from './connection.js';
import type { RedisContext } from './context.js';

/** What one channel's listener is told: each message, and that the connection came back. */
interface ChannelHandler {
  onMessage(message: string): void;
  /** The subscriber reconnected and subscribed again: what was published meanwhile is lost. */
  onResubscribed(): void;
}

/**
 * The one pub/sub connection of a `RedisStorage`, shared by the roles that listen (wake-ups in
 * `notifications.ts`, job events in `events.ts`): a duplicate of the command connection (a
 * subscribed connection runs no scripts), opened by the first `listen` and closed by `close()`.
 *
 * ioredis subscribes again to every channel after a reconnection (`autoResubscribe`), right
 * after it emits 'ready'; a PING sent after that answers once those SUBSCRIBEs are done, and then
 * each channel's `onResubscribed` runs, so its role can make up for what it missed.
 */
export class RedisSubscriber {
  private readonly handlers = new Map<string, ChannelHandler>();
  private conn: RedisClient | null = null;
  private closed = false;

  constructor(private readonly ctx: RedisContext) {}

  /** Subscribes `channel` to `handler`; resolves once Redis confirmed the subscription. */
  async listen(channel: string, handler: ChannelHandler): Promise<void> {
    if (this.closed) throw new KilnError('RedisStorage is closed');
    this.handlers.set(channel, handler);
    const conn = this.open();
    try {
      await conn.subscribe(channel);
    } catch (error) {
      this.handlers.delete(channel);
      if (this.handlers.size === 0 && this.conn === conn) {
        this.conn = null;
        await closeClient(conn);
      }
      throw error;
    }
  }

  /** Stops listening on `channel` (the connection stays open for the others, and for later). */
  async unlisten(channel: string): Promise<void> {
    if (!this.handlers.delete(channel)) return;
    const conn = this.conn;
    if (!conn || this.closed) return;
    try {
      await conn.unsubscribe(channel);
    } catch (error) {
      // Lost meanwhile: it is not subscribed again, since ioredis forgot the channel too.
      this.ctx.logger.debug('redis unsubscribe failed', { error: errorMessage(error) });
    }
  }

  /** Forgets every channel and closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    const conn = this.conn;
    this.conn = null;
    if (conn) await closeClient(conn);
  }

  private open(): RedisClient {
    if (this.conn) return this.conn;
    const sub = duplicateForSubscriber(this.ctx.connection);
    this.conn = sub;
    watchConnection(sub, 'subscriber', this.ctx.logger);
    sub.on('message', (channel: string, message: string) => this.handlers.get(channel)?.onMessage(message));
    let connected = false;
    sub.on('ready', () => {
      if (!connected) {
        connected = true;
        return;
      }
      // After readyHandler has sent the SUBSCRIBEs (it does so right after emitting 'ready').
      queueMicrotask(() => {
        sub.ping().then(
          () => {
            for (const h of [...this.handlers.values()]) h.onResubscribed();
          },
          () => {},
        );
      });
    });
    return sub;
  }
}
