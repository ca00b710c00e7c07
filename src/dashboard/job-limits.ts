import type { JobRecord, LimitUsage, MonitoringApi } from '../storage/contract/index.js';

/** What may hold a job back, for its page: the limits it is subject to, with their use, and a paused queue. */
export interface JobLimits {
  /** Its own concurrency and rate limits and its queue's, those in use now (see `MonitoringApi.limitUsage`). */
  usage: LimitUsage[];
  /** Whether its queue is paused. */
  queuePaused: boolean;
}

/**
 * Reads the use of the limits a job is subject to. A job with no limit of its own in a queue with
 * no settings costs one read of the (small) queue settings.
 */
export async function limitsOf(storage: MonitoringApi, job: JobRecord): Promise<JobLimits> {
  const settings = (await storage.queueSettings()).find((s) => s.queue === job.queue);
  const wanted: Array<Pick<LimitUsage, 'scope' | 'kind' | 'key'>> = [];
  if (job.concurrency) wanted.push({ scope: 'key', kind: 'concurrency', key: job.concurrency.key });
  if (job.rateLimit) wanted.push({ scope: 'key', kind: 'rate', key: job.rateLimit.key });
  if (settings?.concurrency != null) wanted.push({ scope: 'queue', kind: 'concurrency', key: job.queue });
  if (settings?.rate != null) wanted.push({ scope: 'queue', kind: 'rate', key: job.queue });
  const keys = [...new Set(wanted.map((w) => w.key))];
  const now = Date.now();
  const pages = await Promise.all(keys.map((key) => storage.limitUsage({ now, key, offset: 0, limit: 10 })));
  const found = pages.flatMap((p) => p.limits);
  const usage = wanted.flatMap((w) => found.filter((l) => l.scope === w.scope && l.kind === w.kind && l.key === w.key));
  return { usage, queuePaused: settings?.paused === true };
}
