import type BetterSqlite3 from 'better-sqlite3';
import type { JobLogLevel } from '../../contract/index.js';
import type { Statement } from './index.js';

/** A stored log line as read. */
export interface LogRow {
  seq: number;
  at: number;
  level: JobLogLevel;
  message: string;
  fields: string | null;
}

/** The statements of job logs, all served by the `(job_seq, seq)` primary key. */
export class LogStatements {
  readonly jobSeq: Statement<[id: string], number>;
  readonly lastLine: Statement<[jobSeq: number], number | null>;
  readonly firstLine: Statement<[jobSeq: number], number | null>;
  readonly insertLine: Statement<[jobSeq: number, seq: number, at: number, level: JobLogLevel, message: string, fields: string | null]>;
  /** Drops a job's lines up to a number: its oldest ones. */
  readonly dropUpTo: Statement<[jobSeq: number, seq: number]>;
  readonly deleteLog: Statement<[jobSeq: number]>;
  readonly page: Statement<[jobSeq: number, after: number, limit: number], LogRow>;

  constructor(db: BetterSqlite3.Database) {
    this.jobSeq = db.prepare<[string], number>(`SELECT seq FROM kiln_jobs WHERE id = ?`).pluck();
    this.lastLine = db.prepare<[number], number | null>(`SELECT max(seq) FROM kiln_job_logs WHERE job_seq = ?`).pluck();
    this.firstLine = db.prepare<[number], number | null>(`SELECT min(seq) FROM kiln_job_logs WHERE job_seq = ?`).pluck();
    this.insertLine = db.prepare(`INSERT INTO kiln_job_logs (job_seq, seq, at, level, message, fields) VALUES (?, ?, ?, ?, ?, ?)`);
    this.dropUpTo = db.prepare(`DELETE FROM kiln_job_logs WHERE job_seq = ? AND seq <= ?`);
    this.deleteLog = db.prepare(`DELETE FROM kiln_job_logs WHERE job_seq = ?`);
    this.page = db.prepare(`SELECT seq, at, level, message, fields FROM kiln_job_logs WHERE job_seq = ? AND seq > ? ORDER BY seq LIMIT ?`);
  }
}
