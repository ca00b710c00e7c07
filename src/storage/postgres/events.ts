import { AnnouncedJobEvents } from '../announced-job-events.js';
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
export class PostgresJobEvents extends AnnouncedJobEvents {
  private readonly sql: ReturnType<typeof eventStatements>;
  private readonly channel: string;

  constructor(
    private readonly ctx: PostgresContext,
    private readonly notifications: PostgresNotifications,
  ) {
    super(ctx.logger, 'PostgresStorage');
    this.sql = eventStatements(ctx);
    this.channel = eventChannelOf(ctx.schema);
  }

  protected async listen(): Promise<void> {
    await this.notifications.listen(this.channel, {
      onPayload: (payload) => {
        const event = decodeJobEvent(payload);
        if (event) this.listeners.deliver(event);
      },
      onGap: () => this.listeners.gap(),
    });
  }

  protected async unlisten(): Promise<void> {
    await this.notifications.unlisten(this.channel);
  }

  /** A refresh also deletes the rows of listeners that died a minute ago or more. */
  protected async announce(id: string, ttlMs: number, refreshing: boolean): Promise<boolean> {
    const res = await this.ctx.run<{ lapsed: boolean }>(this.sql.announce, [id, ttlMs]);
    if (refreshing) await this.ctx.run(this.sql.prune, []);
    return res.rows[0]?.lapsed === true;
  }

  protected async withdraw(id: string): Promise<void> {
    await this.ctx.run(this.sql.withdraw, [id]);
  }
}
