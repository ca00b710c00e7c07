import type { JobLogAppend, JobLogLine, JobLogPage, JobLogQuery, JobLogStore, StoredJobLogLine } from '../contract/index.js';
import { logQuery } from '../job-log-page.js';
import type { RedisContext } from './context.js';
import { SCRIPTS } from './scripts.js';

/**
 * Job logs on Redis: a job's kept lines are the list `log:<id>` (one JSON text a line, oldest
 * first) and its newest line's number the job hash's `logs` field, so the lines of a job that is
 * gone are never appended (the script checks the job) and its number goes with the job.
 * Since a log drops its oldest lines first, the kept lines are always one unbroken run ending at
 * the newest: a line's number is its place in the list counted back from `logs`, and is not
 * stored. One script appends every job's lines of a batch and trims each list (`LTRIM`); one
 * reads a page (`LRANGE`); `deleteExpired` deletes the list with its job.
 */
export class RedisJobLogs implements JobLogStore {
  constructor(private readonly ctx: RedisContext) {}

  async appendJobLogs(appends: JobLogAppend[], maxLines: number): Promise<void> {
    const args: string[] = [String(Math.max(0, Math.floor(maxLines)))];
    for (const { jobId, lines, skipped = 0 } of appends) {
      if (lines.length === 0 && skipped <= 0) continue;
      args.push(jobId, String(Math.max(0, Math.floor(skipped))), String(lines.length));
      for (const line of lines) args.push(encodeLine(line));
    }
    if (args.length === 1) return;
    await this.ctx.run(SCRIPTS.appendJobLogs, args);
  }

  async jobLogs(jobId: string, query: JobLogQuery): Promise<JobLogPage> {
    const { after, limit } = logQuery(query);
    const [last, kept, texts] = (await this.ctx.run(SCRIPTS.jobLogs, [jobId, String(after), String(limit)])) as [string, number, string[]];
    const lastSeq = Number(last);
    const dropped = lastSeq - Number(kept);
    const first = dropped + 1 + Math.max(0, after - dropped);
    return { lines: texts.map((text, i) => decodeLine(String(text), first + i)), dropped, lastSeq };
  }
}

function encodeLine(line: JobLogLine): string {
  const { level, message, fields, at } = line;
  return JSON.stringify(fields === undefined ? { level, message, at } : { level, message, fields, at });
}

function decodeLine(text: string, seq: number): StoredJobLogLine {
  return { seq, ...(JSON.parse(text) as JobLogLine) };
}
