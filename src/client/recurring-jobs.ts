import type { Clock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { CronSchedule, checkTimeZone } from '../jobs/cron.js';
import { registeredJob, type JobDefinition } from '../jobs/define-job.js';
import { limitsOf } from '../jobs/flow-control.js';
import { checkQueueName } from '../jobs/names.js';
import type { MisfirePolicy, RecurringJobRecord, StateName, Storage } from '../storage/contract/index.js';
import { buildJob, prepareJob } from './job-factory.js';

/** Options of `recurring.addOrUpdate`. */
export interface RecurringOptions {
  /** 5 fields (`'0 3 * * *'`), 6 with seconds first (`'0/10 * * * * *'`), or a name (`'@daily'`). */
  cron: string;
  /** IANA time zone the cron is read in. Default `'UTC'`, as Hangfire. */
  timeZone?: string;
  /** Overrides the job definition's queue. */
  queue?: string;
  /** Missed occurrences: `'relaxed'` (default: one run), `'strict'` (one per occurrence), `'ignorable'` (skip stale). */
  misfire?: MisfirePolicy;
}

/** A recurring job as listed: its definition, next and last run, and its last job's state. */
export interface RecurringJobInfo extends RecurringJobRecord {
  lastJobState: StateName | null;
}

const ID = /^[A-Za-z0-9_.:/-]{1,200}$/;
const MISFIRE: readonly MisfirePolicy[] = ['relaxed', 'strict', 'ignorable'];

/**
 * Recurring jobs (cron), as Hangfire's RecurringJobManager: `addOrUpdate`, `remove`, `trigger`,
 * `pause`/`resume`, `list`. Servers' recurring schedulers enqueue each occurrence once, however
 * many servers poll. Everything is checked at `addOrUpdate` — cron (one that can never fire,
 * such as `0 0 30 2 *`, too), time zone, job, arguments — so a mistake shows when it is made,
 * never at 3 a.m.
 */
export class RecurringJobs {
  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly ready: () => Promise<void>,
  ) {}

  async addOrUpdate<A>(id: string, job: JobDefinition<A, unknown>, args: NoInfer<A>, options: RecurringOptions): Promise<void> {
    checkRecurringId(id);
    if (typeof options !== 'object' || options === null) throw new ValidationError('options', 'must be an object with a cron expression');
    const timeZone = checkTimeZone(options.timeZone ?? 'UTC', 'options.timeZone');
    const schedule = new CronSchedule(options.cron, timeZone, 'options.cron');
    const misfire = options.misfire ?? 'relaxed';
    if (!MISFIRE.includes(misfire)) throw new ValidationError('options.misfire', `must be one of ${MISFIRE.join(', ')}, got ${JSON.stringify(misfire)}`);
    const queue = options.queue === undefined ? undefined : checkQueueName(options.queue, 'options.queue');
    const prepared = await prepareJob(job, args, queue, {}, 'args');
    // Its occurrences carry the job's limits: a key function that fails on these args fails here.
    limitsOf(prepared.definition, prepared.args);
    const now = this.clock.now();
    const next = schedule.next(now);
    if (next === null) {
      throw new ValidationError('options.cron', `${JSON.stringify(schedule.expression)} never fires (no occurrence after now in ${timeZone}); a day such as Feb 30 does not exist`);
    }
    await this.ready();
    const existing = await this.storage.getRecurring(id);
    const sameSchedule = existing && existing.cron === schedule.expression && existing.timeZone === timeZone;
    await this.storage.upsertRecurring({
      id,
      name: prepared.definition.name,
      queue: prepared.queue,
      args: prepared.args,
      cron: schedule.expression,
      timeZone,
      misfire,
      nextExecution: sameSchedule ? existing.nextExecution : next,
      lastExecution: existing?.lastExecution ?? null,
      lastJobId: existing?.lastJobId ?? null,
      paused: existing?.paused ?? false,
      createdAt: existing?.createdAt ?? now,
      error: null,
    });
  }

  /** Removes a recurring job; jobs it already created are untouched. False if there was none. */
  async remove(id: string): Promise<boolean> {
    checkRecurringId(id);
    await this.ready();
    return this.storage.removeRecurring(id);
  }

  /** Pauses: no occurrence is enqueued until `resume`. False if there is no such job. */
  async pause(id: string): Promise<boolean> {
    checkRecurringId(id);
    await this.ready();
    return this.storage.setRecurringPaused(id, true);
  }

  /**
   * Resumes a paused job. Occurrences missed while paused are not made up: the next run is the
   * next occurrence from now.
   */
  async resume(id: string): Promise<boolean> {
    checkRecurringId(id);
    await this.ready();
    const r = await this.storage.getRecurring(id);
    if (!r) return false;
    if (!r.paused) return true;
    const next = new CronSchedule(r.cron, r.timeZone).next(this.clock.now());
    await this.storage.upsertRecurring({ ...r, paused: false, nextExecution: next });
    return true;
  }

  /** Enqueues a run now, outside the schedule (the schedule is unchanged). Resolves to the new job's id. */
  async trigger(id: string): Promise<string> {
    checkRecurringId(id);
    await this.ready();
    for (let tries = 0; tries < 5; tries++) {
      const r = await this.storage.getRecurring(id);
      if (!r) throw new ValidationError('id', `no recurring job ${JSON.stringify(id)}`);
      const now = this.clock.now();
      const job = buildJob(
        { definition: registeredJob(r.name) ?? r, queue: r.queue, args: r.args, parameters: { recurringJobId: id, triggered: true } },
        { name: 'enqueued', reason: `Triggered from recurring job ${id}`, at: now },
        now,
      );
      if (r.nextExecution === null) {
        await this.storage.createJobs([job], { now });
        return job.id;
      }
      const ok = await this.storage.advanceRecurring(
        { id, expectNext: r.nextExecution, nextExecution: r.nextExecution, lastExecution: now, jobs: [job] },
        now,
      );
      if (ok) return job.id;
    }
    throw new ValidationError('id', `recurring job ${JSON.stringify(id)} kept changing; try again`);
  }

  /** Every recurring job, by id, with its last job's state. */
  async list(): Promise<RecurringJobInfo[]> {
    await this.ready();
    const all = await this.storage.listRecurring();
    return Promise.all(
      all.map(async (r) => ({
        ...r,
        lastJobState: r.lastJobId ? ((await this.storage.getJob(r.lastJobId))?.state ?? null) : null,
      })),
    );
  }

  async get(id: string): Promise<RecurringJobInfo | null> {
    checkRecurringId(id);
    await this.ready();
    const r = await this.storage.getRecurring(id);
    if (!r) return null;
    return { ...r, lastJobState: r.lastJobId ? ((await this.storage.getJob(r.lastJobId))?.state ?? null) : null };
  }
}

function checkRecurringId(id: unknown): void {
  if (typeof id !== 'string' || !ID.test(id)) {
    throw new ValidationError('id', `must be 1-200 letters, digits or _ . : / -, got ${JSON.stringify(id)}`);
  }
}
