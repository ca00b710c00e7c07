import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { errorMessage } from '../../errors.js';
import type { Liveness, LivenessHold } from '../contract/index.js';
import { closeClient } from './connection.js';
import type { RedisContext } from './context.js';
import { SCRIPTS } from './scripts.js';

/** How often a mark's connection pings Redis, so that nothing between (a proxy, a NAT) drops it as idle. */
const KEEP_ALIVE_MS = 30_000;

/** How soon a hold tries again to rewrite its mark record after a failed attempt. */
const RECORD_RETRY_MS = 1_000;

/**
 * Liveness on Redis (see `contract/liveness.ts`).
 *
 * The mark: a dedicated connection per server that stays SUBSCRIBEd to a channel of its own,
 * `<tag>:alive:<serverId>` (`KeyLayout.aliveChannel`). Redis drops a client's subscriptions the
 * instant its connection closes, which the operating system does when the process dies, so
 * `PUBSUB NUMSUB` of that channel falls to 0 at once; a blocked event loop (a CPU-bound job, a
 * debugger, SIGSTOP) keeps the socket, and so the subscription. Redis's `timeout` never closes a
 * subscribed client; a PING every `KEEP_ALIVE_MS` and TCP keep-alive keep it open through
 * whatever else might judge it idle.
 *
 * The mark record: the `marks` hash, server id → a token chosen by each take of the mark. The
 * check (`removeVanishedServers`) is one read-only script that lists the records whose channel
 * has no subscriber; each of those is then removed by its own script, a compare-and-set on the
 * token that also checks the channel again, so a mark retaken meanwhile wins.
 *
 * A lost connection (Redis restarted, a network blip): the connection reconnects by itself with
 * ioredis's back-off; the hold then subscribes again (the mark, first) and writes its record with
 * a new token (second), and `heldSince` restarts. Redis Cluster is not supported for marks (a
 * channel's subscribers are counted per node): there `holdLiveness` returns null and servers rely
 * on the heartbeat timeout.
 *
 * The clock: `TIME`.
 */
export class RedisLiveness implements Liveness {
  private readonly holds = new Set<RedisMarkHold>();

  constructor(private readonly ctx: RedisContext) {}

  async holdLiveness(serverId: string): Promise<LivenessHold | null> {
    if (this.ctx.connection.cluster) return null;
    const hold = new RedisMarkHold(this.ctx, serverId, () => this.holds.delete(hold));
    this.holds.add(hold);
    try {
      await hold.take();
    } catch (error) {
      hold.drop();
      throw error;
    }
    return hold;
  }

  async removeVanishedServers(now: number, checkerId: string): Promise<string[]> {
    const prefix = this.ctx.keys.aliveChannel('');
    const found = (await this.ctx.run(SCRIPTS.vanishedMarks, [checkerId, prefix])) as string[];
    const removed: string[] = [];
    for (let i = 0; i + 1 < found.length; i += 2) {
      const id = String(found[i]);
      const reason = `Server ${id} is gone: its liveness connection to Redis closed`;
      const done = await this.ctx.run(SCRIPTS.removeVanished, [String(now), id, String(found[i + 1]), prefix + id, reason]);
      if (Number(done) === 1) removed.push(id);
    }
    return removed;
  }

  async storageTime(): Promise<number> {
    const [seconds, micros] = await this.ctx.client.time();
    return Number(seconds) * 1000 + Number(micros) / 1000;
  }

  /** Ends every mark's connection without deleting its record, as the process dying would. */
  close(): void {
    for (const hold of [...this.holds]) hold.drop();
  }
}

/** One server's mark: its subscribed connection, and the token of the record it wrote. */
class RedisMarkHold implements LivenessHold {
  heldSince: number | null = null;
  private readonly conn: Redis;
  private readonly channel: string;
  private token = '';
  private ended = false;
  private taken = false;
  private readonly keepAlive: NodeJS.Timeout;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: RedisContext,
    private readonly serverId: string,
    private readonly forget: () => void,
  ) {
    this.channel = ctx.keys.aliveChannel(serverId);
    this.conn = (ctx.client as Redis).duplicate({
      enableAutoPipelining: false,
      // The hold subscribes again itself, so it knows when the mark is back before its record.
      autoResubscribe: false,
      connectionName: 'kiln-alive',
      keepAlive: KEEP_ALIVE_MS,
    });
    this.conn.on('error', (error: unknown) => {
      if (this.heldSince !== null || !this.taken) return;
      ctx.logger.debug('redis liveness connection error; reconnecting', { error: errorMessage(error) });
    });
    this.conn.on('close', () => {
      if (this.heldSince === null || this.ended) return;
      this.heldSince = null;
      ctx.logger.warn(`redis liveness connection of server ${serverId} lost; taking its mark again`);
    });
    this.conn.on('ready', () => {
      // ioredis emits 'ready' on every (re)connection; the first take is take()'s.
      if (this.taken && !this.ended) void this.retake();
    });
    this.keepAlive = setInterval(() => {
      if (this.heldSince !== null) this.conn.ping().catch(() => {});
    }, KEEP_ALIVE_MS);
    this.keepAlive.unref();
  }

  /** The first take: the mark, then the record. */
  async take(): Promise<void> {
    await this.conn.subscribe(this.channel);
    await this.writeRecord();
    this.taken = true;
    this.heldSince = Date.now();
  }

  async release(): Promise<void> {
    if (this.ended) return;
    this.stop();
    // The record first: a mark let go of with its record still there would be found gone.
    try {
      if (this.token) await this.ctx.run(SCRIPTS.releaseMark, [this.serverId, this.token]);
    } catch (error) {
      this.ctx.logger.debug('could not delete a liveness mark record', { error: errorMessage(error) });
    }
    await closeClient(this.conn).catch(() => {});
  }

  /** Ends the connection, leaving the record (the storage is closing, or the take failed). */
  drop(): void {
    if (this.ended) return;
    this.stop();
    this.conn.disconnect();
  }

  private stop(): void {
    this.ended = true;
    this.heldSince = null;
    clearInterval(this.keepAlive);
    clearTimeout(this.retry);
    this.forget();
  }

  /** After a reconnection: the mark first (SUBSCRIBE answered), then a record with a new token. */
  private async retake(): Promise<void> {
    clearTimeout(this.retry);
    try {
      await this.conn.subscribe(this.channel);
      if (this.ended) return;
      await this.writeRecord();
      if (this.ended) return;
      this.heldSince = Date.now();
      this.ctx.logger.info(`redis liveness mark of server ${this.serverId} taken again`);
    } catch (error) {
      if (this.ended) return;
      this.ctx.logger.warn('taking a redis liveness mark again failed; retrying', { error: errorMessage(error) });
      this.retry = setTimeout(() => {
        if (this.conn.status === 'ready') void this.retake();
      }, RECORD_RETRY_MS);
      this.retry.unref();
    }
  }

  private async writeRecord(): Promise<void> {
    const token = randomUUID();
    await this.ctx.client.hset(this.ctx.keys.key('marks'), this.serverId, token);
    this.token = token;
  }
}
