import type { JobEvent } from '../contract/index.js';
import { encodeJobEvent } from '../job-event-wire.js';
import { eventChannelOf } from './options.js';
import type pg from 'pg';
import { type PostgresContext, type Queryable, type Statement, pgCode, retrying, withConnection } from './context.js';
import { pgText } from './storable-text.js';

/** The SQLSTATE `quiet()` raises when a write made without its events finds someone listening. */
export const LISTENED = 'KLEVT';

/** What a write made with its events tells: its result, whether anyone listens, and (if so) its events. */
export interface EventedWrite<T> {
  result: T;
  /** Whether someone listens; undefined when the write could not tell (it changed nothing). */
  listening: boolean | undefined;
  events(): JobEvent[];
}

/**
 * How the job store's writes publish job events on Postgres (see `contract/events.ts`), keeping
 * the write one round trip while nobody listens:
 *
 * - quick: the write's statement as before, guarded by `(SELECT quiet())`, a one-time filter
 *   Postgres evaluates before the write: one read of the tiny `event_listeners` table. When a
 *   listener is live it raises `KLEVT` and nothing is written;
 * - evented: the write in a transaction, its statement asking `listening()` after the write and
 *   returning what `src/storage/job-events.ts` needs; when someone listens, the events are
 *   encoded (`job-event-wire.ts`) and sent with `pg_notify` on the schema's event channel in that
 *   transaction, so they are delivered at its commit, in commit order. Three round trips
 *   (`BEGIN`, the write, the events with `COMMIT`) instead of one, only while someone listens.
 *
 * A write that found a listener makes the following writes of this storage go straight to the
 * evented path, until one of them finds nobody listening any more.
 */
export class EventPublishing {
  /** The last write found someone listening. */
  private heard = false;
  private readonly notify: Statement;
  readonly channel: string;

  constructor(private readonly ctx: PostgresContext) {
    this.channel = eventChannelOf(ctx.schema);
    this.notify = ctx.named('notify_events', `SELECT count(pg_notify($1::text, e)) FROM unnest($2::text[]) e`);
  }

  /**
   * Runs a write: `quick()` (retried on deadlocks) while no listener was heard, else, or once it
   * raised `KLEVT`, `evented(client)` in a transaction (retried whole on deadlocks).
   */
  async write<T>(quick: () => Promise<T>, evented: (client: Queryable) => Promise<EventedWrite<T>>): Promise<T> {
    if (!this.heard) {
      try {
        return await retrying(quick);
      } catch (err) {
        if (pgCode(err) !== LISTENED) throw err;
        this.heard = true;
      }
    }
    return retrying(() =>
      withConnection(this.ctx.pool, this.ctx.logger, 'during a transaction', async (client) => {
        await client.query('BEGIN');
        try {
          const w = await evented(client);
          if (w.listening !== undefined) this.heard = w.listening;
          const events = w.listening ? w.events() : [];
          // The events and the commit in one round trip: a simple query of two statements, the
          // payloads as literals (they hold no U+0000: `encodeJobEvent` writes JSON escapes).
          await client.query(events.length === 0 ? 'COMMIT' : `${this.notifyText(client, events)}; COMMIT`);
          return w.result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
      }),
    );
  }

  /** A statement sending `events`, in order, on the event channel. */
  private notifyText(client: pg.PoolClient, events: JobEvent[]): string {
    const payloads = events.map((e) => client.escapeLiteral(pgText(encodeJobEvent(e)))).join(',');
    return `SELECT count(pg_notify(${client.escapeLiteral(this.channel)}, e)) FROM unnest(ARRAY[${payloads}]::text[]) e`;
  }

  /** Runs an evented write on `on` (a transaction already open: the application's `tx`, an advance's) and sends its events there. */
  async publish<T>(on: Queryable, evented: (on: Queryable) => Promise<EventedWrite<T>>): Promise<T> {
    const w = await evented(on);
    if (w.listening !== undefined) this.heard = w.listening;
    if (w.listening) await this.send(w.events(), on);
    return w.result;
  }

  private async send(events: JobEvent[], on: Queryable): Promise<void> {
    if (events.length === 0) return;
    await this.ctx.run(this.notify, [this.channel, events.map(encodeJobEvent)], on);
  }
}
