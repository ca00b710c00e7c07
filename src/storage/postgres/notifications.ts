import type pg from 'pg';
import { Backoff, type BackoffOptions } from '../../backoff.js';
import { errorMessage, KilnError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Notifications, StorageEvent } from '../contract/index.js';
import { deliverWakeUp, parseWakeUp } from '../wake-ups.js';
import type { PostgresContext } from './context.js';

type Subscriber = (event: StorageEvent) => void;

/** Another channel heard on the same connection (job events): its payloads, and what to do after a reconnect. */
export interface ChannelHandler {
  onPayload(payload: string): void;
  /** The connection was lost and is back: notifications sent meanwhile are lost. */
  onGap(): void;
}

/**
 * Wake-ups through `LISTEN/NOTIFY`: one dedicated `pg.Client` per storage (a pooled connection
 * would be handed to other queries and lose its LISTEN), shared by every subscriber, started by
 * the first `subscribe` and kept until `close()`.
 *
 * Payloads are the small JSON texts of `../wake-ups.ts`, sent by the schema's functions with
 * `pg_notify` on the channel `kiln_<schema>`. If the connection drops, it reconnects with a
 * `Backoff` from `listenerMinBackoffMs` to `listenerMaxBackoffMs` and logs, never throws; after a
 * reconnect it wakes every subscriber once with `{ type: 'enqueued', queue: '*' }`, because
 * notifications sent while it was away are lost.
 *
 * Other channels (job events, `listen`) share the connection: LISTENed while they have a
 * handler, and again after each reconnect, when their handler hears of the gap.
 */
export class PostgresNotifications implements Notifications {
  private readonly subscribers = new Set<Subscriber>();
  private readonly channels = new Map<string, ChannelHandler>();
  private readonly config: pg.ClientConfig;
  private readonly channel: string;
  private readonly logger: Logger;
  private readonly backoff: Backoff;
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private everConnected = false;
  private closed = false;

  constructor(
    private readonly ctx: PostgresContext,
    backoff: BackoffOptions,
  ) {
    this.config = { ...ctx.pool.options };
    this.channel = ctx.channel;
    this.logger = ctx.logger;
    this.backoff = new Backoff(backoff);
  }

  /**
   * Adds a subscriber and waits for the first connection attempt, so notifications sent after
   * this resolves are delivered. If the database is down it resolves anyway and keeps retrying
   * in the background (callers poll as a fallback).
   */
  async subscribe(subscriber: Subscriber): Promise<() => Promise<void>> {
    if (this.closed) throw new KilnError('PostgresStorage is closed');
    this.subscribers.add(subscriber);
    if (!this.client && !this.timer) await this.connect();
    else if (this.connecting) await this.connecting;
    return async () => {
      this.subscribers.delete(subscriber);
    };
  }

  /**
   * LISTENs on `channel` too, handing its payloads to `handler`; resolves once the LISTEN is
   * active, rejects (with the handler removed) when the database cannot be reached now.
   */
  async listen(channel: string, handler: ChannelHandler): Promise<void> {
    if (this.closed) throw new KilnError('PostgresStorage is closed');
    this.channels.set(channel, handler);
    try {
      if (this.client) await this.client.query(`LISTEN "${channel}"`);
      else {
        if (!this.timer) await this.connect();
        else if (this.connecting) await this.connecting;
        if (!this.client) throw new KilnError(`postgres: cannot LISTEN on ${channel}: the database cannot be reached`);
      }
    } catch (err) {
      this.channels.delete(channel);
      throw err;
    }
  }

  /** Stops listening on `channel`. */
  async unlisten(channel: string): Promise<void> {
    if (!this.channels.delete(channel)) return;
    await this.client?.query(`UNLISTEN "${channel}"`).catch(() => {});
  }

  private connect(): Promise<void> {
    if (this.connecting) return this.connecting;
    this.connecting = this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const client = new this.ctx.driver.Client({ ...this.config, keepAlive: true });
    client.on('notification', (msg) => this.dispatch(msg.channel, msg.payload));
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      for (const channel of this.channels.keys()) await client.query(`LISTEN "${channel}"`);
    } catch (err) {
      client.removeAllListeners('end');
      client.end().catch(() => {});
      this.retryLater(`postgres: cannot LISTEN on ${this.channel}`, err);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.backoff.succeed();
    if (this.everConnected) {
      this.logger.warn(`postgres: LISTEN on ${this.channel} restored`);
      this.emit({ type: 'enqueued', queue: '*' });
      for (const handler of this.channels.values()) handler.onGap();
    }
    this.everConnected = true;
  }

  private lost(client: pg.Client, err?: Error): void {
    if (client !== this.client) return;
    this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => {});
    if (this.closed) return;
    this.retryLater(`postgres: LISTEN connection on ${this.channel} lost`, err);
  }

  /** Logs what went wrong and schedules the next connection attempt after the back-off's wait. */
  private retryLater(problem: string, err: unknown): void {
    if (this.closed || this.timer) return;
    const wait = this.backoff.fail();
    this.logger.warn(`${problem}, reconnecting in ${wait} ms`, err === undefined ? {} : { error: errorMessage(err) });
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, wait);
    this.timer.unref();
  }

  private dispatch(channel: string, payload: string | undefined): void {
    if (!payload) return;
    if (channel !== this.channel) return this.channels.get(channel)?.onPayload(payload);
    const event = parseWakeUp(payload);
    if (event) this.emit(event);
  }

  private emit(event: StorageEvent): void {
    deliverWakeUp(this.subscribers, event, this.logger);
  }

  /** Stops listening: drops the subscribers, the pending reconnect and the connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.subscribers.clear();
    this.channels.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.connecting) await this.connecting;
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
    }
  }
}
