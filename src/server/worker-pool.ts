import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { JobRecord, Storage } from '../storage/contract/index.js';
import { KilnError, errorMessage } from '../errors.js';
import { RunningJob, runJob, type AbortCause, type RunnerDeps } from './job-runner.js';
import { LoggedBackoff } from './logged-backoff.js';
import { QueueOrder } from './queue-order.js';

/**
 * The smallest claim worth splitting a local queue for. Measured on a 2-core machine draining
 * no-op jobs at concurrency 50: with 500 claimed, halves of 250 with overlap beat one claim of 500
 * on Redis (+13%) and match it on Postgres; with 100 or 200 claimed, whole claims win on Postgres
 * (by 20-25%) and tie on Redis.
 */
const SPLIT_MIN_BATCH = 200;

export interface WorkerPoolOptions {
  serverId: string;
  workerCount: number;
  /** Jobs claimed ahead of free slots and held in memory (see `ServerOptions.prefetch`). */
  prefetch: number;
  /** How far the prefetch may grow while slots starve; equal to `prefetch` to keep it fixed. */
  maxPrefetch: number;
  queues: string[];
  /** The queues' weights in the weighted mode (see `QueueOrder`); undefined: strict order. */
  queueWeights?: number[] | undefined;
  leaseTimeoutMs: number;
  /** How often an idle pool looks for work when no wake-up arrives (`ServerOptions.pollInterval`). */
  pollIntervalMs: number;
  /**
   * Whether jobs of these queues may be rate-limited, as far as the server knows (a job it runs
   * has a `rateLimit`). The pool also finds out by itself: see `idleWait`.
   */
  rateLimited?: boolean;
}

/**
 * `workerCount` concurrent slots fed by one fetch loop and a small local queue, as
 * graphile-worker's: the loop claims jobs in batches of up to `workerCount + prefetch` and hands
 * them to slots without a round trip, refilling when the local queue is half empty, so a busy server
 * fetches and acknowledges in large batches while an idle one waits for a wake-up (new jobs in
 * its queues) or the poll interval. Claimed jobs waiting in the local queue keep their leases
 * renewed; at shutdown they go straight back to their queue.
 */
export class WorkerPool {
  private readonly running = new Map<string, RunningJob>();
  private readonly buffer: JobRecord[] = [];
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private dirty = false;
  private idleWaiters: Array<() => void> = [];
  private readonly fetchBackoff: LoggedBackoff;
  /** The prefetch in force: `options.prefetch`, doubled while slots starve (see `fetchLoop`). */
  private prefetch: number;
  private readonly order: QueueOrder;
  /** See `idleWait`. */
  private rateLimited: boolean;
  /** The last sleep ran its full poll interval, no wake-up came: the next short claim asks about rate windows. */
  private polled = false;
  /** After a short claim held back by a rate window: when it reopens (see `finished`). */
  private rateWaitUntil: number | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly options: WorkerPoolOptions,
    private readonly deps: RunnerDeps,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Awaited before each fetch: resolves when the pool may claim more work. */
    private readonly backpressure: () => Promise<void> = () => Promise.resolve(),
    /** Told of every batch claimed, before any of it runs (the heartbeat thread renews them from then on). */
    private readonly onClaimed: (jobs: JobRecord[]) => void = () => {},
  ) {
    this.prefetch = options.prefetch;
    this.fetchBackoff = new LoggedBackoff('fetching jobs', logger);
    this.order = new QueueOrder(options.queues, options.queueWeights);
    this.rateLimited = options.rateLimited ?? false;
  }

  start(): void {
    this.loop = this.fetchLoop();
  }

  /** New work may be there: fetch now instead of at the next poll. */
  wake(): void {
    this.dirty = true;
    this.wakeUp?.();
  }

  /** Ids of the jobs this pool holds: running, or claimed and waiting for a slot. */
  heldIds(): string[] {
    const ids = [...this.running.keys()];
    for (const j of this.buffer) ids.push(j.id);
    return ids;
  }

  get size(): number {
    return this.running.size;
  }

  /** Aborts the signal of a running job, or drops a claimed job that has not started. */
  abort(id: string, cause: AbortCause, reason: string): boolean {
    const waiting = this.buffer.findIndex((j) => j.id === id);
    if (waiting >= 0) {
      this.buffer.splice(waiting, 1);
      return true;
    }
    const r = this.running.get(id);
    if (!r) return false;
    r.cause ??= cause;
    r.abort(new KilnError(reason));
    return true;
  }

  abortAll(cause: AbortCause, reason: string): void {
    for (const id of this.running.keys()) this.abort(id, cause, reason);
  }

  /** Stops fetching; running jobs go on. Returns the claimed jobs that never started. */
  async stopFetching(): Promise<JobRecord[]> {
    this.stopping = true;
    this.wakeUp?.();
    await this.loop;
    return this.buffer.splice(0);
  }

  /** Resolves when no job runs, or after `ms`; true if idle. */
  waitIdle(ms: number): Promise<boolean> {
    if (this.running.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.running.size === 0), Math.max(0, ms));
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /**
   * Claims jobs while there is room. When a full batch arrives and there is room for another, the
   * next claim is sent before that batch runs, so the storage works on it while this process runs
   * jobs (with short jobs a serial loop waits on one side or the other half of the time). For that
   * a large local queue (capacity of at least 2 × SPLIT_MIN_BATCH) is claimed in two halves;
   * smaller ones are claimed whole, because there a bigger batch saves more than the overlap (a
   * Postgres claim or completion of 100 jobs costs little more than one of 50). A batch that comes
   * back short means the queues are empty for now: the loop waits for a wake-up (new jobs, a
   * finishing job) or the poll interval.
   *
   * The prefetch adapts (unless fixed by the options): a full batch that arrives, after another
   * full one, to find the local queue empty and a slot free means the slots ran dry waiting on
   * the round trip, so the prefetch doubles, up to `maxPrefetch`; a short batch (the backlog is
   * gone) sets it back. Slow jobs keep the slots busy and the local queue filled, so they never
   * make it grow.
   */
  private async fetchLoop(): Promise<void> {
    const { workerCount, pollIntervalMs } = this.options;
    let capacity = 0;
    let batch = 0;
    let lowWater = 0;
    const size = (): void => {
      capacity = workerCount + this.prefetch;
      // Two claims in flight need two batches of room; split only when halves still amortise a
      // round trip well (see SPLIT_MIN_BATCH).
      batch = capacity >= 2 * SPLIT_MIN_BATCH ? Math.ceil(capacity / 2) : capacity;
      // Refill when the local queue is half empty, so batches stay large under load.
      lowWater = Math.max(1, Math.floor(this.prefetch / 2));
    };
    size();
    let claim: Promise<JobRecord[] | undefined> | undefined;
    let asked = 0;
    // Whether a claim came back full since the pool started or last found the queues empty.
    let hadFullBatch = false;
    const next = (): boolean => {
      const room = capacity - this.running.size - this.buffer.length;
      if (room < lowWater) return false;
      this.dirty = false;
      asked = Math.min(room, batch);
      claim = this.claim(asked);
      return true;
    };
    while (!this.stopping) {
      this.startBuffered();
      if (!claim && !next()) {
        // Enough work in hand: a finishing job wakes the loop; wake-ups for new jobs can wait until then.
        this.dirty = false;
        await this.sleep(pollIntervalMs);
        continue;
      }
      const jobs = await claim;
      claim = undefined;
      if (jobs === undefined) continue;
      // The local queue ran dry and a slot is free although the last claim came back full: the
      // slots waited on the round trip. (Not after the first claim, which finds an idle pool.)
      const starved = hadFullBatch && this.buffer.length === 0 && this.running.size < workerCount;
      for (const job of jobs) this.buffer.push(job);
      if (this.stopping) break;
      if (jobs.length < asked) {
        hadFullBatch = false;
        if (this.prefetch !== this.options.prefetch) {
          this.prefetch = this.options.prefetch;
          size();
        }
        this.startBuffered();
        await this.sleep(await this.idleWait());
        continue;
      }
      hadFullBatch = true;
      if (starved && this.prefetch < this.options.maxPrefetch) {
        this.prefetch = Math.min(this.options.maxPrefetch, Math.max(1, this.prefetch * 2));
        size();
      }
      // A full batch: more may be waiting. Ask for it now, then let the request leave (clients that
      // pipeline send on the next tick) before this batch runs.
      if (next()) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const last = await claim;
    if (last) for (const job of last) this.buffer.push(job);
  }

  /**
   * How long to sleep after a short claim: the poll interval, or less when a rate window that
   * holds jobs back reopens sooner, so a rate-limited queue is woken by a timer at the earliest
   * next slot rather than by polling. The storage is asked (`nextRateSlot`) only while rate
   * limits are in use: a job this server runs has one, or the storage answered a time before;
   * and, to find queue rate limits set after the server started, once after each poll interval
   * that passed without a wake-up (an idle server's poll).
   */
  private async idleWait(): Promise<number> {
    const { pollIntervalMs } = this.options;
    if (!this.rateLimited && !this.polled) return pollIntervalMs;
    this.polled = false;
    let next: number | null;
    try {
      next = await this.storage.nextRateSlot(this.options.queues, this.clock.now());
    } catch (e) {
      this.logger.debug('could not read when rate windows reopen; polling instead', { error: errorMessage(e) });
      return pollIntervalMs;
    }
    if (next === null) return pollIntervalMs;
    this.rateLimited = true;
    this.rateWaitUntil = next;
    return Math.min(pollIntervalMs, Math.max(1, next - this.clock.now()));
  }

  /** One claim: undefined when it failed (after a back-off). */
  private async claim(max: number): Promise<JobRecord[] | undefined> {
    this.rateWaitUntil = undefined;
    try {
      await this.backpressure();
      const jobs = await this.storage.fetch({
        queues: this.order.next(),
        max,
        serverId: this.options.serverId,
        leaseMs: this.options.leaseTimeoutMs,
        now: this.clock.now(),
      });
      this.fetchBackoff.succeed();
      this.onClaimed(jobs);
      return jobs;
    } catch (e) {
      await this.pause(this.fetchBackoff.fail(e));
      return undefined;
    }
  }

  private startBuffered(): void {
    while (this.running.size < this.options.workerCount && this.buffer.length > 0 && !this.stopping) {
      this.startJob(this.buffer.shift()!);
    }
  }

  private startJob(job: JobRecord): void {
    const running = new RunningJob(job);
    this.running.set(job.id, running);
    runJob(running, this.deps).then(
      () => this.finished(job),
      (e: unknown) => {
        this.logger.error('a job run ended with an internal error', { jobId: job.id, error: errorMessage(e) });
        this.finished(job);
      },
    );
  }

  private finished(job: JobRecord): void {
    this.running.delete(job.id);
    // Hand the freed slot a claimed job at once; the loop refills the local queue in batches.
    this.startBuffered();
    // A freed slot is worth a claim, unless the last claim came back short for a rate window
    // that is still closed: then only a job of a concurrency key frees something a claim could
    // take before it reopens (the timer set for it, or a wake-up for new jobs, fetches then).
    const rateHeld = this.rateWaitUntil !== undefined && job.concurrency === null && this.clock.now() < this.rateWaitUntil;
    if (!rateHeld) this.wake();
    if (this.running.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Waits `ms`, or less if the pool stops: a back-off that wake-ups do not cut short. */
  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const previous = this.wakeUp;
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wakeUp === stop) self.wakeUp = previous;
        resolve();
      }
      const stop = () => (this.stopping ? done() : undefined);
      this.wakeUp = stop;
    });
  }

  /** Sleeps until woken or `ms` passed. */
  private sleep(ms: number): Promise<void> {
    if (this.dirty || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.polled = true;
        done();
      }, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeUp = undefined;
        // Let every job finishing in this turn free its slot first: one claim serves them all.
        setImmediate(resolve);
      }
      this.wakeUp = done;
    });
  }
}
