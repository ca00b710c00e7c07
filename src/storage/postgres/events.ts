import { randomUUID } from 'node:crypto';
import { errorMessage } from '../../errors.js';
import type { JobEvent, JobEventChannel } from '../contract/index.js';
import { JOB_EVENT_LISTENER_TTL_MS } from '../contract/index.js';
import { JobEventListeners } from '../job-event-listeners.js';
import { decodeJobEvent } from '../job-event-wire.js';
import type { PostgresContext } from './context.js';
import type { PostgresNotifications } from './notifications.js';
import { eventChannelOf } from './options.js';

function eventStatements(ctx: PostgresContext) {
  const s = ctx.s;
  return {
    /** Announces (or keeps announcing) a listener; `lapsed` when it had stopped being live. */
    announce: ctx.plain(
      `WITH old AS (SELECT l.until FROM ${s}.event_listeners l WHERE l.id = $1::text),
            up AS (
              INSERT INTO ${s}.event_listeners AS l (id, until) VALUES ($1::text, clock_timestamp() + $2::integer * interval '1 ms')
              ON CONFLICT (id) DO UPDATE SET until = excluded.until RETURNING 1)
       SELECT coalesce((SELECT old.until <= clock_timestamp() FROM old), true) AS lapsed, (SELECT count(*) FROM up) AS n`,
    ),
    withdraw: ctx.plain(`DELETE FROM ${s}.event_listeners WHERE id = $1::text`),
    prune: ctx.plain(`DELETE FROM ${s}.event_listeners WHERE until < clock_timestamp() - interval '1 minute'`),
  };
}

/**
 * Job events on Postgres. Publishing is the writes' part (`publishing.ts`, migration 5); this is
 * the listening part:
 *
 * - Announcement: while this storage has subscribers it holds a row of `event_listeners`, live
 *   until `JOB_EVENT_LISTENER_TTL_MS` ahead by the database's clock, refreshed every third of it
 *   (which also prunes rows of listeners that died). A refresh that finds the row lapsed (the
 *   process was blocked for longer than the TTL) reports a gap.
 * - Delivery: the schema's event channel (`kiln_events_<schema>`) is LISTENed on the storage's
 *   notification connection (`PostgresNotifications.listen`) before the row is written, so every
 *   write committed after the announcement is heard. One notification is one event
 *   (`job-event-wire.ts`), delivered in commit order. A lost connection is a gap.
 */
export class PostgresJobEvents implements JobEventChannel {
  private readonly listeners: JobEventListeners;
  private readonly sql: ReturnType<typeof eventStatements>;
  private readonly channel: string;
  private id: string | undefined;
  /** Starts and stops, one after the other: a subscribe racing the last unsubscribe's stop waits for it. */
  private chain: Promise<void> = Promise.resolve();
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: PostgresContext,
    private readonly notifications: PostgresNotifications,
  ) {
    this.listeners = new JobEventListeners(ctx.logger);
    this.sql = eventStatements(ctx);
    this.channel = eventChannelOf(ctx.schema);
  }

  async subscribeJobEvents(onEvent: (event: JobEvent) => void, onGap?: () => void): Promise<() => Promise<void>> {
    const remove = this.listeners.add(onEvent, onGap);
    try {
      await this.serially(() => (this.id === undefined ? this.start() : undefined));
    } catch (error) {
      remove();
      throw error;
    }
    let left = false;
    return async () => {
      if (left) return;
      left = true;
      remove();
      await this.serially(() => (this.listeners.size === 0 ? this.stop() : undefined));
    };
  }

  private serially(step: () => Promise<void> | undefined): Promise<void> {
    const next = this.chain.then(step);
    this.chain = next.catch(() => {});
    return next;
  }

  /** LISTENs, then announces: events of every write that commits after this resolves are heard. */
  private async start(): Promise<void> {
    await this.notifications.listen(this.channel, {
      onPayload: (payload) => {
        const event = decodeJobEvent(payload);
        if (event) this.listeners.deliver(event);
      },
      onGap: () => this.listeners.gap(),
    });
    const id = randomUUID();
    try {
      await this.ctx.run(this.sql.announce, [id, JOB_EVENT_LISTENER_TTL_MS]);
    } catch (error) {
      await this.notifications.unlisten(this.channel);
      throw error;
    }
    this.id = id;
    this.refreshTimer = setInterval(() => void this.refresh(), JOB_EVENT_LISTENER_TTL_MS / 3);
    this.refreshTimer.unref();
  }

  private async refresh(): Promise<void> {
    const id = this.id;
    if (id === undefined) return;
    try {
      const res = await this.ctx.run<{ lapsed: boolean }>(this.sql.announce, [id, JOB_EVENT_LISTENER_TTL_MS]);
      await this.ctx.run(this.sql.prune, []);
      if (res.rows[0]?.lapsed && this.id === id) {
        this.ctx.logger.warn('this process stopped announcing its job event listener for too long; events may have been missed');
        this.listeners.gap();
      }
    } catch (error) {
      this.ctx.logger.warn('refreshing the Postgres job event announcement failed; retrying', { error: errorMessage(error) });
    }
  }

  /** Withdraws the announcement and stops listening: no subscriber is left. */
  private async stop(): Promise<void> {
    const id = this.id;
    this.id = undefined;
    clearInterval(this.refreshTimer);
    if (id === undefined) return;
    try {
      await this.ctx.run(this.sql.withdraw, [id]);
    } catch (error) {
      // Unreachable: the announcement lapses by itself.
      this.ctx.logger.debug('could not withdraw a job event announcement', { error: errorMessage(error) });
    }
    await this.notifications.unlisten(this.channel);
  }

  /** The storage is closing: withdraws the announcement (if the database answers). */
  async close(): Promise<void> {
    this.listeners.clear();
    await this.serially(() => this.stop());
  }
}
