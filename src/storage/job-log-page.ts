import type { JobLogPage, JobLogQuery, StoredJobLogLine } from './contract/index.js';
import { MAX_JOB_LOG_PAGE } from './contract/index.js';

/** A `JobLogQuery` with its defaults: lines after `after` (a whole number ≥ 0), at most `limit` (1 to `MAX_JOB_LOG_PAGE`). */
export function logQuery(query: JobLogQuery): { after: number; limit: number } {
  const after = Number.isFinite(query.after) ? Math.max(0, Math.floor(query.after!)) : 0;
  const limit = Number.isFinite(query.limit) ? Math.min(MAX_JOB_LOG_PAGE, Math.max(1, Math.floor(query.limit!))) : MAX_JOB_LOG_PAGE;
  return { after, limit };
}

/** The page of a log held as an array of its kept lines (oldest first), for backends that keep it so. */
export function pageOfLines(kept: readonly StoredJobLogLine[], lastSeq: number, query: JobLogQuery): JobLogPage {
  const { after, limit } = logQuery(query);
  const dropped = kept.length > 0 ? kept[0]!.seq - 1 : lastSeq;
  const start = Math.max(0, after - dropped);
  return { lines: kept.slice(start, start + limit).map((l) => structuredClone(l)), dropped, lastSeq };
}
