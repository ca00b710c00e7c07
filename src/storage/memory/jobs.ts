import type {
  CreatedJob,
  CreateOptions,
  FetchOptions,
  Json,
  JobDetails,
  JobRecord,
  JobStore,
  NewJob,
  StateName,
  TransitionChange,
  UniqueMode,
} from '../contract/index.js';
import { DEFAULT_PRIORITY } from '../contract/index.js';
import { KilnError } from '../../errors.js';
import { ACTIVE_STATES } from '../buckets.js';
import { refuseTransaction } from '../no-transactions.js';
import { MemoryClaim } from './limits.js';
import { changeEvents, enqueuedEvent, progressEvent, startedEvent } from '../job-events.js';
import { clone, toRecord, type MemoryJob, type MemoryState } from './state.js';

/** The job store in memory: creating, claiming and moving jobs, their leases and parameters. */
export class MemoryJobs implements JobStore {
  constructor(private readonly s: MemoryState) {}

  /** Refuses `options.tx`: there is no transaction to join in memory. */
  async createJobs(jobs: NewJob[], options: CreateOptions): Promise<CreatedJob[]> {
    refuseTransaction(options, 'MemoryStorage', 'it keeps jobs in this process, outside any database');
    return this.create(jobs, options.now);
  }

  /** `createJobs`, synchronously: the recurring role creates occurrences inside its own compare-and-set. */
  create(jobs: NewJob[], now: number): CreatedJob[] {
    const out: CreatedJob[] = [];
    const queues = new Set<string>();
    for (const job of jobs) {
      if (job.uniqueKey !== undefined) {
        const mode = job.uniqueMode ?? 'keep';
        const holder = this.holderOf(job.uniqueKey, mode, now);
        if (holder) {
          if (mode === 'debounce' && (holder.state === 'enqueued' || holder.state === 'scheduled')) this.replace(holder, job);
          out.push({ id: holder.id, created: false });
          continue;
        }
        // A job that already started holds no key for a debounced call: it gives the key up for good.
        if (mode === 'debounce') for (const j of this.withKey(job.uniqueKey)) if (j.state === 'processing') j.uniqueReleased = true;
      }
      this.insert(job);
      if (job.state.name === 'enqueued') {
        queues.add(job.queue);
        if (this.s.listening) this.s.publish([enqueuedEvent({ ...job, attempt: 1 }, job.state.reason, job.state.at)]);
      }
      out.push({ id: job.id, created: true });
    }
    for (const queue of queues) this.s.emit({ type: 'enqueued', queue });
    return out;
  }

  private *withKey(key: string): Iterable<MemoryJob> {
    for (const j of this.s.jobs.values()) if (j.uniqueKey === key && !j.uniqueReleased) yield j;
  }

  /** The oldest job holding `key` for a call in `mode` (see `UniqueMode`). */
  private holderOf(key: string, mode: UniqueMode, now: number): MemoryJob | undefined {
    for (const j of this.withKey(key)) {
      const active = (ACTIVE_STATES as readonly string[]).includes(j.state);
      const unexpired = j.uniqueUntil === null || j.uniqueUntil > now;
      if (mode === 'keep' && active && unexpired) return j;
      if (mode === 'debounce' && active && j.state !== 'processing' && unexpired) return j;
      if (mode === 'throttle' && ((j.uniqueUntil !== null && j.uniqueUntil > now) || (active && j.uniqueUntil === null))) return j;
    }
    return undefined;
  }

  /** A debounced call's replacement of a pending job: the last call's args, limits and start. */
  private replace(holder: MemoryJob, job: NewJob): void {
    holder.args = job.args;
    holder.priority = job.priority ?? DEFAULT_PRIORITY;
    holder.concurrency = job.concurrency ? { ...job.concurrency } : null;
    holder.rateLimit = job.rateLimit ? { ...job.rateLimit } : null;
    this.s.enter(holder, job.state);
    holder.runAt = job.runAt ?? null;
  }

  private insert(job: NewJob): void {
    if (this.s.jobs.has(job.id)) throw new KilnError(`job ${job.id} already exists`);
    this.s.jobs.set(job.id, {
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
      uniqueReleased: false,
      priority: job.priority ?? DEFAULT_PRIORITY,
      concurrency: job.concurrency ? { ...job.concurrency } : null,
      rateLimit: job.rateLimit ? { ...job.rateLimit } : null,
      seq: this.s.nextSeq(),
      history: [clone(job.state)],
      logs: [],
      logSeq: 0,
    });
  }

  /** See `FetchOptions`: queue by queue, priority then FIFO, skipping paused queues and jobs over a limit. */
  async fetch(o: FetchOptions): Promise<JobRecord[]> {
    const claimed: JobRecord[] = [];
    const limits = new MemoryClaim(this.s, o.now);
    for (const queue of o.queues) {
      if (claimed.length >= o.max) break;
      const settings = this.s.queueSettings.get(queue);
      if (settings?.paused) continue;
      const ready = this.s
        .ordered()
        .filter((j) => j.state === 'enqueued' && j.queue === queue)
        .sort((a, b) => b.priority - a.priority || a.seq - b.seq);
      for (const j of ready) {
        if (claimed.length >= o.max) break;
        if (!limits.allows(j, settings)) continue;
        limits.claimed(j, settings);
        this.s.enter(j, { name: 'processing', data: { serverId: o.serverId }, at: o.now });
        j.serverId = o.serverId;
        j.leaseUntil = o.now + o.leaseMs;
        claimed.push(toRecord(j));
        if (this.s.listening) this.s.publish([startedEvent(j, o.serverId, o.now)]);
      }
    }
    return claimed;
  }

  async renewLeases(serverId: string, ids: string[], leaseMs: number, now: number): Promise<string[]> {
    const lost: string[] = [];
    for (const id of ids) {
      const j = this.s.jobs.get(id);
      if (j && j.state === 'processing' && j.serverId === serverId) j.leaseUntil = now + leaseMs;
      else lost.push(id);
    }
    return lost;
  }

  async mergeParameters(id: string, serverId: string, parameters: { [key: string]: Json }, now: number): Promise<boolean> {
    const j = this.s.jobs.get(id);
    if (!j || j.state !== 'processing' || j.serverId !== serverId) return false;
    Object.assign(j.parameters, clone(parameters));
    if (this.s.listening && 'progress' in parameters) this.s.publish([progressEvent(j, parameters['progress']!, now)]);
    return true;
  }

  async transition(changes: TransitionChange[], now: number): Promise<boolean[]> {
    return changes.map((c) => this.applyChange(c, now));
  }

  private applyChange(c: TransitionChange, now: number): boolean {
    const j = this.s.jobs.get(c.id);
    if (!j || !c.expectStates.includes(j.state)) return false;
    if (c.expectServerId !== undefined && (j.state !== 'processing' || j.serverId !== c.expectServerId)) return false;
    const wasProcessing = j.state === 'processing';
    const events = this.s.listening ? changeEvents(c, j) : [];
    for (const s of c.passedThrough ?? []) {
      j.history.push(clone(s));
      this.s.count(s.name, s.at);
    }
    this.s.enter(j, c.to);
    this.s.count(c.to.name, c.to.at);
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
    // Someone else's hand moved a running job: its worker must abort the job's signal.
    if (wasProcessing && c.expectServerId === undefined) this.s.emit({ type: 'aborted', jobId: j.id });
    if (c.to.name === 'enqueued') this.s.emit({ type: 'enqueued', queue: j.queue });
    this.s.publish(events);
    return true;
  }

  async getJob(id: string): Promise<JobDetails | null> {
    const j = this.s.jobs.get(id);
    if (!j) return null;
    const continuations = [...this.s.jobs.values()].filter((c) => c.parentId === id).map((c) => c.id);
    return { ...toRecord(j), history: clone(j.history), continuations };
  }

  async continuationsOf(parentIds: string[]): Promise<JobRecord[]> {
    const parents = new Set(parentIds);
    return this.s
      .ordered()
      .filter((j) => j.state === 'awaiting' && j.parentId !== null && parents.has(j.parentId))
      .map(toRecord);
  }

  async awaitingReady(
    limit: number,
  ): Promise<Array<{ job: JobRecord; parentState: StateName | null; parentResult: string | null }>> {
    const out: Array<{ job: JobRecord; parentState: StateName | null; parentResult: string | null }> = [];
    for (const j of this.s.ordered()) {
      if (out.length >= limit) break;
      if (j.state !== 'awaiting') continue;
      const parent = j.parentId === null ? undefined : this.s.jobs.get(j.parentId);
      if (!parent || parent.state === 'succeeded' || parent.state === 'deleted') {
        out.push({ job: toRecord(j), parentState: parent?.state ?? null, parentResult: parent?.result ?? null });
      }
    }
    return out;
  }
}
