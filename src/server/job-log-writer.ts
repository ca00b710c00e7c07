import type { Clock } from '../clock.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JobLogAppend, JobLogLevel, JobLogLine, JobLogStore } from '../storage/contract/index.js';
import { toJobLogLine } from './job-log-line.js';

/**
 * How long a line waits before it is written, in ms: lines of every job that logged meanwhile go
 * in one storage call. A job's log is a live view for people, so a quarter of a second is soon
 * enough, and it keeps a chatty server at four writes a second at most.
 */
const FLUSH_DELAY_MS = 250;

/** Lines waiting across all jobs that make a write start at once instead of after the delay. */
const FLUSH_LINES = 2000;

/**
 * Keeps what jobs write with `ctx.logger` as their job logs (see `contract/logs.ts`), off the hot
 * path: lines are buffered and written in batches, one `appendJobLogs` call for every job that
 * logged, at most every `FLUSH_DELAY_MS`, never one round trip per line. A job that writes more
 * than `maxLines` between two writes keeps only its newest `maxLines` in the buffer; the others
 * are counted as skipped, so the stored log still says how many were dropped.
 *
 * Writing is best effort: a failed write is logged on the server's logger (once per run of
 * failures) and its lines are dropped, so a storage outage cannot make the buffer grow without
 * bound. `flush()` writes what is buffered (at shutdown).
 */
export class JobLogWriter {
  private pending = new Map<string, { lines: JobLogLine[]; skipped: number }>();
  private buffered = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failing = false;
  private inFlight = 0;

  constructor(
    private readonly storage: JobLogStore,
    /** Lines kept per job (`ServerOptions.jobLogLines`), at least 1. */
    private readonly maxLines: number,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  /**
   * A job's `ctx.logger`: each line goes to the job's log and to `jobLogger` (the server's, with
   * the job's id). It never throws, whatever the job logs: details that the server's logger
   * cannot take (a getter that throws, a cycle its JSON writer refuses) are replaced there by
   * what went wrong, as the job's log stores what it can of them (`toJobLogLine`).
   */
  loggerFor(jobId: string, jobLogger: Logger): Logger {
    const tee = (level: JobLogLevel) => (message: string, details?: Record<string, unknown>) => {
      this.write(jobId, level, message, details);
      try {
        jobLogger[level](message, details);
      } catch (e) {
        try {
          jobLogger[level](typeof message === 'string' ? message : errorMessage(message), { detailsNotLogged: errorMessage(e) });
        } catch {
          // The server's logger itself fails: the line is in the job's log.
        }
      }
    };
    return { debug: tee('debug'), info: tee('info'), warn: tee('warn'), error: tee('error') };
  }

  write(jobId: string, level: JobLogLevel, message: unknown, details: Record<string, unknown> | undefined): void {
    let job = this.pending.get(jobId);
    if (!job) this.pending.set(jobId, (job = { lines: [], skipped: 0 }));
    job.lines.push(toJobLogLine(level, message, details, this.clock.now()));
    this.buffered++;
    // Trim in chunks, so a job logging in a tight loop costs O(1) per line.
    if (job.lines.length >= 2 * this.maxLines) {
      const over = job.lines.length - this.maxLines;
      job.lines.splice(0, over);
      job.skipped += over;
      this.buffered -= over;
    }
    if (this.buffered >= FLUSH_LINES) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
      this.timer.unref();
    }
  }

  /**
   * `flush()` when lines are buffered or being written, else undefined: what the completer awaits
   * before writing job ends, so a job's lines are stored before its final state.
   */
  flushPending(): Promise<void> | undefined {
    return this.buffered > 0 || this.pending.size > 0 || this.inFlight > 0 ? this.flush() : undefined;
  }

  /** Writes every buffered line; resolves when the storage has them (or the write failed). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return this.writing;
    const appends: JobLogAppend[] = [];
    for (const [jobId, { lines, skipped }] of this.pending) {
      const over = Math.max(0, lines.length - this.maxLines);
      appends.push(over + skipped > 0 ? { jobId, lines: lines.slice(over), skipped: skipped + over } : { jobId, lines });
    }
    this.pending = new Map();
    this.buffered = 0;
    // One write at a time, so a job's lines reach the storage in the order they were written.
    this.inFlight++;
    this.writing = this.writing.then(() => this.append(appends)).finally(() => this.inFlight--);
    return this.writing;
  }

  private async append(appends: JobLogAppend[]): Promise<void> {
    try {
      await this.storage.appendJobLogs(appends, this.maxLines);
      if (this.failing) this.logger.info('writing job logs works again');
      this.failing = false;
    } catch (e) {
      const lines = appends.reduce((n, a) => n + a.lines.length, 0);
      if (!this.failing) this.logger.warn(`could not write ${lines} job log line(s); they are dropped`, { error: errorMessage(e) });
      this.failing = true;
    }
  }
}
