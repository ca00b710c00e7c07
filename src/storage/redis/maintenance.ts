import type { Maintenance, ServerRecord } from '../contract/index.js';
import type { RedisContext } from './context.js';
import { SCRIPTS } from './scripts.js';

/** Locks that ended this long before a caller's `now` are forgotten (see `lua/acquire-lock.ts`). */
const LOCK_GARBAGE_MS = 60_000;

/**
 * Maintenance on Redis: the sweeps of the server's background processes (due scheduled jobs,
 * expired leases, expired jobs), the server registry and named locks. Each is one script; the
 * sweeps move at most `limit` jobs a call, so none blocks Redis for long.
 */
export class RedisMaintenance implements Maintenance {
  constructor(private readonly ctx: RedisContext) {}

  async enqueueDue(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    return Number(await this.ctx.run(SCRIPTS.enqueueDue, [String(now), String(limit)]));
  }

  async nextDueAt(): Promise<number | null> {
    const reply = (await this.ctx.run(SCRIPTS.nextDue, [])) as string[];
    return reply.length >= 2 ? Number(reply[1]) : null;
  }

  async releaseExpiredLeases(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    return Number(await this.ctx.run(SCRIPTS.releaseExpiredLeases, [String(now), String(limit)]));
  }

  async deleteExpired(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    return Number(await this.ctx.run(SCRIPTS.deleteExpired, [String(now), String(limit)]));
  }

  // ---- servers

  async announceServer(server: ServerRecord): Promise<void> {
    const { heartbeatAt, ...rest } = server;
    await this.ctx.run(SCRIPTS.announceServer, [server.id, JSON.stringify(rest), String(heartbeatAt)]);
  }

  async heartbeat(serverId: string, now: number): Promise<boolean> {
    return Number(await this.ctx.run(SCRIPTS.heartbeat, [serverId, String(now)])) === 1;
  }

  async removeServer(serverId: string, now: number): Promise<void> {
    await this.ctx.run(SCRIPTS.removeServers, [String(now), 'ids', serverId]);
  }

  async removeDeadServers(heartbeatBefore: number, now: number): Promise<string[]> {
    const removed = (await this.ctx.run(SCRIPTS.removeServers, [String(now), 'before', String(heartbeatBefore)])) as string[];
    return removed.map(String);
  }

  // ---- locks

  async acquireLock(resource: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const reply = await this.ctx.run(SCRIPTS.acquireLock, [
      resource,
      owner,
      String(now + ttlMs),
      String(now),
      String(now - LOCK_GARBAGE_MS),
    ]);
    return Number(reply) === 1;
  }

  async releaseLock(resource: string, owner: string): Promise<void> {
    await this.ctx.run(SCRIPTS.releaseLock, [resource, owner]);
  }
}
