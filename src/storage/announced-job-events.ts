import { randomUUID } from 'node:crypto';
import { KilnError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JobEvent, JobEventChannel } from './contract/index.js';
import { JOB_EVENT_LISTENER_TTL_MS } from './contract/index.js';
import { JobEventListeners } from './job-event-listeners.js';

/**
 * The listening side of job events on a server-backed storage (Postgres, Redis), where events
 * arrive on a channel the database pushes to and writers publish only while some listener's
 * announcement is live (see `contract/events.ts`). The lifecycle is the same on both; what the
 * channel and the announcement are is each backend's:
 *
 * - the first subscriber starts listening on the channel, then announces this instance (an
 *   announcement lapses `JOB_EVENT_LISTENER_TTL_MS` after it was made, by the database's clock),
 *   so every write that sees the announcement publishes to a channel already heard;
 * - while subscribed, the announcement is refreshed every third of the TTL; a refresh that finds
 *   it had lapsed (this process was blocked for longer than the TTL) reports a gap;
 * - the last subscriber leaving withdraws the announcement, then stops listening;
 * - starts and stops run one after the other, so a subscribe racing the last unsubscribe waits
 *   for its stop rather than interleaving with it.
 */
export abstract class AnnouncedJobEvents implements JobEventChannel {
  protected readonly listeners: JobEventListeners;
  /** This instance's announcement while it has subscribers. */
  private id: string | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  /** @param what The storage, as errors and warnings name it ("RedisStorage", "PostgresStorage"). */
  constructor(
    protected readonly logger: Logger,
    private readonly what: string,
  ) {
    this.listeners = new JobEventListeners(logger);
  }

  /** Starts hearing the channel; events go to `this.listeners`, a lost channel is their gap. */
  protected abstract listen(): Promise<void>;
  protected abstract unlisten(): Promise<void>;
  /**
   * Makes or extends the announcement `id`, live for `ttlMs` from now by the database's clock;
   * resolves whether it had lapsed (or never existed). `refreshing` is true for the periodic
   * refresh, when a backend may also prune what dead listeners left.
   */
  protected abstract announce(id: string, ttlMs: number, refreshing: boolean): Promise<boolean>;
  protected abstract withdraw(id: string): Promise<void>;

  async subscribeJobEvents(onEvent: (event: JobEvent) => void, onGap?: () => void): Promise<() => Promise<void>> {
    if (this.closed) throw new KilnError(`${this.what} is closed`);
    const remove = this.listeners.add(onEvent, onGap);
    try {
      await this.serially(() => this.start());
    } catch (error) {
      remove();
      throw error;
    }
    let left = false;
    return async () => {
      if (left) return;
      left = true;
      remove();
      await this.serially(() => this.stop());
    };
  }

  /** Withdraws the announcement and forgets the subscribers: the storage is closing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await this.serially(() => this.stop());
  }

  /**
   * Keeps the announcement alive; reports a gap if it had lapsed. `reportLapse` false: the caller
   * reports the gap itself (a channel that was lost and taken again).
   */
  protected async refresh(reportLapse = true): Promise<void> {
    const id = this.id;
    if (id === undefined) return;
    try {
      const lapsed = await this.announce(id, JOB_EVENT_LISTENER_TTL_MS, true);
      if (lapsed && reportLapse && this.id === id) {
        this.logger.warn('this process stopped announcing its job event listener for too long; events may have been missed');
        this.listeners.gap();
      }
    } catch (error) {
      this.logger.warn(`refreshing the ${this.what} job event announcement failed; retrying`, { error: errorMessage(error) });
    }
  }

  private serially(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(step);
    this.chain = next.catch(() => {});
    return next;
  }

  /** Listens, then announces: events of every write that commits after this resolves are heard. */
  private async start(): Promise<void> {
    if (this.id !== undefined || this.listeners.size === 0) return;
    await this.listen();
    const id = randomUUID();
    try {
      await this.announce(id, JOB_EVENT_LISTENER_TTL_MS, false);
    } catch (error) {
      await this.unlisten();
      throw error;
    }
    this.id = id;
    this.refreshTimer = setInterval(() => void this.refresh(), JOB_EVENT_LISTENER_TTL_MS / 3);
    this.refreshTimer.unref();
  }

  /** Withdraws the announcement and stops listening, once no subscriber is left. */
  private async stop(): Promise<void> {
    const id = this.id;
    if (id === undefined || this.listeners.size > 0) return;
    this.id = undefined;
    clearInterval(this.refreshTimer);
    try {
      await this.withdraw(id);
    } catch (error) {
      // Unreachable or closed: the announcement lapses by itself.
      this.logger.debug('could not withdraw a job event announcement', { error: errorMessage(error) });
    }
    await this.unlisten();
  }
}
