import { Counter, Gauge, type Registry } from 'prom-client';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { STATE_NAMES, type MonitoringApi, type QueueHead, type QueueStatistics, type StorageStatistics } from '../storage/contract/index.js';

/** What one scrape reads from the storage: three calls of the monitoring role, made together. */
interface Snapshot {
  statistics: StorageStatistics;
  queues: QueueStatistics[];
  heads: QueueHead[];
  at: number;
}

/**
 * The gauges read from the storage on each scrape, through its monitoring role, so they describe
 * the whole installation (every server's jobs), whichever process serves them:
 *
 * - `<prefix>jobs{state}`: jobs per state.
 * - `<prefix>queue_jobs{queue,state}`: enqueued (the queue's depth) and processing jobs per queue.
 * - `<prefix>queue_oldest_job_age_seconds{queue}`: how long the job next in line has waited (see
 *   `QueueHead`); absent for an empty queue.
 * - `<prefix>servers`, `<prefix>recurring_jobs`: servers alive, recurring definitions.
 * - `<prefix>storage_succeeded_jobs_total`, `<prefix>storage_failed_jobs_total`: the storage's
 *   lifetime counters (every failed attempt counts), for throughput where no server is scraped.
 * - `<prefix>storage_up`: 1 when the storage answered this scrape within the timeout, else 0 and
 *   the gauges above are left out rather than reported stale.
 *
 * All gauges of one scrape share one read (prom-client collects them concurrently): three
 * monitoring calls, each a few index reads or maintained counters (Postgres counts jobs per state
 * with `count(*)`, see its `statistics()`).
 */
export class StorageMetrics {
  private pending: Promise<Snapshot | undefined> | undefined;
  /** Whether the last read worked: a change either way is logged once, not every scrape. */
  private up = true;

  constructor(
    registry: Registry,
    prefix: string,
    private readonly storage: () => MonitoringApi | undefined,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {
    const self = this;
    const registers = [registry];
    new Gauge({
      name: `${prefix}jobs`,
      help: 'Jobs in the storage per state.',
      labelNames: ['state'],
      registers,
      async collect() {
        this.reset();
        const s = await self.snapshot();
        if (s) for (const state of STATE_NAMES) this.set({ state }, s.statistics.states[state] ?? 0);
      },
    });
    new Gauge({
      name: `${prefix}queue_jobs`,
      help: 'Enqueued (waiting: the queue depth) and processing jobs per queue.',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        const s = await self.snapshot();
        if (!s) return;
        for (const q of s.queues) {
          this.set({ queue: q.queue, state: 'enqueued' }, q.enqueued);
          this.set({ queue: q.queue, state: 'processing' }, q.processing);
        }
      },
    });
    new Gauge({
      name: `${prefix}queue_oldest_job_age_seconds`,
      help: 'How long the job next in line in each queue has been waiting, seconds (absent for an empty queue).',
      labelNames: ['queue'],
      registers,
      async collect() {
        this.reset();
        const s = await self.snapshot();
        if (s) for (const h of s.heads) this.set({ queue: h.queue }, Math.max(0, s.at - h.enqueuedAt) / 1000);
      },
    });
    const single = (name: string, help: string, read: (s: Snapshot) => number) =>
      new Gauge({
        name: `${prefix}${name}`,
        help,
        registers,
        async collect() {
          const s = await self.snapshot();
          // Without labels, reset() would report 0: remove() leaves the sample out.
          if (s) this.set(read(s));
          else this.remove();
        },
      });
    single('servers', 'Servers alive in the storage (announced, not timed out).', (s) => s.statistics.servers);
    single('recurring_jobs', 'Recurring job definitions.', (s) => s.statistics.recurring);
    const total = (name: string, help: string, read: (s: Snapshot) => number) =>
      new Counter({
        name: `${prefix}${name}`,
        help,
        registers,
        async collect() {
          const s = await self.snapshot();
          // Left out, not 0, while the storage is away: a 0 would read as a counter reset.
          this.remove();
          if (s) this.inc(read(s));
        },
      });
    total('storage_succeeded_jobs_total', "Jobs that succeeded, the storage's lifetime count over every server.", (s) => s.statistics.succeededTotal);
    total('storage_failed_jobs_total', "Failed attempts, the storage's lifetime count over every server.", (s) => s.statistics.failedTotal);
    new Gauge({
      name: `${prefix}storage_up`,
      help: 'Whether the storage answered this scrape (1) or not (0).',
      registers,
      async collect() {
        this.set((await self.snapshot()) ? 1 : 0);
      },
    });
  }

  /** This scrape's read: shared by every gauge collected while it is in flight. */
  private snapshot(): Promise<Snapshot | undefined> {
    this.pending ??= this.read().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async read(): Promise<Snapshot | undefined> {
    const storage = this.storage();
    if (!storage) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, this.timeoutMs, undefined);
    });
    let failure: unknown = `no answer within ${this.timeoutMs} ms`;
    const read = Promise.all([storage.statistics(), storage.queues(), storage.queueHeads()]).then(
      ([statistics, queues, heads]): Snapshot => ({ statistics, queues, heads, at: Date.now() }),
      (e: unknown) => {
        failure = e;
        return undefined;
      },
    );
    let snapshot: Snapshot | undefined;
    try {
      snapshot = await Promise.race([read, timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (!snapshot && this.up) this.logger.warn('metrics: the storage did not answer a scrape; its gauges are left out until it does', { error: errorMessage(failure) });
    else if (snapshot && !this.up) this.logger.info('metrics: the storage answers scrapes again');
    this.up = snapshot !== undefined;
    return snapshot;
  }
}
