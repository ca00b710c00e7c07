import type pg from 'pg';
import { Backoff, type BackoffOptions } from '../../backoff.js';
import { errorMessage } from '../../errors.js';
import type { Liveness, LivenessHold } from '../contract/index.js';
import type { PostgresContext } from './context.js';

/** How often the mark's connection runs a statement, so no idle timeout (idle_session_timeout, a proxy's) ends it. */
const KEEP_ALIVE_MS = 30_000;
/** How long taking a mark may wait for its lock (a checker's removing transaction holds it briefly). */
const LOCK_TIMEOUT_MS = 10_000;

function livenessStatements(ctx: PostgresContext) {
  const s = ctx.s;
  return {
    /** Run on the mark's own connection: the lock first, then the record. */
    lock: `SELECT pg_advisory_lock(hashtextextended($1::text, 0))`,
    record: `INSERT INTO ${s}.liveness (server_id, lock_key, pid, held_at)
             VALUES ($1::text, hashtextextended($2::text, 0), pg_backend_pid(), $3::bigint)
             ON CONFLICT (server_id) DO UPDATE SET lock_key = excluded.lock_key, pid = excluded.pid, held_at = excluded.held_at`,
    unrecord: `DELETE FROM ${s}.liveness WHERE server_id = $1::text AND pid = pg_backend_pid()`,
    removeVanished: ctx.named('remove_vanished', `SELECT id FROM ${s}.remove_vanished_servers($1::text, $2::bigint) id`),
    storageTime: ctx.named('storage_time', `SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS t`),
  };
}

/**
 * Liveness on Postgres: a server's mark is a session-level advisory lock (key: a 64-bit hash of
 * the schema and the server id) held on a dedicated connection of its own, never a pooled one,
 * which Postgres releases the instant that session ends (the process died, its socket closed).
 * Its mark record is a row of `liveness`. A checker tries each record's lock with
 * `pg_try_advisory_xact_lock` inside `remove_vanished_servers` (see migration 4): taking it
 * proves the owner's session is gone.
 *
 * The mark's connection has TCP keep-alive and runs `SELECT 1` every 30 s; when it is lost, the
 * hold reconnects with the listener back-off, takes the lock, then rewrites its record.
 */
export class PostgresLiveness implements Liveness {
  private readonly sql: ReturnType<typeof livenessStatements>;
  private readonly holds = new Set<PostgresMarkHold>();

  constructor(
    private readonly ctx: PostgresContext,
    private readonly backoff: BackoffOptions,
  ) {
    this.sql = livenessStatements(ctx);
  }

  async holdLiveness(serverId: string): Promise<LivenessHold | null> {
    const hold = new PostgresMarkHold(this.ctx, this.sql, serverId, new Backoff(this.backoff), () => this.holds.delete(hold));
    await hold.take();
    this.holds.add(hold);
    return hold;
  }

  async removeVanishedServers(now: number, checkerId: string): Promise<string[]> {
    const res = await this.ctx.run<{ id: string }>(this.sql.removeVanished, [checkerId, now]);
    return res.rows.map((r) => r.id);
  }

  async storageTime(): Promise<number> {
    const res = await this.ctx.run<{ t: number }>(this.sql.storageTime, []);
    return Number(res.rows[0]!.t);
  }

  /** Ends every mark's connection without deleting its record, as the process dying would. */
  async close(): Promise<void> {
    await Promise.all([...this.holds].map((h) => h.drop()));
    this.holds.clear();
  }
}

/** One server's mark: its connection, its keep-alive, and its retake after a loss. */
class PostgresMarkHold implements LivenessHold {
  heldSince: number | null = null;
  private client: pg.Client | null = null;
  private retakeTimer: NodeJS.Timeout | null = null;
  private keepAliveTimer: NodeJS.Timeout | null = null;
  private ended = false;
  private readonly key: string;

  constructor(
    private readonly ctx: PostgresContext,
    private readonly sql: ReturnType<typeof livenessStatements>,
    private readonly serverId: string,
    private readonly backoff: Backoff,
    private readonly forget: () => void,
  ) {
    this.key = `kiln.liveness/${ctx.schema}/${serverId}`;
  }

  /** Connects, takes the lock, then writes the record; rejects (with the connection closed) on failure. */
  async take(): Promise<void> {
    const client = new this.ctx.driver.Client({ ...this.ctx.pool.options, keepAlive: true });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`SET lock_timeout = ${LOCK_TIMEOUT_MS}`);
      await client.query(this.sql.lock, [this.key]);
      await client.query(this.sql.record, [this.serverId, this.key, Date.now()]);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
      throw err;
    }
    if (this.ended) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.heldSince = Date.now();
    this.backoff.succeed();
    this.keepAliveTimer = setInterval(() => {
      client.query('SELECT 1').catch(() => {});
    }, KEEP_ALIVE_MS);
    this.keepAliveTimer.unref();
  }

  private lost(client: pg.Client, err?: Error): void {
    if (client !== this.client) return;
    this.client = null;
    this.heldSince = null;
    this.stopKeepAlive();
    client.removeAllListeners('end');
    client.end().catch(() => {});
    if (this.ended) return;
    this.ctx.logger.warn(`postgres: the liveness mark of server ${this.serverId} was lost with its connection; taking it again`, err ? { error: errorMessage(err) } : {});
    this.retakeLater();
  }

  private retakeLater(): void {
    if (this.ended || this.retakeTimer) return;
    this.retakeTimer = setTimeout(() => {
      this.retakeTimer = null;
      if (this.ended) return;
      this.take().then(
        () => this.ctx.logger.warn(`postgres: the liveness mark of server ${this.serverId} is held again`),
        (err: unknown) => {
          this.ctx.logger.warn(`postgres: cannot take the liveness mark of server ${this.serverId} again; retrying`, { error: errorMessage(err) });
          this.retakeLater();
        },
      );
    }, this.backoff.fail());
    this.retakeTimer.unref();
  }

  private stopKeepAlive(): void {
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = null;
  }

  async release(): Promise<void> {
    if (this.ended) return;
    const client = this.client;
    await this.drop(async (c) => {
      await c.query(this.sql.unrecord, [this.serverId]);
    });
    if (!client) {
      // Lost and not taken again: the record is deleted through the pool, if the database answers.
      await this.ctx.pool.query(`DELETE FROM ${this.ctx.s}.liveness WHERE server_id = $1::text`, [this.serverId]).catch(() => {});
    }
  }

  /** Ends the mark's connection (after `before`, if connected); the record stays unless `before` deletes it. */
  async drop(before?: (client: pg.Client) => Promise<void>): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.forget();
    if (this.retakeTimer) clearTimeout(this.retakeTimer);
    this.retakeTimer = null;
    this.stopKeepAlive();
    const client = this.client;
    this.client = null;
    this.heldSince = null;
    if (!client) return;
    client.removeAllListeners('end');
    if (before) await before(client).catch(() => {});
    await client.end().catch(() => {});
  }
}
