import type { Json, JobLogAppend, JobLogPage, JobLogQuery, JobLogStore } from '../contract/index.js';
import { logQuery } from '../job-log-page.js';
import type { SqliteContext } from './context.js';

/**
 * Job logs on SQLite: `kiln_job_logs`, keyed by the job's `seq` and the line's number. One write
 * transaction appends every job's lines of a batch and trims each job to its newest `maxLines`
 * (an index range delete); a job's lines are deleted with it by `deleteExpired`.
 */
export class SqliteJobLogs implements JobLogStore {
  constructor(private readonly ctx: SqliteContext) {}

  async appendJobLogs(appends: JobLogAppend[], maxLines: number): Promise<void> {
    if (appends.length === 0) return;
    this.ctx.write(({ logs: s }) => {
      for (const { jobId, lines, skipped = 0 } of appends) {
        const job = s.jobSeq.get(jobId);
        if (job === undefined) continue;
        let seq = s.lastLine.get(job) ?? 0;
        if (skipped > 0) {
          s.deleteLog.run(job);
          seq += skipped;
        }
        for (const l of lines) s.insertLine.run(job, ++seq, l.at, l.level, l.message, l.fields === undefined ? null : JSON.stringify(l.fields));
        if (seq > maxLines) s.dropUpTo.run(job, seq - Math.max(0, maxLines));
      }
    });
  }

  async jobLogs(jobId: string, query: JobLogQuery): Promise<JobLogPage> {
    const { after, limit } = logQuery(query);
    return this.ctx.read(({ logs: s }) => {
      const job = s.jobSeq.get(jobId);
      if (job === undefined) return { lines: [], dropped: 0, lastSeq: 0 };
      const lastSeq = s.lastLine.get(job) ?? 0;
      const first = s.firstLine.get(job);
      const lines = s.page.all(job, after, limit).map((r) => {
        const line = { seq: r.seq, level: r.level, message: r.message, at: r.at };
        return r.fields === null ? line : { ...line, fields: JSON.parse(r.fields) as { [key: string]: Json } };
      });
      return { lines, dropped: first === null || first === undefined ? lastSeq : first - 1, lastSeq };
    });
  }
}
