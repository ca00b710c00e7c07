import { KilnError, errorMessage } from '../errors.js';
import { MAX_TIME, describe } from '../jobs/duration.js';
import { DEFAULT_RETRY_ATTEMPTS, hangfireBackoffMs, type RetryPolicy } from '../jobs/retry-policy.js';
import { INTERRUPTIONS_PARAMETER } from '../storage/contract/index.js';
import type { ElectStateContext, JobFilter } from './filters.js';

const DEFAULT_POLICY: RetryPolicy = {
  attempts: DEFAULT_RETRY_ATTEMPTS,
  delayMs: (retry) => hangfireBackoffMs(retry),
  onAttemptsExceeded: 'fail',
};

/** Errors that must not be retried (unknown job, arguments that fail their schema). */
export class NonRetryableError extends KilnError {
  override name = 'NonRetryableError';
}

/**
 * The automatic-retry elect-state filter, as Hangfire's AutomaticRetry: a `failed` candidate
 * becomes `scheduled` after the policy's delay while retries remain (the failed state stays in
 * the history), else `failed` or `deleted` per `onAttemptsExceeded`. The retry count is kept as
 * the job's `attempt` and its `retryCount` parameter; the new attempt's `interruptions` count
 * starts at 0.
 *
 * A delay computed by a `delays` function is checked before it can reach storage: a fraction of
 * a millisecond is rounded (jitter such as `1000 + Math.random() * 1000` is normal); a delay that
 * throws, is not a number, is NaN, negative or infinite, or lands past the range of a Date, is
 * not retried: the job stays `failed`, and its reason says why the retry was not made.
 */
export function automaticRetry(policyOf: (ctx: ElectStateContext) => RetryPolicy | undefined): JobFilter {
  return {
    name: 'automaticRetry',
    order: -1000,
    onStateElection(ctx) {
      if (ctx.candidate.state.name !== 'failed' || ctx.error instanceof NonRetryableError) return;
      const policy = policyOf(ctx) ?? DEFAULT_POLICY;
      const retry = ctx.job.attempt; // the retry about to be made: 1 after the first run failed
      if (retry <= policy.attempts) {
        const delay = retryDelay(policy, retry, ctx.now);
        if (typeof delay === 'string') {
          // The same candidate, with the reason told: the failure is recorded once, not twice.
          const failed = ctx.candidate.state;
          ctx.candidate.state = { ...failed, reason: `${failed.reason ?? 'failed'} (not retried: ${delay})`, data: { ...failed.data, retryError: delay } };
          return;
        }
        ctx.candidate = {
          state: {
            name: 'scheduled',
            reason: `Retry attempt ${retry} of ${policy.attempts}: ${ctx.candidate.state.reason ?? 'failed'}`,
            at: ctx.now,
          },
          runAt: ctx.now + delay,
          attempt: retry + 1,
          parameters: { retryCount: retry, [INTERRUPTIONS_PARAMETER]: 0 },
        };
      } else if (policy.onAttemptsExceeded === 'delete') {
        ctx.candidate = {
          state: { name: 'deleted', reason: `Retry attempts exceeded (${policy.attempts})`, at: ctx.now },
        };
      }
    },
  };
}

/** The policy's delay for `retry` in whole ms, or why there is none that can be stored. */
function retryDelay(policy: RetryPolicy, retry: number, now: number): number | string {
  let raw: unknown;
  try {
    raw = policy.delayMs(retry);
  } catch (e) {
    return `the retry policy's delays function threw for retry ${retry}: ${errorMessage(e)}`;
  }
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0) {
    return `the retry policy's delay for retry ${retry} is ${describe(raw)}; it must be a finite number of milliseconds >= 0`;
  }
  const ms = Math.round(raw);
  if (now + ms > MAX_TIME) return `the retry policy's delay for retry ${retry} (${ms} ms) is past the latest time a Date can hold`;
  return ms;
}
