import type { Clock } from '../clock.js';
import { maxArgsBytes } from '../config.js';
import { checkSize, toJsonText } from '../jobs/args.js';
import type { JobContext } from '../jobs/context.js';
import { childLogger, type Logger } from '../logger.js';
import type { Json, JobRecord, Storage } from '../storage/contract/index.js';
import type { JobLogWriter } from './job-log-writer.js';
import { ProgressReporter } from './progress-reporter.js';
import type { RunningJob } from './running-job.js';

/**
 * The `ctx` a job's `run` receives. A class, not an object literal of closures: its getters live
 * on the prototype, so a run allocates the object and one closure (`progress`), and the job's
 * logger and progress reporter are made only when the job first uses them (most runs never do).
 */
export class RunContext implements JobContext {
  readonly jobId: string;
  readonly name: string;
  readonly queue: string;
  readonly attempt: number;
  readonly parameters: Readonly<Record<string, Json>>;
  readonly parentResult: Json | undefined;
  private jobLogger: Logger | undefined;
  private reporter: ProgressReporter | undefined;

  constructor(
    private readonly running: RunningJob,
    readonly serverId: string,
    private readonly storage: Storage,
    private readonly serverLogger: Logger,
    private readonly clock: Clock,
    /** Where the job's log lines are kept; undefined when the server keeps none. */
    private readonly logs: JobLogWriter | undefined,
  ) {
    const job: JobRecord = running.job;
    this.jobId = job.id;
    this.name = job.name;
    this.queue = job.queue;
    this.attempt = job.attempt;
    this.parameters = job.parameters;
    this.parentResult = 'parentResult' in job.parameters ? job.parameters['parentResult'] : undefined;
  }

  get signal(): AbortSignal {
    return this.running.signal;
  }

  /** The server's logger with the job's id, whose lines are also kept as the job's log. */
  get logger(): Logger {
    if (this.jobLogger) return this.jobLogger;
    const logger = childLogger(this.serverLogger, { jobId: this.jobId, job: this.name });
    return (this.jobLogger = this.logs ? this.logs.loggerFor(this.jobId, logger) : logger);
  }

  /**
   * An own property, not a method, so that `const { progress } = ctx` keeps working. The value is
   * checked at once, as parameters are (plain JSON, at most `maxArgsBytes`): a bad one throws a
   * `ValidationError` in the job, where it was made, instead of failing a storage write later.
   */
  readonly progress = (value: Json): void => {
    checkSize(toJsonText(value, 'progress'), 'progress', maxArgsBytes());
    (this.reporter ??= new ProgressReporter(this.storage, this.jobId, this.serverId, this.logger, this.clock)).report(value);
  };

  /** Writes the last reported progress, if any, before the job's final state. */
  async flushProgress(): Promise<void> {
    await this.reporter?.flush();
  }
}
