import { AnnouncedJobEvents } from '../announced-job-events.js';
import { decodeJobEvent } from '../job-event-wire.js';
import type { RedisContext } from './context.js';
import { SCRIPTS } from './scripts.js';

/**
 * Job events on Redis (see `contract/events.ts`), through pub/sub:
 *
 * - Announcement: while this instance has subscribers, it has an entry in the `listeners` sorted
 *   set that lapses `JOB_EVENT_LISTENER_TTL_MS` after its last refresh (every third of that), by
 *   Redis's clock; the key `listening` exists, with a TTL, as long as some entry is live
 *   (`lua/announce-listener.ts`, `lua/withdraw-listener.ts`). The scripts that write check that
 *   one key (`hears()` in `lua/job-event-library.ts`) and build nothing when it is absent.
 * - Events: built in Lua by the script that makes the change, in the wire form of
 *   `encodeJobEvent`, and PUBLISHed by it on `<tag>:job-events`, one message per script call
 *   (its events joined by newlines), so they leave in the order the scripts ran.
 * - The instance subscribes to that channel (on the storage's one subscriber connection,
 *   `subscriber.ts`) before it announces itself, so every write that sees the announcement
 *   publishes to a channel already heard. A reconnection of that connection, or an announcement
 *   found lapsed at a refresh (the process was blocked for longer than the TTL), is a gap.
 */
export class RedisJobEvents extends AnnouncedJobEvents {
  constructor(private readonly ctx: RedisContext) {
    super(ctx.logger, 'RedisStorage');
  }

  protected async listen(): Promise<void> {
    await this.ctx.subscriber.listen(this.ctx.keys.jobEventChannel, {
      onMessage: (message) => this.deliver(message),
      onResubscribed: () => void this.resubscribed(),
    });
  }

  protected async unlisten(): Promise<void> {
    await this.ctx.subscriber.unlisten(this.ctx.keys.jobEventChannel);
  }

  protected async announce(id: string, ttlMs: number): Promise<boolean> {
    return Number(await this.ctx.run(SCRIPTS.announceListener, [id, String(ttlMs)])) !== 1;
  }

  protected async withdraw(id: string): Promise<void> {
    await this.ctx.run(SCRIPTS.withdrawListener, [id]);
  }

  /**
   * The subscriber connection came back: the announcement is made again first (Redis may have
   * restarted empty), then the listeners hear of the gap, so what they read again is followed
   * by every event after it.
   */
  private async resubscribed(): Promise<void> {
    this.logger.warn('the redis job event subscription was lost and taken again; events may have been missed');
    await this.refresh(false);
    this.listeners.gap();
  }

  /** One message: the events of one script call, joined by newlines. */
  private deliver(message: string): void {
    for (const text of message.split('\n')) {
      const event = decodeJobEvent(text);
      if (event) this.listeners.deliver(event);
    }
  }
}
