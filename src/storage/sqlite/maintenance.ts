import { MAX_RATE_WINDOW_MS, type Maintenance, type ServerRecord, type StateName } from '../contract/index.js';
import type { SqliteContext } from './context.js';
import { enqueuedEvent } from '../job-events.js';
import type { MaintenanceStatements, RequeuedRow } from './statements/maintenance.js';
import type { WriteBatch } from './write-batch.js';

/**
 * Maintenance on SQLite: due scheduled jobs, expired leases, expired jobs, the server registry
 * and named locks. The periodic calls (`enqueueDue`, `releaseExpiredLeases`, `deleteExpired`,
 * `removeDeadServers`) first look with a read, so an idle server never takes the write lock; each
 * batch is then one write transaction.
 */
export class SqliteMaintenance implements Maintenance {
  constructor(private readonly ctx: SqliteContext) {}

  async enqueueDue(now: number, limit: number): Promise<number> {
    if (!(limit > 0)) return 0;
    if (this.ctx.open().s.maintenance.hasDue.get(now) === undefined) return 0;
    return this.ctx.write((s, batch) => {
      const reason = 'Scheduled time reached';
      const entry = `,${JSON.stringify({ name: 'enqueued', reason, at: now })}`;
      const rows = s.maintenance.enqueueDue.all(reason, now, entry, now, limit);
      requeued(batch, 'scheduled', rows, now);
      return rows.length;
    });
  }

  async nextDueAt(): Promise<number | null> {
    return this.ctx.open().s.maintenance.nextDue.get()?.run_at ?? null;
  }

  async releaseExpiredLeases(now: number, limit: number): Promise<number> {
    if (!(limit > 0)) return 0;
    if (this.ctx.open().s.maintenance.hasExpiredLease.get(now) === undefined) return 0;
    return this.ctx.write((s, batch) => {
      const rows = s.maintenance.releaseExpired.all(now, now, now, limit);
      requeued(batch, 'processing', rows, now);
      return rows.length;
    });
  }

  /** Deletes expired jobs with their logs, longest expired first (`expire_at` order, which its index gives for free). */
  /**
   * Deletes expired jobs (and their logs), and with them up to `limit` rate starts that no window
   * counts any more (older than `MAX_RATE_WINDOW_MS`): the claim prunes only the keys it starts
   * jobs of. Each looks with a read first.
   */
  async deleteExpired(now: number, limit: number): Promise<number> {
    if (!(limit > 0)) return 0;
    const { s } = this.ctx.open();
    const oldStarts = now - MAX_RATE_WINDOW_MS;
    if (s.queues.hasOldStarts.get(oldStarts) !== undefined) this.ctx.write((w) => w.queues.pruneOldStarts.run(oldStarts, limit));
    if (s.maintenance.hasExpired.get(now) === undefined) return 0;
    return this.ctx.write((s, batch) => {
      const rows = s.maintenance.deleteExpired.all(now, limit);
      for (const r of rows) {
        batch.count(r.state, r.queue, -1);
        s.logs.deleteLog.run(r.seq);
      }
      return rows.length;
    });
  }

  async announceServer(server: ServerRecord): Promise<void> {
    this.ctx.open().s.maintenance.upsertServer.run({ ...server, queues: JSON.stringify(server.queues) });
  }

  async heartbeat(serverId: string, now: number): Promise<boolean> {
    return this.ctx.open().s.maintenance.heartbeat.run(now, serverId).changes > 0;
  }

  async removeServer(serverId: string, now: number): Promise<void> {
    this.ctx.write((s, batch) => {
      s.maintenance.deleteServer.run(serverId);
      requeueHeldBy(s.maintenance, batch, serverId, now, stoppedReason(serverId));
    });
  }

  async removeDeadServers(heartbeatBefore: number, now: number): Promise<string[]> {
    if (this.ctx.open().s.maintenance.deadServers.all(heartbeatBefore).length === 0) return [];
    return this.ctx.write((s, batch) => {
      // Read again under the write lock: another process may have removed them meanwhile.
      const dead = s.maintenance.deadServers.all(heartbeatBefore);
      for (const id of dead) {
        s.maintenance.deleteServer.run(id);
        requeueHeldBy(s.maintenance, batch, id, now, stoppedReason(id));
      }
      return dead;
    });
  }

  async acquireLock(resource: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    return this.ctx.open().s.maintenance.acquireLock.run(resource, owner, now + ttlMs, now).changes > 0;
  }

  async releaseLock(resource: string, owner: string): Promise<void> {
    this.ctx.open().s.maintenance.releaseLock.run(resource, owner);
  }
}

const stoppedReason = (serverId: string): string => `Server ${serverId} stopped or timed out`;

/**
 * Puts every job `serverId` holds back in its queue, with `reason` in its history, each counted as
 * interrupted: the one requeue of a server's jobs, whether it stopped, timed out or was found gone
 * (`liveness.ts`).
 */
export function requeueHeldBy(s: MaintenanceStatements, batch: WriteBatch, serverId: string, now: number, reason: string): void {
  requeued(batch, 'processing', s.requeueHeld.all(now, now, serverId, { reason }), now);
}

/** Jobs a maintenance statement put back in their queue: counted, their queues woken, their `enqueued` events published. */
function requeued(batch: WriteBatch, from: StateName, rows: RequeuedRow[], now: number): void {
  for (const r of rows) batch.requeued(from, r.queue);
  if (batch.publishing) for (const r of rows) batch.publish(enqueuedEvent(r, r.state_reason, now));
}
