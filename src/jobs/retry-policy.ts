import { ValidationError } from '../errors.js';
import { parseDuration, type Duration } from './duration.js';

/**
 * Automatic retry, as Hangfire's AutomaticRetry filter.
 * - `attempts`: how many times a failed job is retried (default 10, as Hangfire: 11 runs in all).
 *   0 turns retries off.
 * - `delays`: explicit delays per retry (the last one repeats), or a function of the retry number
 *   (1 for the first retry) returning milliseconds. Default Hangfire's back-off:
 *   `(retry-1)^4 + 15 + random(0..29) * retry` seconds, 15-44 s first, about 1.9 h the tenth.
 * - `onAttemptsExceeded`: the state after the last retry failed: `'fail'` (default; kept until
 *   someone acts) or `'delete'`.
 */
export interface RetryOptions {
  attempts?: number;
  delays?: Duration[] | ((retry: number) => number);
  onAttemptsExceeded?: 'fail' | 'delete';
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly delayMs: (retry: number) => number;
  readonly onAttemptsExceeded: 'fail' | 'delete';
}

/** Hangfire's default back-off, in milliseconds, for the `retry`-th retry (1-based). */
export function hangfireBackoffMs(retry: number, random: () => number = Math.random): number {
  const seconds = Math.pow(retry - 1, 4) + 15 + Math.floor(random() * 30) * retry;
  return Math.round(seconds) * 1000;
}

export const DEFAULT_RETRY_ATTEMPTS = 10;

export function retryPolicy(options: RetryOptions | undefined, field = 'retry'): RetryPolicy {
  const attempts = options?.attempts ?? DEFAULT_RETRY_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 0) throw new ValidationError(`${field}.attempts`, `must be a whole number >= 0, got ${attempts}`);
  const mode = options?.onAttemptsExceeded ?? 'fail';
  if (mode !== 'fail' && mode !== 'delete') throw new ValidationError(`${field}.onAttemptsExceeded`, `must be 'fail' or 'delete', got ${String(mode)}`);
  const delays = options?.delays;
  let delayMs: (retry: number) => number = (retry) => hangfireBackoffMs(retry);
  if (typeof delays === 'function') delayMs = delays;
  else if (Array.isArray(delays)) {
    if (delays.length === 0) throw new ValidationError(`${field}.delays`, 'must not be empty');
    const ms = delays.map((d, i) => parseDuration(d, `${field}.delays[${i}]`));
    delayMs = (retry) => ms[Math.min(retry, ms.length) - 1]!;
  } else if (delays !== undefined) {
    throw new ValidationError(`${field}.delays`, 'must be an array of durations or a function');
  }
  return { attempts, delayMs, onAttemptsExceeded: mode };
}
