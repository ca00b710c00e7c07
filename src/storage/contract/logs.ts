import type { Json } from './model.js';

/**
 * Job logs: the lines a job writes with `ctx.logger`, stored with the job (as Hangfire.Console
 * and BullMQ's `job.log` keep them), bounded per job, deleted with it when it expires, shown on
 * the dashboard's job page and returned by `JobClient.get`.
 *
 * The engine buffers lines and writes them in batches (`appendJobLogs`, one call for every job
 * that logged since the last one), never one round trip per line; it cuts each line to the
 * bounds below before it reaches storage, so a backend stores what it is given.
 */
export type JobLogLevel = 'debug' | 'info' | 'warn' | 'error';

export const JOB_LOG_LEVELS: readonly JobLogLevel[] = ['debug', 'info', 'warn', 'error'];

/** One line, as the engine hands it to storage. */
export interface JobLogLine {
  level: JobLogLevel;
  /** At most `MAX_JOB_LOG_MESSAGE` characters. */
  message: string;
  /** The details given with the line, as JSON (at most `MAX_JOB_LOG_FIELDS_BYTES`); absent when none. */
  fields?: { [key: string]: Json };
  /** When it was written, epoch ms. */
  at: number;
}

/** A stored line: numbered from 1 for the job's first line, in the order they were appended. */
export interface StoredJobLogLine extends JobLogLine {
  seq: number;
}

/** Lines to append to one job's log. */
export interface JobLogAppend {
  jobId: string;
  lines: JobLogLine[];
  /**
   * Lines the writer dropped before this batch without sending them (a job logging more than its
   * bound between two writes): numbered as if appended, so `JobLogPage.dropped` counts them too.
   * Since a log drops its oldest lines first, the job's stored lines are all dropped as well when
   * this is above 0: the kept lines are always one unbroken run ending at the newest. Default 0.
   */
  skipped?: number;
}

export interface JobLogQuery {
  /** Only lines with `seq` above this: a live view passes the last `seq` it has. Default 0. */
  after?: number;
  /** At most this many lines, the oldest first. Default and maximum `MAX_JOB_LOG_PAGE`. */
  limit?: number;
}

export interface JobLogPage {
  /** Lines after `query.after`, oldest first. */
  lines: StoredJobLogLine[];
  /**
   * How many of the job's earliest lines were dropped to keep it within its bound (the marker
   * the dashboard shows as "… N earlier lines dropped"): the oldest line kept is `dropped + 1`.
   */
  dropped: number;
  /** The `seq` of the job's newest line; 0 when it has none (or the job does not exist). */
  lastSeq: number;
}

/** Lines kept per job unless the server says otherwise (`ServerOptions.jobLogLines`); older ones are dropped. */
export const DEFAULT_JOB_LOG_LINES = 1000;

/** The most lines one `jobLogs` call returns. */
export const MAX_JOB_LOG_PAGE = 1000;

/** The most characters of a line's message stored; the rest is cut with a marker. */
export const MAX_JOB_LOG_MESSAGE = 2000;

/** The most bytes of JSON a line's fields take; larger fields are replaced by a cut text of them. */
export const MAX_JOB_LOG_FIELDS_BYTES = 4096;

/** Job logs: appending lines in batches, reading a page of them. */
export interface JobLogStore {
  /**
   * Appends each job's lines in one write for all of them, then drops a job's oldest lines
   * beyond its newest `maxLines` (its line numbers keep counting). Lines of a job that does not
   * exist (expired meanwhile) are dropped silently. Deleting a job (`deleteExpired`) deletes its log.
   */
  appendJobLogs(appends: JobLogAppend[], maxLines: number): Promise<void>;
  /** A page of a job's log: an empty page with `lastSeq` 0 for a missing job. */
  jobLogs(jobId: string, query: JobLogQuery): Promise<JobLogPage>;
}
