import { HOUR_MS, hourBucket } from '../buckets.js';
import type { Maintenance, ServerRecord } from '../contract/index.js';
import type { PostgresContext } from './context.js';
import { jsonbText } from './wire.js';

/** Maintenance's statements: prepared (they run every second or so, on indexed paths or small tables). */
function maintenanceStatements(ctx: PostgresContext) {
  const s = ctx.s;
  return {
    enqueueDue: ctx.named('enqueue_due', `SELECT ${s}.enqueue_due($1::bigint, $2::integer) AS moved`),
    nextDueAt: ctx.named('next_due', `SELECT ${s}.next_due_at() AS at`),
    releaseExpiredLeases: ctx.named(
      'release_leases',
      `SELECT ${s}.release_expired_leases($1::bigint, $2::integer) AS moved`,
    ),
    deleteExpired: ctx.named('delete_expired', `SELECT ${s}.delete_expired($1::bigint, $2::integer, $3::bigint) AS deleted`),
    pruneRateStarts: ctx.named('prune_rate_starts', `SELECT ${s}.prune_rate_starts($1::bigint, $2::integer)`),
    /** The record travels as its JSON and is read by field name here. */
    announceServer: ctx.named(
      'announce',
      `INSERT INTO ${s}.servers (id, name, worker_count, queues, started_at, heartbeat_at)
       SELECT r.id, r.name, r."workerCount", r.queues, r."startedAt", r."heartbeatAt"
         FROM json_to_record($1::json) AS r(id text, name text, "workerCount" integer, queues jsonb, "startedAt" bigint,
                                             "heartbeatAt" bigint)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, worker_count = excluded.worker_count,
         queues = excluded.queues, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
    ),
    heartbeat: ctx.named('heartbeat', `UPDATE ${s}.servers SET heartbeat_at = $2::bigint WHERE id = $1::text`),
    removeServers: ctx.named('remove_servers', `SELECT id FROM ${s}.remove_servers($1::text, $2::bigint, $3::bigint) id`),
    /** Takes a free or expired lock, or extends one's own: a compare-and-set upsert. */
    acquireLock: ctx.named(
      'acquire_lock',
      `INSERT INTO ${s}.locks AS l (resource, owner, until) VALUES ($1::text, $2::text, $3::bigint)
       ON CONFLICT (resource) DO UPDATE SET owner = excluded.owner, until = excluded.until
         WHERE l.owner = excluded.owner OR l.until <= $4::bigint
       RETURNING 1`,
    ),
    releaseLock: ctx.named('release_lock', `DELETE FROM ${s}.locks WHERE resource = $1::text AND owner = $2::text`),
  };
}

/**
 * Maintenance on Postgres: due schedules, expired leases, expiry, the server registry and named
 * locks. Each call is one statement; the ones that move jobs back to a queue send its wake-up in
 * the same statement.
 */
export class PostgresMaintenance implements Maintenance {
  private readonly sql: ReturnType<typeof maintenanceStatements>;

  constructor(private readonly ctx: PostgresContext) {
    this.sql = maintenanceStatements(ctx);
  }

  async enqueueDue(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const res = await this.ctx.run<{ moved: number }>(this.sql.enqueueDue, [now, limit]);
    return res.rows[0]?.moved ?? 0;
  }

  async nextDueAt(): Promise<number | null> {
    const res = await this.ctx.run<{ at: number | null }>(this.sql.nextDueAt, []);
    return res.rows[0]?.at ?? null;
  }

  async releaseExpiredLeases(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const res = await this.ctx.run<{ moved: number }>(this.sql.releaseExpiredLeases, [now, limit]);
    return res.rows[0]?.moved ?? 0;
  }

  /**
   * Also folds the counter shards of hours before the previous one into one row each, and drops a
   * batch of rate starts older than the longest rate window.
   */
  async deleteExpired(now: number, limit: number): Promise<number> {
    const res = await this.ctx.run<{ deleted: number }>(this.sql.deleteExpired, [
      now,
      Math.max(0, limit),
      hourBucket(now) - HOUR_MS,
    ]);
    // Rate starts no window counts any more (see migration 3's `prune_rate_starts`).
    await this.ctx.run(this.sql.pruneRateStarts, [now, Math.max(0, limit)]);
    return res.rows[0]?.deleted ?? 0;
  }

  async announceServer(server: ServerRecord): Promise<void> {
    await this.ctx.run(this.sql.announceServer, [jsonbText(server)]);
  }

  async heartbeat(serverId: string, now: number): Promise<boolean> {
    const res = await this.ctx.run(this.sql.heartbeat, [serverId, now]);
    return (res.rowCount ?? 0) > 0;
  }

  async removeServer(serverId: string, now: number): Promise<void> {
    await this.ctx.run(this.sql.removeServers, [serverId, null, now]);
  }

  async removeDeadServers(heartbeatBefore: number, now: number): Promise<string[]> {
    const res = await this.ctx.run<{ id: string }>(this.sql.removeServers, [null, heartbeatBefore, now]);
    return res.rows.map((r) => r.id);
  }

  async acquireLock(resource: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const res = await this.ctx.run(this.sql.acquireLock, [resource, owner, now + ttlMs, now]);
    return (res.rowCount ?? 0) > 0;
  }

  async releaseLock(resource: string, owner: string): Promise<void> {
    await this.ctx.run(this.sql.releaseLock, [resource, owner]);
  }
}
