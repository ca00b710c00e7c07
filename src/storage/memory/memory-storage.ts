import { EventEmitter } from 'node:events';
import type {
  CreatedJob,
  CreateOptions,
  FetchOptions,
  Json,
  JobDetails,
  JobPage,
  JobRecord,
  ListJobsQuery,
  NewJob,
  QueueStatistics,
  RecurringAdvance,
  RecurringJobRecord,
  ServerRecord,
  StateEntry,
  StateName,
  Storage,
  StorageEvent,
  StorageStatistics,
  TimelinePoint,
  TransitionChange,
} from '../contract/index.js';
import { STATE_NAMES } from '../contract/index.js';
import { ACTIVE_STATES, denseTimeline, hourBucket, timelineRange } from '../buckets.js';

interface MemoryJob extends JobRecord {
  seq: number;
  history: StateEntry[];
  uniqueUntil: number | null;
}

const clone = <T>(value: T): T => structuredClone(value);

/**
 * Storage in this process's memory: for tests and for trying Kiln out. Everything is lost when the
 * process exits, and it cannot be shared between processes. Every operation is synchronous inside,
 * so each is atomic by construction.
 */
export class MemoryStorage implements Storage {
  private readonly jobs = new Map<string, MemoryJob>();
  private readonly servers = new Map<string, ServerRecord>();
  private readonly locks = new Map<string, { owner: string; until: number }>();
  private readonly recurring = new Map<string, RecurringJobRecord>();
  private readonly hours = new Map<number, { succeeded: number; failed: number }>();
  private totals = { succeeded: 0, failed: 0 };
  private seq = 0;
  private readonly events = new EventEmitter().setMaxListeners(0);

  async migrate(): Promise<void> {}
  async close(): Promise<void> {
    this.events.removeAllListeners();
  }

  async createJobs(jobs: NewJob[], options: CreateOptions): Promise<CreatedJob[]> {
    const out: CreatedJob[] = [];
    const queues = new Set<string>();
    for (const job of jobs) {
      if (job.uniqueKey !== undefined) {
        const existing = this.activeWithKey(job.uniqueKey, options.now);
        if (existing) {
          out.push({ id: existing.id, created: false });
          continue;
        }
      }
      this.insert(job);
      if (job.state.name === 'enqueued') queues.add(job.queue);
      out.push({ id: job.id, created: true });
    }
    for (const queue of queues) this.emit({ type: 'enqueued', queue });
    return out;
  }

  private activeWithKey(key: string, now: number): MemoryJob | undefined {
    for (const j of this.jobs.values()) {
      if (
        j.uniqueKey === key &&
        (ACTIVE_STATES as readonly string[]).includes(j.state) &&
        (j.uniqueUntil === null || j.uniqueUntil > now)
      ) {
        return j;
      }
    }
    return undefined;
  }

  private insert(job: NewJob): void {
    if (this.jobs.has(job.id)) throw new Error(`job ${job.id} already exists`);
    this.jobs.set(job.id, {
      id: job.id,
      name: job.name,
      queue: job.queue,
      args: job.args,
      state: job.state.name,
      stateReason: job.state.reason ?? null,
      stateData: job.state.data ? clone(job.state.data) : null,
      createdAt: job.createdAt,
      stateAt: job.state.at,
      attempt: 1,
      parameters: clone(job.parameters),
      runAt: job.runAt ?? null,
      parentId: job.parentId ?? null,
      serverId: null,
      leaseUntil: null,
      expireAt: null,
      result: null,
      uniqueKey: job.uniqueKey ?? null,
      uniqueUntil: job.uniqueUntil ?? null,
      seq: ++this.seq,
      history: [clone(job.state)],
    });
  }

  async fetch(o: FetchOptions): Promise<JobRecord[]> {
    const claimed: JobRecord[] = [];
    for (const queue of o.queues) {
      if (claimed.length >= o.max) break;
      const ready = [...this.jobs.values()]
        .filter((j) => j.state === 'enqueued' && j.queue === queue)
        .sort((a, b) => a.seq - b.seq)
        .slice(0, o.max - claimed.length);
      for (const j of ready) {
        this.enter(j, { name: 'processing', data: { serverId: o.serverId }, at: o.now });
        j.serverId = o.serverId;
        j.leaseUntil = o.now + o.leaseMs;
        claimed.push(this.record(j));
      }
    }
    return claimed;
  }

  async renewLeases(serverId: string, ids: string[], leaseMs: number, now: number): Promise<string[]> {
    const lost: string[] = [];
    for (const id of ids) {
      const j = this.jobs.get(id);
      if (j && j.state === 'processing' && j.serverId === serverId) j.leaseUntil = now + leaseMs;
      else lost.push(id);
    }
    return lost;
  }

  async mergeParameters(id: string, serverId: string, parameters: { [key: string]: Json }): Promise<boolean> {
    const j = this.jobs.get(id);
    if (!j || j.state !== 'processing' || j.serverId !== serverId) return false;
    Object.assign(j.parameters, clone(parameters));
    return true;
  }

  async transition(changes: TransitionChange[], now: number): Promise<boolean[]> {
    return changes.map((c) => this.applyChange(c, now));
  }

  private applyChange(c: TransitionChange, now: number): boolean {
    const j = this.jobs.get(c.id);
    if (!j || !c.expectStates.includes(j.state)) return false;
    if (c.expectServerId !== undefined && (j.state !== 'processing' || j.serverId !== c.expectServerId)) return false;
    const wasProcessing = j.state === 'processing';
    for (const s of c.passedThrough ?? []) {
      j.history.push(clone(s));
      this.count(s.name, s.at);
    }
    this.enter(j, c.to);
    this.count(c.to.name, c.to.at);
    if (c.queue !== undefined) j.queue = c.queue;
    j.runAt = c.to.name === 'scheduled' ? (c.runAt ?? now) : null;
    j.expireAt = c.expireAt ?? null;
    if (c.attempt !== undefined) j.attempt = c.attempt;
    if (c.parameters) Object.assign(j.parameters, clone(c.parameters));
    if (c.result !== undefined) j.result = c.result;
    if (c.to.name !== 'processing') {
      j.serverId = null;
      j.leaseUntil = null;
    }
    if (wasProcessing && c.expectServerId === undefined) this.emit({ type: 'aborted', jobId: j.id });
    if (c.to.name === 'enqueued') this.emit({ type: 'enqueued', queue: j.queue });
    return true;
  }

  private enter(j: MemoryJob, s: StateEntry): void {
    j.state = s.name;
    j.stateReason = s.reason ?? null;
    j.stateData = s.data ? clone(s.data) : null;
    j.stateAt = s.at;
    j.history.push(clone(s));
  }

  private count(state: StateName, at: number): void {
    if (state !== 'succeeded' && state !== 'failed') return;
    this.totals[state]++;
    const b = hourBucket(at);
    const h = this.hours.get(b) ?? { succeeded: 0, failed: 0 };
    h[state]++;
    this.hours.set(b, h);
  }

  private requeue(j: MemoryJob, reason: string, now: number): void {
    this.enter(j, { name: 'enqueued', reason, at: now });
    j.serverId = null;
    j.leaseUntil = null;
    j.runAt = null;
    this.emit({ type: 'enqueued', queue: j.queue });
  }

  async enqueueDue(now: number, limit: number): Promise<number> {
    const due = [...this.jobs.values()]
      .filter((j) => j.state === 'scheduled' && j.runAt !== null && j.runAt <= now)
      .sort((a, b) => (a.runAt ?? 0) - (b.runAt ?? 0) || a.seq - b.seq)
      .slice(0, limit);
    for (const j of due) this.requeue(j, 'Scheduled time reached', now);
    return due.length;
  }

  async nextDueAt(): Promise<number | null> {
    let next: number | null = null;
    for (const j of this.jobs.values()) {
      if (j.state === 'scheduled' && j.runAt !== null && (next === null || j.runAt < next)) next = j.runAt;
    }
    return next;
  }

  async releaseExpiredLeases(now: number, limit: number): Promise<number> {
    const expired = [...this.jobs.values()]
      .filter((j) => j.state === 'processing' && j.leaseUntil !== null && j.leaseUntil < now)
      .slice(0, limit);
    for (const j of expired) this.requeue(j, `Lease of server ${j.serverId} expired`, now);
    return expired.length;
  }

  async deleteExpired(now: number, limit: number): Promise<number> {
    let n = 0;
    for (const j of [...this.jobs.values()]) {
      if (n >= limit) break;
      if (j.expireAt !== null && j.expireAt <= now) {
        this.jobs.delete(j.id);
        n++;
      }
    }
    return n;
  }

  async getJob(id: string): Promise<JobDetails | null> {
    const j = this.jobs.get(id);
    if (!j) return null;
    const continuations = [...this.jobs.values()].filter((c) => c.parentId === id).map((c) => c.id);
    return { ...this.record(j), history: clone(j.history), continuations };
  }

  async continuationsOf(parentIds: string[]): Promise<JobRecord[]> {
    const parents = new Set(parentIds);
    return [...this.jobs.values()]
      .filter((j) => j.state === 'awaiting' && j.parentId !== null && parents.has(j.parentId))
      .sort((a, b) => a.seq - b.seq)
      .map((j) => this.record(j));
  }

  async awaitingReady(
    limit: number,
  ): Promise<Array<{ job: JobRecord; parentState: StateName | null; parentResult: string | null }>> {
    const out: Array<{ job: JobRecord; parentState: StateName | null; parentResult: string | null }> = [];
    for (const j of [...this.jobs.values()].sort((a, b) => a.seq - b.seq)) {
      if (out.length >= limit) break;
      if (j.state !== 'awaiting') continue;
      const parent = j.parentId === null ? undefined : this.jobs.get(j.parentId);
      if (!parent || parent.state === 'succeeded' || parent.state === 'deleted') {
        out.push({ job: this.record(j), parentState: parent?.state ?? null, parentResult: parent?.result ?? null });
      }
    }
    return out;
  }

  async announceServer(server: ServerRecord): Promise<void> {
    this.servers.set(server.id, clone(server));
  }

  async heartbeat(serverId: string, now: number): Promise<boolean> {
    const s = this.servers.get(serverId);
    if (!s) return false;
    s.heartbeatAt = now;
    return true;
  }

  async removeServer(serverId: string, now: number): Promise<void> {
    this.servers.delete(serverId);
    this.requeueHeldBy(serverId, now);
  }

  private requeueHeldBy(serverId: string, now: number): void {
    for (const j of this.jobs.values()) {
      if (j.state === 'processing' && j.serverId === serverId) {
        this.requeue(j, `Server ${serverId} stopped or timed out`, now);
      }
    }
  }

  async removeDeadServers(heartbeatBefore: number, now: number): Promise<string[]> {
    const dead = [...this.servers.values()].filter((s) => s.heartbeatAt < heartbeatBefore).map((s) => s.id);
    for (const id of dead) await this.removeServer(id, now);
    return dead;
  }

  async acquireLock(resource: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const held = this.locks.get(resource);
    if (held && held.owner !== owner && held.until > now) return false;
    this.locks.set(resource, { owner, until: now + ttlMs });
    return true;
  }

  async releaseLock(resource: string, owner: string): Promise<void> {
    if (this.locks.get(resource)?.owner === owner) this.locks.delete(resource);
  }

  async upsertRecurring(job: RecurringJobRecord): Promise<void> {
    this.recurring.set(job.id, clone(job));
  }

  async removeRecurring(id: string): Promise<boolean> {
    return this.recurring.delete(id);
  }

  async setRecurringPaused(id: string, paused: boolean): Promise<boolean> {
    const r = this.recurring.get(id);
    if (!r) return false;
    r.paused = paused;
    return true;
  }

  async getRecurring(id: string): Promise<RecurringJobRecord | null> {
    const r = this.recurring.get(id);
    return r ? clone(r) : null;
  }

  async listRecurring(): Promise<RecurringJobRecord[]> {
    return [...this.recurring.values()].sort((a, b) => a.id.localeCompare(b.id)).map(clone);
  }

  async dueRecurring(now: number, limit: number): Promise<RecurringJobRecord[]> {
    return [...this.recurring.values()]
      .filter((r) => !r.paused && r.nextExecution !== null && r.nextExecution <= now)
      .sort((a, b) => (a.nextExecution ?? 0) - (b.nextExecution ?? 0))
      .slice(0, limit)
      .map(clone);
  }

  async advanceRecurring(a: RecurringAdvance, now: number): Promise<boolean> {
    const r = this.recurring.get(a.id);
    if (!r || r.nextExecution !== a.expectNext) return false;
    r.nextExecution = a.nextExecution;
    r.lastExecution = a.lastExecution;
    if (a.error !== undefined) r.error = a.error;
    if (a.jobs.length > 0) {
      const created = await this.createJobs(a.jobs, { now });
      r.lastJobId = created[created.length - 1]!.id;
    }
    return true;
  }

  async statistics(): Promise<StorageStatistics> {
    const states = Object.fromEntries(STATE_NAMES.map((s) => [s, 0])) as Record<StateName, number>;
    for (const j of this.jobs.values()) states[j.state]++;
    return {
      states,
      succeededTotal: this.totals.succeeded,
      failedTotal: this.totals.failed,
      servers: this.servers.size,
      recurring: this.recurring.size,
    };
  }

  async queues(): Promise<QueueStatistics[]> {
    const byQueue = new Map<string, QueueStatistics>();
    for (const j of this.jobs.values()) {
      if (j.state !== 'enqueued' && j.state !== 'processing') continue;
      const q = byQueue.get(j.queue) ?? { queue: j.queue, enqueued: 0, processing: 0 };
      q[j.state]++;
      byQueue.set(j.queue, q);
    }
    return [...byQueue.values()].sort((a, b) => a.queue.localeCompare(b.queue));
  }

  async listJobs(q: ListJobsQuery): Promise<JobPage> {
    const search = q.search?.toLowerCase();
    const matching = [...this.jobs.values()]
      .filter(
        (j) =>
          j.state === q.state &&
          (q.queue === undefined || j.queue === q.queue) &&
          (q.name === undefined || j.name === q.name) &&
          (!q.retriesOnly || j.attempt > 1) &&
          (search === undefined || j.id.startsWith(search) || j.name.toLowerCase().includes(search)),
      )
      .sort((a, b) => b.seq - a.seq);
    return { total: matching.length, jobs: matching.slice(q.offset, q.offset + q.limit).map((j) => this.record(j)) };
  }

  async listServers(): Promise<ServerRecord[]> {
    return [...this.servers.values()].sort((a, b) => a.startedAt - b.startedAt).map(clone);
  }

  async timeline(unit: 'hour' | 'day', from: number, to: number): Promise<TimelinePoint[]> {
    const { start, end } = timelineRange(unit, from, to);
    const hours = [...this.hours.entries()]
      .filter(([at]) => at >= start && at < end)
      .map(([at, v]) => ({ at, ...v }));
    return denseTimeline(unit, from, to, hours);
  }

  async subscribe(listener: (event: StorageEvent) => void): Promise<() => Promise<void>> {
    this.events.on('event', listener);
    return async () => {
      this.events.off('event', listener);
    };
  }

  private emit(event: StorageEvent): void {
    // Delivered on the next tick, like a notification from a database would be.
    queueMicrotask(() => this.events.emit('event', event));
  }

  private record(j: MemoryJob): JobRecord {
    return {
      id: j.id,
      name: j.name,
      queue: j.queue,
      args: j.args,
      state: j.state,
      stateReason: j.stateReason,
      stateData: j.stateData ? clone(j.stateData) : null,
      createdAt: j.createdAt,
      stateAt: j.stateAt,
      attempt: j.attempt,
      parameters: clone(j.parameters),
      runAt: j.runAt,
      parentId: j.parentId,
      serverId: j.serverId,
      leaseUntil: j.leaseUntil,
      expireAt: j.expireAt,
      result: j.result,
      uniqueKey: j.uniqueKey,
    };
  }
}
