import type { JobPage, JobRecord, Storage } from '../storage/storage.js';

/**
 * How many scheduled jobs the retries page reads at most, newest first. The storage contract has
 * no index of retries, so the page filters scheduled jobs; this bound keeps it fast with any
 * number of delayed jobs (a few milliseconds per thousand on SQLite).
 */
export const RETRY_SCAN_LIMIT = 10_000;
const CHUNK = 2500;

/**
 * A retry, as the automatic-retry filter leaves it: a scheduled job whose `retryCount`
 * parameter is set and whose attempt was raised past the first. (A job requeued by hand starts
 * again at attempt 1, so an old `retryCount` does not make it a retry.)
 */
export function isRetry(job: JobRecord): boolean {
  return job.state === 'scheduled' && typeof job.parameters['retryCount'] === 'number' && job.attempt > 1;
}

/** A page of retries, and whether the scan stopped at `RETRY_SCAN_LIMIT`. */
export async function listRetries(
  storage: Storage,
  q: { search?: string | undefined; offset: number; limit: number },
  scanLimit = RETRY_SCAN_LIMIT,
): Promise<JobPage & { truncated: boolean }> {
  const matches: JobRecord[] = [];
  let scanned = 0;
  let truncated = false;
  for (;;) {
    const limit = Math.min(CHUNK, scanLimit - scanned);
    const page = await storage.listJobs({ state: 'scheduled', search: q.search, offset: scanned, limit });
    for (const job of page.jobs) if (isRetry(job)) matches.push(job);
    scanned += page.jobs.length;
    if (page.jobs.length < limit || scanned >= page.total) break;
    if (scanned >= scanLimit) {
      truncated = true;
      break;
    }
  }
  return { total: matches.length, jobs: matches.slice(q.offset, q.offset + q.limit), truncated };
}
