import { KilnError } from '../errors.js';
import { DEFAULT_RETRY_ATTEMPTS, hangfireBackoffMs, type RetryPolicy } from '../jobs/retry-policy.js';
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
 * the job's `attempt` and its `retryCount` parameter.
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
        const delay = policy.delayMs(retry);
        ctx.candidate = {
          state: {
            name: 'scheduled',
            reason: `Retry attempt ${retry} of ${policy.attempts}: ${ctx.candidate.state.reason ?? 'failed'}`,
            at: ctx.now,
          },
          runAt: ctx.now + delay,
          attempt: retry + 1,
          parameters: { retryCount: retry },
        };
      } else if (policy.onAttemptsExceeded === 'delete') {
        ctx.candidate = {
          state: { name: 'deleted', reason: `Retry attempts exceeded (${policy.attempts})`, at: ctx.now },
        };
      }
    },
  };
}
