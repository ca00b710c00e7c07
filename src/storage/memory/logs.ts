import type { JobLogAppend, JobLogPage, JobLogQuery, JobLogStore } from '../contract/index.js';
import { pageOfLines } from '../job-log-page.js';
import { clone, type MemoryState } from './state.js';

/** Job logs in memory: each job holds its kept lines, so they go when the job is deleted. */
export class MemoryJobLogs implements JobLogStore {
  constructor(private readonly s: MemoryState) {}

  async appendJobLogs(appends: JobLogAppend[], maxLines: number): Promise<void> {
    for (const { jobId, lines, skipped = 0 } of appends) {
      const j = this.s.jobs.get(jobId);
      if (!j) continue;
      if (skipped > 0) {
        j.logs = [];
        j.logSeq += skipped;
      }
      for (const line of lines) j.logs.push({ seq: ++j.logSeq, ...clone(line) });
      if (j.logs.length > maxLines) j.logs.splice(0, j.logs.length - Math.max(0, maxLines));
    }
  }

  async jobLogs(jobId: string, query: JobLogQuery): Promise<JobLogPage> {
    const j = this.s.jobs.get(jobId);
    return j ? pageOfLines(j.logs, j.logSeq, query) : { lines: [], dropped: 0, lastSeq: 0 };
  }
}
