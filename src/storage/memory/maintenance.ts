import { INTERRUPTIONS_PARAMETER, type Maintenance, type ServerRecord } from '../contract/index.js';
import { enqueuedEvent } from '../job-events.js';
import { clone, type MemoryJob, type MemoryState } from './state.js';

/** The largest interruption count kept: hand-written absurd counts stay bounded (as in every backend). */
const MAX_COUNTED = 1_000_000_000;

/** Maintenance in memory: due jobs, expired leases and jobs, the server registry, named locks. */
export class MemoryMaintenance implements Maintenance {
  constructor(private readonly s: MemoryState) {}

  async enqueueDue(now: number, limit: number): Promise<number> {
    const due = this.s
      .ordered()
      .filter((j) => j.state === 'scheduled' && j.runAt !== null && j.runAt <= now)
      .sort((a, b) => (a.runAt ?? 0) - (b.runAt ?? 0) || a.seq - b.seq)
      .slice(0, limit);
    for (const j of due) this.requeue(j, 'Scheduled time reached', now);
    return due.length;
  }

  async nextDueAt(): Promise<number | null> {
    let next: number | null = null;
    for (const j of this.s.jobs.values()) {
      if (j.state === 'scheduled' && j.runAt !== null && (next === null || j.runAt < next)) next = j.runAt;
    }
    return next;
  }

  async releaseExpiredLeases(now: number, limit: number): Promise<number> {
    const expired = [...this.s.jobs.values()]
      .filter((j) => j.state === 'processing' && j.leaseUntil !== null && j.leaseUntil < now)
      .slice(0, limit);
    for (const j of expired) this.interrupted(j, `Lease of server ${j.serverId} expired`, now);
    return expired.length;
  }

  async deleteExpired(now: number, limit: number): Promise<number> {
    let n = 0;
    for (const j of [...this.s.jobs.values()]) {
      if (n >= limit) break;
      if (j.expireAt !== null && j.expireAt <= now) {
        this.s.jobs.delete(j.id);
        n++;
      }
    }
    return n;
  }

  async announceServer(server: ServerRecord): Promise<void> {
    this.s.servers.set(server.id, clone(server));
  }

  async heartbeat(serverId: string, now: number): Promise<boolean> {
    const server = this.s.servers.get(serverId);
    if (!server) return false;
    server.heartbeatAt = now;
    return true;
  }

  async removeServer(serverId: string, now: number): Promise<void> {
    this.s.servers.delete(serverId);
    for (const j of this.s.jobs.values()) {
      if (j.state === 'processing' && j.serverId === serverId) this.interrupted(j, `Server ${serverId} stopped or timed out`, now);
    }
  }

  async removeDeadServers(heartbeatBefore: number, now: number): Promise<string[]> {
    const dead = [...this.s.servers.values()].filter((s) => s.heartbeatAt < heartbeatBefore).map((s) => s.id);
    for (const id of dead) await this.removeServer(id, now);
    return dead;
  }

  async acquireLock(resource: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const held = this.s.locks.get(resource);
    if (held && held.owner !== owner && held.until > now) return false;
    this.s.locks.set(resource, { owner, until: now + ttlMs });
    return true;
  }

  async releaseLock(resource: string, owner: string): Promise<void> {
    if (this.s.locks.get(resource)?.owner === owner) this.s.locks.delete(resource);
  }

  /**
   * Puts a job whose run ended without a result (lease expired, server gone) back in its queue,
   * counting the interruption in its `interruptions` parameter and in the history's reason. A
   * stored count that is not a number (set by hand) counts as 0; one past 10⁹ stays there.
   */
  private interrupted(j: MemoryJob, reason: string, now: number): void {
    const stored = j.parameters[INTERRUPTIONS_PARAMETER];
    const count = (typeof stored === 'number' ? Math.min(Math.max(Math.floor(stored), 0), MAX_COUNTED) : 0) + 1;
    j.parameters[INTERRUPTIONS_PARAMETER] = count;
    this.requeue(j, `${reason} (interruption ${count})`, now);
  }

  /** Puts a job back in its queue (recovery and due scheduled jobs), wakes its workers and tells listeners. */
  private requeue(j: MemoryJob, reason: string, now: number): void {
    this.s.enter(j, { name: 'enqueued', reason, at: now });
    if (this.s.listening) this.s.publish([enqueuedEvent(j, reason, now)]);
    j.serverId = null;
    j.leaseUntil = null;
    j.runAt = null;
    this.s.emit({ type: 'enqueued', queue: j.queue });
  }
}
