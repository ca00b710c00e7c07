import { randomUUID } from 'node:crypto';
import { KilnError, errorMessage } from '../../errors.js';
import type { JobEvent, JobEventChannel } from '../contract/index.js';
import { JOB_EVENT_LISTENER_TTL_MS } from '../contract/index.js';
import { JobEventListeners } from '../job-event-listeners.js';
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
export class RedisJobEvents implements JobEventChannel {
  private readonly listeners: JobEventListeners;
  /** This instance's announcement while it has subscribers. */
  private id: string | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Starts and stops run one after the other. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly ctx: RedisContext) {
    this.listeners = new JobEventListeners(ctx.logger);
  }

  async subscribeJobEvents(onEvent: (event: JobEvent) => void, onGap?: () => void): Promise<() => Promise<void>> {
    if (this.closed) throw new KilnError('RedisStorage is closed');
    const remove = this.listeners.add(onEvent, onGap);
    try {
      await this.serial(() => this.start());
    } catch (error) {
      remove();
      await this.serial(() => this.stop());
      throw error;
    }
    let removed = false;
    return async () => {
      if (removed) return;
      removed = true;
      remove();
      await this.serial(() => this.stop());
    };
  }

  /** Withdraws the announcement and forgets the listeners: the storage is closing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await this.serial(() => this.stop());
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => {});
    return next;
  }

  private async start(): Promise<void> {
    if (this.id !== undefined || this.listeners.size === 0) return;
    const channel = this.ctx.keys.jobEventChannel;
    await this.ctx.subscriber.listen(channel, {
      onMessage: (message) => this.deliver(message),
      onResubscribed: () => void this.resubscribed(),
    });
    const id = randomUUID();
    try {
      await this.ctx.run(SCRIPTS.announceListener, [id, String(JOB_EVENT_LISTENER_TTL_MS)]);
    } catch (error) {
      await this.ctx.subscriber.unlisten(channel);
      throw error;
    }
    this.id = id;
    this.refreshTimer = setInterval(() => void this.refresh(), JOB_EVENT_LISTENER_TTL_MS / 3);
    this.refreshTimer.unref();
  }

  private async stop(): Promise<void> {
    const id = this.id;
    if (id === undefined || this.listeners.size > 0) return;
    this.id = undefined;
    clearInterval(this.refreshTimer);
    try {
      await this.ctx.run(SCRIPTS.withdrawListener, [id]);
    } catch (error) {
      // Unreachable or closed: the announcement lapses by itself.
      this.ctx.logger.debug('could not withdraw a job event announcement', { error: errorMessage(error) });
    }
    await this.ctx.subscriber.unlisten(this.ctx.keys.jobEventChannel);
  }

  /**
   * The subscriber connection came back: the announcement is made again first (Redis may have
   * restarted empty), then the listeners hear of the gap, so what they read again is followed
   * by every event after it.
   */
  private async resubscribed(): Promise<void> {
    this.ctx.logger.warn('the redis job event subscription was lost and taken again; events may have been missed');
    await this.refresh(false);
    this.listeners.gap();
  }

  /** Keeps the announcement alive; a gap if it had lapsed (this process was blocked too long). */
  private async refresh(reportLapse = true): Promise<void> {
    const id = this.id;
    if (id === undefined) return;
    try {
      const live = Number(await this.ctx.run(SCRIPTS.announceListener, [id, String(JOB_EVENT_LISTENER_TTL_MS)])) === 1;
      if (!live && reportLapse && this.id === id) {
        this.ctx.logger.warn('this process stopped announcing its job event listener for too long; events may have been missed');
        this.listeners.gap();
      }
    } catch (error) {
      this.ctx.logger.warn('refreshing the redis job event announcement failed; retrying', { error: errorMessage(error) });
    }
  }

  /** One message: the events of one script call, joined by newlines. */
  private deliver(message: string): void {
    for (const text of message.split('\n')) {
      const event = decodeJobEvent(text);
      if (event) this.listeners.deliver(event);
    }
  }
}
