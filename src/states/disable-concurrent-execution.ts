import { Backoff, type BackoffOptions } from '../backoff.js';
import { KilnError } from '../errors.js';
import { parseDuration, type Duration } from '../jobs/duration.js';
import type { Json } from '../storage/contract/index.js';
import type { JobFilter } from './filters.js';

export interface DisableConcurrentExecutionOptions {
  /**
   * Only for runs of jobs that carry no stored limit (see the filter's doc): how long such a run
   * waits for the lock before its attempt fails (and is retried). Default 30 s. A job whose own
   * definition has this filter never waits this way: it waits in its queue, without a timeout.
   */
  timeout?: Duration;
  /**
   * The lock's resource, from the job's arguments: runs with equal keys exclude each other,
   * others run in parallel. Default: one lock per job name.
   */
  key?: (args: Json) => string;
}

/** The lock's time to live; renewed while the job runs, so a long job keeps it and a crashed one frees it. */
const LOCK_TTL_MS = 30_000;

/** How long a run waits for the lock before its attempt fails, unless `timeout` says otherwise. */
const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

/**
 * Between tries for a held lock: 10 ms doubling to 500 ms, so a lock freed soon is taken soon
 * and a long wait costs two storage calls a second.
 */
const LOCK_WAIT_BACKOFF: BackoffOptions = { initialMs: 10, maxMs: 500 };

/** Thrown when the lock could not be taken in time; the retry policy decides what follows. */
export class LockTimeoutError extends KilnError {
  override name = 'LockTimeoutError';
}

/** The filters made by `disableConcurrentExecution`, with their key: `defineJob` reads them. */
const exclusive = new WeakMap<JobFilter, { key: ((args: Json) => string) | undefined }>();

/**
 * If `filter` is a `disableConcurrentExecution` filter, what it stands for: a concurrency limit
 * of 1 per `key` (per job name without one).
 */
export function exclusiveExecution(filter: JobFilter): { key: ((args: Json) => string) | undefined } | undefined {
  return exclusive.get(filter);
}

/**
 * Hangfire's DisableConcurrentExecution: at most one run at a time of this job (or of this key
 * derived from its arguments) across every server.
 *
 * In a job definition's `filters` it is `concurrency: { limit: 1, key }` underneath: `defineJob`
 * turns it into that limit, enqueue stores it on each job, and the storage claims at most one
 * job per key at a time. A job whose turn has not come waits in its queue: it holds no worker
 * slot, counts no attempt and never times out, and jobs of other keys pass it.
 *
 * A job that carries no stored limit still gets Hangfire's behaviour, through the storage's
 * distributed lock taken before the run: jobs enqueued before Kiln stored limits, and jobs run
 * under this filter set globally (`configure({ filters })`) or on a server, which enqueue cannot
 * see. Such a run waits up to `timeout` (default 30 s) for the lock, then fails its attempt with
 * a `LockTimeoutError`, and the retry policy decides what follows.
 */
export function disableConcurrentExecution(options: DisableConcurrentExecutionOptions = {}): JobFilter {
  const timeoutMs = options.timeout === undefined ? DEFAULT_LOCK_TIMEOUT_MS : parseDuration(options.timeout, 'timeout');
  const held = new Map<string, { resource: string; renew: NodeJS.Timeout }>();
  const filter: JobFilter = {
    name: 'disableConcurrentExecution',
    async onPerforming(ctx) {
      // The storage already keeps this job to one run per key: nothing to lock.
      if (ctx.job.concurrency !== null) return;
      const suffix = options.key ? `:${options.key(JSON.parse(ctx.job.args) as Json)}` : '';
      const resource = `kiln:concurrency:${ctx.job.name}${suffix}`;
      const owner = ctx.job.id;
      // Lock times are stored and compared by every server: they come from the server's clock.
      const { clock } = ctx;
      const deadline = ctx.now + timeoutMs;
      const backoff = new Backoff(LOCK_WAIT_BACKOFF);
      while (!(await ctx.storage.acquireLock(resource, owner, LOCK_TTL_MS, clock.now()))) {
        const now = clock.now();
        if (now >= deadline || ctx.context.signal.aborted) {
          throw new LockTimeoutError(`could not take the lock ${resource} within ${timeoutMs} ms: another run holds it`);
        }
        const wait = Math.min(backoff.fail(), Math.max(1, deadline - now));
        await new Promise((r) => setTimeout(r, wait));
      }
      const renew = setInterval(() => {
        void ctx.storage.acquireLock(resource, owner, LOCK_TTL_MS, clock.now()).catch(() => {});
      }, LOCK_TTL_MS / 3);
      held.set(owner, { resource, renew });
    },
    async onPerformed(ctx) {
      const lock = held.get(ctx.job.id);
      if (!lock) return;
      held.delete(ctx.job.id);
      clearInterval(lock.renew);
      await ctx.storage.releaseLock(lock.resource, ctx.job.id);
    },
  };
  exclusive.set(filter, { key: options.key });
  return filter;
}
