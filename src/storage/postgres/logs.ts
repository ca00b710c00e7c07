import type { JobLogAppend, JobLogLine, JobLogPage, JobLogQuery, JobLogStore, Json, StoredJobLogLine } from '../contract/index.js';
import { logQuery } from '../job-log-page.js';
import type { PostgresContext } from './context.js';

function logStatements(ctx: PostgresContext) {
  const s = ctx.s;
  return {
    append: ctx.named(
      'append_logs',
      `SELECT ${s}.append_job_logs($1::text[], $2::integer[], $3::integer[], $4::bigint[], $5::text[], $6::text[],
         $7::text[], $8::integer)`,
    ),
    /** The head and a page; no row when the job has no log (or does not exist). */
    page: ctx.named(
      'job_logs',
      `SELECT h.last_seq, f.first_seq, l.seq, l.at, l.level, l.message, l.fields
         FROM ${s}.jobs j
         JOIN ${s}.job_log_heads h ON h.job_seq = j.seq
         LEFT JOIN LATERAL (SELECT min(x.seq) AS first_seq FROM ${s}.job_logs x WHERE x.job_seq = j.seq) f ON true
         LEFT JOIN LATERAL (SELECT * FROM ${s}.job_logs x WHERE x.job_seq = j.seq AND x.seq > $2::bigint
                             ORDER BY x.seq LIMIT $3::integer) l ON true
        WHERE j.id = $1::text
        ORDER BY l.seq`,
    ),
  };
}

interface PageRow {
  last_seq: number;
  first_seq: number | null;
  seq: number | null;
  at: number;
  level: JobLogLine['level'];
  message: string;
  fields: string | null;
}

/**
 * Job logs on Postgres (migration 5): `job_log_heads` numbers each job's lines, `job_logs` keeps
 * its newest ones. A batch for many jobs is one call of `append_job_logs` (the lines travel as
 * parallel arrays); a job's log is deleted with it by `delete_expired`.
 */
export class PostgresJobLogs implements JobLogStore {
  private readonly sql: ReturnType<typeof logStatements>;

  constructor(private readonly ctx: PostgresContext) {
    this.sql = logStatements(ctx);
  }

  async appendJobLogs(appends: JobLogAppend[], maxLines: number): Promise<void> {
    const merged = mergeAppends(appends);
    if (merged.length === 0) return;
    const ids: string[] = [];
    const skipped: number[] = [];
    const counts: number[] = [];
    const at: number[] = [];
    const levels: string[] = [];
    const messages: string[] = [];
    const fields: (string | null)[] = [];
    for (const a of merged) {
      ids.push(a.jobId);
      skipped.push(Math.max(0, Math.floor(a.skipped ?? 0)));
      counts.push(a.lines.length);
      for (const l of a.lines) {
        at.push(l.at);
        levels.push(l.level);
        messages.push(l.message);
        fields.push(l.fields === undefined ? null : JSON.stringify(l.fields));
      }
    }
    await this.ctx.run(this.sql.append, [ids, skipped, counts, at, levels, messages, fields, Math.max(0, Math.floor(maxLines))]);
  }

  async jobLogs(jobId: string, query: JobLogQuery): Promise<JobLogPage> {
    const { after, limit } = logQuery(query);
    const res = await this.ctx.run<PageRow>(this.sql.page, [jobId, after, limit]);
    const head = res.rows[0];
    if (!head) return { lines: [], dropped: 0, lastSeq: 0 };
    const lines: StoredJobLogLine[] = [];
    for (const r of res.rows) {
      if (r.seq === null) continue;
      const line: StoredJobLogLine = { seq: r.seq, level: r.level, message: r.message, at: r.at };
      lines.push(r.fields === null ? line : { ...line, fields: JSON.parse(r.fields) as { [key: string]: Json } });
    }
    return { lines, dropped: head.first_seq === null ? head.last_seq : head.first_seq - 1, lastSeq: head.last_seq };
  }
}

/**
 * One append per job, sorted by job id (so concurrent batches lock jobs' heads in one order). A
 * job given twice keeps its lines in order; a later `skipped` drops everything before it.
 */
function mergeAppends(appends: JobLogAppend[]): JobLogAppend[] {
  const byJob = new Map<string, JobLogAppend>();
  for (const a of appends) {
    const prev = byJob.get(a.jobId);
    if (!prev) {
      byJob.set(a.jobId, { jobId: a.jobId, lines: [...a.lines], skipped: a.skipped ?? 0 });
    } else if ((a.skipped ?? 0) > 0) {
      byJob.set(a.jobId, { jobId: a.jobId, lines: [...a.lines], skipped: (prev.skipped ?? 0) + prev.lines.length + (a.skipped ?? 0) });
    } else {
      prev.lines.push(...a.lines);
    }
  }
  return [...byJob.values()]
    .filter((a) => a.lines.length > 0 || (a.skipped ?? 0) > 0)
    .sort((x, y) => (x.jobId < y.jobId ? -1 : x.jobId > y.jobId ? 1 : 0));
}
