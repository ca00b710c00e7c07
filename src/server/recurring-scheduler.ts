import { drainInBatches } from '../batch-drain.js';
import type { Clock } from '../clock.js';
import { errorMessage } from '../errors.js';
import { buildJob } from '../client/job-factory.js';
import { CronSchedule } from '../jobs/cron.js';
import { dueOccurrences } from '../jobs/misfire.js';
import type { Logger } from '../logger.js';
import type { AnyJobDefinition } from '../jobs/define-job.js';
import type { NewJob, RecurringJobRecord, Storage } from '../storage/contract/index.js';
import { PeriodicProcess } from './periodic-process.js';

/** Due recurring jobs per batch: each is advanced by its own compare-and-set, so batches stay small. */
const BATCH = 100;

/**
 * Enqueues due cron occurrences. Each pass reads the due recurring jobs, works out which
 * occurrences to run under the misfire policy, and advances each job with a compare-and-set on
 * its next execution that creates the jobs in the same transaction: however many servers poll,
 * each occurrence is enqueued once. Jobs carry `recurringJobId` and `scheduledAt` parameters.
 * Polls every `schedulePollingIntervalMs` and sets a timer for the next occurrence in between.
 */
export class RecurringScheduler {
  readonly process: PeriodicProcess;
  private readonly schedules = new Map<string, CronSchedule>();

  constructor(
    private readonly storage: Storage,
    private readonly schedulePollingIntervalMs: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** The job definitions this server knows: an occurrence of a known job gets its priority and limits. */
    private readonly resolve: (name: string) => AnyJobDefinition | undefined = () => undefined,
  ) {
    this.process = new PeriodicProcess('recurring scheduler', schedulePollingIntervalMs, (signal) => this.tick(signal), logger);
  }

  private async tick(signal: AbortSignal): Promise<number> {
    await drainInBatches(
      async (limit) => {
        const due = await this.storage.dueRecurring(this.clock.now(), limit);
        for (const r of due) await this.advance(r);
        return due.length;
      },
      { batch: BATCH, signal },
    );
    // Sleep until the soonest next occurrence if it comes before the next poll.
    const poll = this.schedulePollingIntervalMs;
    const [soonest] = await this.storage.dueRecurring(this.clock.now() + poll, 1);
    return soonest?.nextExecution == null ? poll : Math.max(0, soonest.nextExecution - this.clock.now());
  }

  private async advance(r: RecurringJobRecord): Promise<void> {
    const now = this.clock.now();
    const expectNext = r.nextExecution!;
    let schedule: CronSchedule;
    try {
      schedule = this.schedule(r);
    } catch (e) {
      // Checked at addOrUpdate, so only a definition written by other means lands here.
      const error = errorMessage(e);
      await this.storage.advanceRecurring({ id: r.id, expectNext, nextExecution: null, lastExecution: r.lastExecution, jobs: [], error }, now);
      this.logger.error(`recurring job ${r.id} has an invalid schedule and is stopped`, { error });
      return;
    }
    const { run, nextExecution } = dueOccurrences((t) => schedule.next(t), expectNext, now, r.misfire, 2 * this.schedulePollingIntervalMs);
    const definition = this.resolve(r.name) ?? r;
    const occurrence = (at: number, of: AnyJobDefinition | RecurringJobRecord) =>
      buildJob(
        { definition: of, queue: r.queue, args: r.args, parameters: { recurringJobId: r.id, scheduledAt: at } },
        { name: 'enqueued', reason: `Recurring job ${r.id}, occurrence of ${new Date(at).toISOString()}`, at: now },
        now,
      );
    let jobs: NewJob[];
    try {
      jobs = run.map((at) => occurrence(at, definition));
    } catch (e) {
      // A key function that worked at addOrUpdate and fails now: run the occurrence rather than lose it.
      this.logger.error(`recurring job ${r.id}: its job's limits could not be computed; enqueued without them`, { error: errorMessage(e) });
      jobs = run.map((at) => occurrence(at, r));
    }
    const applied = await this.storage.advanceRecurring(
      { id: r.id, expectNext, nextExecution, lastExecution: run.length > 0 ? run[run.length - 1]! : r.lastExecution, jobs, error: null },
      now,
    );
    if (applied && jobs.length > 0) this.logger.debug(`recurring job ${r.id}: enqueued ${jobs.length} occurrence(s)`);
  }

  private schedule(r: RecurringJobRecord): CronSchedule {
    const key = `${r.cron}\u0000${r.timeZone}`;
    let s = this.schedules.get(key);
    if (!s) {
      s = new CronSchedule(r.cron, r.timeZone);
      this.schedules.set(key, s);
    }
    return s;
  }
}
