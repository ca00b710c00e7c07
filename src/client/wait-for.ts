import { JobFailedError, JobNotFoundError, ValidationError, WaitTimeoutError, errorMessage, type ErrorDescription } from '../errors.js';
import { parseDuration, MAX_TIMER_MS, type Duration } from '../jobs/duration.js';
import type { Logger } from '../logger.js';
import type { JobDetails, JobEvent, Json, MonitoringApi } from '../storage/contract/index.js';
import type { JobEvents } from './job-events.js';

/** Options of `JobClient.waitFor`. */
export interface WaitForOptions {
  /** Give up after this long with a `WaitTimeoutError` (the job goes on). Default: wait as long as it takes. */
  timeout?: Duration;
  /** Give up when this signal aborts, rejecting with its reason. */
  signal?: AbortSignal;
}

/**
 * How often a wait reads the job again by itself, in case an event was lost (a process crashed
 * between the job's change and its event, a channel reconnected): 10 s. Events settle a wait at
 * once; this is only the safety net, and one read of one job per wait and interval is cheap.
 */
export const WAIT_RECHECK_MS = 10_000;

/** `WaitForOptions` checked: a `ValidationError` naming the bad field. */
export function checkWaitOptions(options: WaitForOptions): { timeoutMs: number | undefined; signal: AbortSignal | undefined } {
  if (typeof options !== 'object' || options === null) throw new ValidationError('options', 'must be an object');
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout, 'options.timeout', { min: 0, max: MAX_TIMER_MS });
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new ValidationError('options.signal', 'must be an AbortSignal');
  return { timeoutMs, signal };
}

/**
 * Waits until job `id` ends, without polling in the caller: resolves with what it returned when it
 * succeeds, rejects with a `JobFailedError` when it fails for good or is deleted, with a
 * `JobNotFoundError` when there is no such job, with a `WaitTimeoutError` after `timeoutMs`, or
 * with the signal's reason when `signal` aborts.
 *
 * It listens to job events first, then reads the job, so a job that already ended settles at once
 * and one that ends meanwhile is heard. A succeeded event carries the result unless it was too
 * large for an event; a final failure is read from the job, whose history has the whole error.
 * The job is read again on a gap and every `WAIT_RECHECK_MS`.
 */
export function waitForJob(
  storage: Pick<MonitoringApi, 'getJob'>,
  events: JobEvents,
  id: string,
  o: { timeoutMs: number | undefined; signal: AbortSignal | undefined },
  logger: Logger,
): Promise<Json> {
  return new Promise<Json>((resolve, reject) => {
    let settled = false;
    let reading = false;
    let readAgain = false;
    const recheck = setInterval(() => void check(), WAIT_RECHECK_MS);
    const timer = o.timeoutMs === undefined ? undefined : setTimeout(() => settle(() => reject(new WaitTimeoutError(id, o.timeoutMs!))), o.timeoutMs);
    const onAbort = () => settle(() => reject(o.signal!.reason));
    const onEvent = (e: JobEvent) => {
      if (e.jobId !== id) return;
      if (e.type === 'succeeded' && !e.resultOmitted) settle(() => resolve(e.result ?? null));
      else if (e.type === 'succeeded' || e.type === 'deleted' || (e.type === 'failed' && !e.willRetry)) void check();
    };
    const onGap = () => void check();

    function settle(done: () => void): void {
      if (settled) return;
      settled = true;
      clearInterval(recheck);
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      events.off('event', onEvent).off('gap', onGap);
      done();
    }

    /** Reads the job; settles when it has ended. One read at a time; a call meanwhile reads once more after it. */
    async function check(): Promise<void> {
      if (reading) {
        readAgain = true;
        return;
      }
      reading = true;
      try {
        do {
          readAgain = false;
          let job: JobDetails | null;
          try {
            job = await storage.getJob(id);
          } catch (e) {
            // The storage is briefly unreachable: the next event, gap or recheck reads again.
            logger.debug('waitFor could not read the job; trying again later', { jobId: id, error: errorMessage(e) });
            return;
          }
          if (settled) return;
          if (!job) return settle(() => reject(new JobNotFoundError(id)));
          const outcome = outcomeOf(job);
          if (outcome) return settle(() => (outcome.ok ? resolve(outcome.result) : reject(outcome.error)));
        } while (readAgain && !settled);
      } finally {
        reading = false;
      }
    }

    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    events.on('event', onEvent).on('gap', onGap);
    events.ready().then(
      () => void check(),
      (e: unknown) => settle(() => reject(e)),
    );
  });
}

/** How a job ended, or undefined while it has not. */
function outcomeOf(job: JobDetails): { ok: true; result: Json } | { ok: false; error: JobFailedError } | undefined {
  if (job.state === 'succeeded') return { ok: true, result: job.result === null ? null : (JSON.parse(job.result) as Json) };
  if (job.state !== 'failed' && job.state !== 'deleted') return undefined;
  return { ok: false, error: new JobFailedError(job.id, job.state, job.stateReason, lastFailure(job)) };
}

/** The error of the job's latest `failed` entry, when that is the last thing that happened before its end. */
function lastFailure(job: JobDetails): ErrorDescription | undefined {
  const ended = job.history.length - 1;
  const failed = job.state === 'failed' ? job.history[ended] : job.history[ended - 1];
  if (failed?.name !== 'failed') return undefined;
  const data = failed.data ?? {};
  return {
    type: typeof data['type'] === 'string' ? data['type'] : 'Error',
    message: typeof data['error'] === 'string' ? data['error'] : (failed.reason ?? ''),
    stack: typeof data['stack'] === 'string' ? data['stack'] : '',
  };
}
