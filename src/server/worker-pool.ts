import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/storage.js';
import { runJob, type AbortCause, type RunnerDeps, type RunningJob } from './job-runner.js';
import { errorText } from './periodic-process.js';

export interface WorkerPoolOptions {
  serverId: string;
  workerCount: number;
  queues: string[];
  leaseMs: number;
  /** How often an idle pool looks for work when no wake-up arrives. */
  pollIntervalMs: number;
}

/**
 * `workerCount` concurrent slots fed by one fetch loop: whenever slots are free it claims that
 * many jobs in one storage call, so a busy server acknowledges and fetches in batches and an idle
 * one waits for a wake-up (new jobs in its queues) or the poll interval.
 */
export class WorkerPool {
  private readonly running = new Map<string, RunningJob>();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private dirty = false;
  private idleWaiters: Array<() => void> = [];
  private failures = 0;

  constructor(
    private readonly storage: Storage,
    private readonly options: WorkerPoolOptions,
    private readonly deps: RunnerDeps,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.loop = this.fetchLoop();
  }

  /** New work may be there: fetch now instead of at the next poll. */
  wake(): void {
    this.dirty = true;
    this.wakeUp?.();
  }

  /** Ids of the jobs running now. */
  runningIds(): string[] {
    return [...this.running.keys()];
  }

  get size(): number {
    return this.running.size;
  }

  /** Aborts the signal of a running job. */
  abort(id: string, cause: AbortCause, reason: string): boolean {
    const r = this.running.get(id);
    if (!r) return false;
    r.cause ??= cause;
    r.controller.abort(new Error(reason));
    return true;
  }

  abortAll(cause: AbortCause, reason: string): void {
    for (const id of this.running.keys()) this.abort(id, cause, reason);
  }

  /** Stops fetching; running jobs go on. */
  async stopFetching(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.loop;
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

  private async fetchLoop(): Promise<void> {
    const { workerCount } = this.options;
    while (!this.stopping) {
      const free = workerCount - this.running.size;
      if (free <= 0) {
        // Full: a finishing job wakes the loop; wake-ups for new jobs can wait until then.
        this.dirty = false;
        await this.sleep(this.options.pollIntervalMs);
        continue;
      }
      this.dirty = false;
      let jobs;
      try {
        jobs = await this.storage.fetch({
          queues: this.options.queues,
          max: free,
          serverId: this.options.serverId,
          leaseMs: this.options.leaseMs,
          now: this.clock.now(),
        });
        if (this.failures > 0) this.logger.info(`fetching works again after ${this.failures} failure(s)`);
        this.failures = 0;
      } catch (e) {
        this.failures++;
        const delay = Math.min(250 * 2 ** (this.failures - 1), 10_000);
        this.logger.warn(`fetching jobs failed (${this.failures} in a row), retrying in ${delay} ms`, { error: errorText(e) });
        await this.sleep(delay);
        continue;
      }
      for (const job of jobs) this.startJob(job);
      if (this.stopping) break;
      if (jobs.length < free) await this.sleep(this.options.pollIntervalMs);
    }
  }

  private startJob(job: Parameters<typeof runJob>[0]['job']): void {
    const running: RunningJob = { job, controller: new AbortController(), cause: undefined };
    this.running.set(job.id, running);
    runJob(running, this.deps)
      .catch((e: unknown) => this.logger.error('a job run ended with an internal error', { jobId: job.id, error: errorText(e) }))
      .finally(() => {
        this.running.delete(job.id);
        // Let other jobs finishing in this turn free their slots too, then fetch them all at once.
        this.wake();
        if (this.running.size === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  /** Sleeps until woken or `ms` passed. */
  private sleep(ms: number): Promise<void> {
    if (this.dirty || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeUp = undefined;
        setImmediate(resolve);
      }
      this.wakeUp = done;
    });
  }
}
