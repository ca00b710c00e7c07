import { parseDuration, type Duration } from '../jobs/duration.js';
import type { JobFilter } from './filters.js';

/**
 * Hangfire's LatencyTimeout: a job that waited longer than `timeout` before a worker picked it
 * up is deleted instead of run (a notification nobody needs any more). Waiting is measured from
 * the job's creation, or from its `scheduledAt` parameter for recurring occurrences; retries
 * (attempt > 1) are exempt, since their wait was chosen by the retry policy. This is not an
 * execution timeout: see `defineJob({ timeout })` for that.
 */
export function latencyTimeout(timeout: Duration): JobFilter {
  const limitMs = parseDuration(timeout, 'timeout');
  return {
    name: 'latencyTimeout',
    onPerforming(ctx) {
      if (ctx.job.attempt > 1) return;
      const scheduledAt = ctx.job.parameters['scheduledAt'];
      const since = typeof scheduledAt === 'number' ? Math.max(scheduledAt, ctx.job.createdAt) : ctx.job.createdAt;
      const waited = ctx.now - since;
      if (waited > limitMs) ctx.cancel(`waited ${waited} ms, over the latency timeout of ${limitMs} ms`);
    },
  };
}
