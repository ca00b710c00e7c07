import { EventEmitter } from 'node:events';
import type {
  JobEvent,
  JobRecord,
  QueueSettings,
  RecurringJobRecord,
  ServerRecord,
  StateEntry,
  StateName,
  StorageEvent,
  StoredJobLogLine,
} from '../contract/index.js';
import { MAX_RATE_WINDOW_MS } from '../contract/index.js';
import { consoleLogger } from '../../logger.js';
import { hourBucket } from '../buckets.js';
import { JobEventListeners } from '../job-event-listeners.js';

/** A job as the memory backend keeps it: the record, its insertion order and its history. */
export interface MemoryJob extends JobRecord {
  /** Insertion order: FIFO within a queue, newest first in lists. */
  seq: number;
  history: StateEntry[];
  uniqueUntil: number | null;
  /** A debounced call took the key from this job while it ran: it never holds its key again. */
  uniqueReleased: boolean;
  /** The kept lines of the job's log (see `MemoryJobLogs`), and the number of its newest line. */
  logs: StoredJobLogLine[];
  logSeq: number;
}

/** Values leave and enter the store as copies, so callers never share objects with it. */
export const clone = <T>(value: T): T => structuredClone(value);

/**
 * Everything the memory backend holds, shared by its role objects (jobs, maintenance, recurring,
 * monitoring, notifications): the memory backend's "connection". Every operation on it is
 * synchronous, so each storage call is atomic by construction.
 */
export class MemoryState {
  readonly jobs = new Map<string, MemoryJob>();
  readonly servers = new Map<string, ServerRecord>();
  readonly locks = new Map<string, { owner: string; until: number }>();
  readonly recurring = new Map<string, RecurringJobRecord>();
  /** Queues that are paused or limited; a queue with neither has no entry. */
  readonly queueSettings = new Map<string, QueueSettings>();
  /** Start times per rate key of jobs, and per rate-limited queue, within the longest window. */
  readonly keyStarts = new Map<string, number[]>();
  readonly queueStarts = new Map<string, number[]>();
  /** Succeeded and failed counts per UTC hour, for the timeline. */
  readonly hours = new Map<number, { succeeded: number; failed: number }>();
  readonly totals = { succeeded: 0, failed: 0 };
  readonly events = new EventEmitter().setMaxListeners(0);
  /** Job-event subscribers: every write asks `listening` before it builds an event. */
  readonly jobListeners = new JobEventListeners(consoleLogger());
  private seq = 0;

  nextSeq(): number {
    return ++this.seq;
  }

  /** Publishes a wake-up on the next tick, as a notification from a database would arrive. */
  emit(event: StorageEvent): void {
    queueMicrotask(() => this.events.emit('event', event));
  }

  /** Whether anyone listens to job events: the one question a write asks before building any. */
  get listening(): boolean {
    return this.jobListeners.size > 0;
  }

  /** Publishes job events on the next tick, in order, as a notification from a database would arrive. */
  publish(events: readonly JobEvent[]): void {
    for (const event of events) queueMicrotask(() => this.jobListeners.deliver(event));
  }

  /** Moves a job into a state and appends it to the history. */
  enter(j: MemoryJob, s: StateEntry): void {
    j.state = s.name;
    j.stateReason = s.reason ?? null;
    j.stateData = s.data ? clone(s.data) : null;
    j.stateAt = s.at;
    j.history.push(clone(s));
  }

  /** Counts a success or failure in the lifetime totals and its hour. */
  count(state: StateName, at: number): void {
    if (state !== 'succeeded' && state !== 'failed') return;
    this.totals[state]++;
    const b = hourBucket(at);
    const h = this.hours.get(b) ?? { succeeded: 0, failed: 0 };
    h[state]++;
    this.hours.set(b, h);
  }

  /** Records a start at `now` in a rate log, dropping what no window can count any more. */
  recordStart(log: Map<string, number[]>, key: string, now: number): void {
    const starts = (log.get(key) ?? []).filter((t) => t > now - MAX_RATE_WINDOW_MS);
    starts.push(now);
    log.set(key, starts);
  }

  /**
   * Jobs in insertion order (`seq`): a `Map` iterates in insertion order and a job is set once,
   * when it is created, so no sort is needed.
   */
  ordered(): MemoryJob[] {
    return [...this.jobs.values()];
  }
}

/** The contract's view of a stored job: a copy without the backend's bookkeeping. */
export function toRecord(j: MemoryJob): JobRecord {
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
    priority: j.priority,
    concurrency: j.concurrency ? { ...j.concurrency } : null,
    rateLimit: j.rateLimit ? { ...j.rateLimit } : null,
  };
}
