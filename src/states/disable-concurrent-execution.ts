import { Backoff, type BackoffOptions } from '../backoff.js';
import { KilnError } from '../errors.js';
import { parseDuration, type Duration } from '../jobs/duration.js';
import type { Json } from '../storage/contract/index.js';
import type { JobFilter } from './filters.js';

export interface DisableConcurrentExecutionOptions {
  /** How long a run waits for the lock before its attempt fails (and is retried). Default 30 s. */
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

/**
 * Hangfire's DisableConcurrentExecution: at most one run at a time of this job (or of this key
 * derived from its arguments) across every server, through the storage's distributed lock. A run
 * that cannot take the lock within `timeout` (default 30 s) fails its attempt with a
 * `LockTimeoutError`, and is retried by the retry policy.
 */
export function disableConcurrentExecution(options: DisableConcurrentExecutionOptions = {}): JobFilter {
  const timeoutMs = options.timeout === undefined ? DEFAULT_LOCK_TIMEOUT_MS : parseDuration(options.timeout, 'timeout');
  const held = new Map<string, { resource: string; renew: NodeJS.Timeout }>();
  return {
    name: 'disableConcurrentExecution',
    async onPerforming(ctx) {
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
}
