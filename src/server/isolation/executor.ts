import { KilnError, errorMessage } from '../../errors.js';
import type { JobContext } from '../../jobs/context.js';
import type { JobIsolation } from '../../jobs/define-job.js';
import { rethrown, type FromExecutor, type RunRequest } from './protocol.js';

/**
 * An isolated attempt ran past its job's `timeout`, counted from when its `run` was called in its
 * thread or process (not while it waited for one, or for its module to load): it was ended hard,
 * and fails with this.
 */
export class IsolatedJobTimeoutError extends KilnError {
  override name = 'TimeoutError';
}

/**
 * An isolated attempt's thread or process died before the job ended: `process.exit`, an uncaught
 * error, out of memory, a signal. The attempt fails with this reason and its retry policy
 * applies; the server goes on.
 */
export class IsolatedJobCrashError extends KilnError {
  override name = 'IsolatedJobCrashError';
}

interface Current {
  ctx: JobContext;
  /** The job's `run` was called (its module is loaded): start its timeout. */
  started(): void;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * One worker thread or child process that runs isolated jobs, one at a time (so that ending one
 * job hard ends only that job). The kinds differ in how they start, die and are killed
 * (`ThreadExecutor`, `ProcessExecutor`); the protocol is here.
 */
export abstract class Executor {
  abstract readonly kind: JobIsolation;
  /** False once the thread or process has ended or is being ended: it takes no more jobs. */
  alive = true;
  /** Resolves when the thread or process has ended. */
  readonly exited: Promise<void>;
  protected markExited!: () => void;
  private current: Current | undefined;
  private readonly started: Promise<void>;
  private startedOk!: () => void;
  private startFailed!: (e: unknown) => void;

  constructor() {
    this.exited = new Promise<void>((resolve) => (this.markExited = resolve));
    this.started = new Promise<void>((resolve, reject) => {
      this.startedOk = resolve;
      this.startFailed = reject;
    });
    // Nobody may be waiting yet.
    this.started.catch(() => {});
  }

  /**
   * Runs one job; resolves with its result (the parsed JSON), rejects with what it threw, with
   * an `IsolatedJobCrashError` if the executor died, with an `IsolatedJobTimeoutError` after
   * `timeoutMs`, or with the signal's reason when `ctx.signal` aborted. On a timeout or an abort
   * the executor is ended hard.
   */
  async run(request: RunRequest, ctx: JobContext, timeoutMs: number | undefined): Promise<unknown> {
    const { signal } = ctx;
    await this.startedOrAborted(signal);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        signal.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        this.current = undefined;
      };
      /** Ends the job hard: its thread or process goes with it. */
      const stop = (error: unknown): void => {
        finish();
        this.end();
        reject(error);
      };
      const onAbort = (): void => stop(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      const started = (): void => {
        if (timeoutMs === undefined || timer !== undefined) return;
        timer = setTimeout(() => stop(new IsolatedJobTimeoutError(`the attempt ran past its timeout (${timeoutMs} ms); its ${this.noun} was ended`)), timeoutMs);
      };
      const settle =
        <T>(fn: (v: T) => void) =>
        (v: T): void => {
          finish();
          fn(v);
        };
      this.current = { ctx, started, resolve: settle(resolve), reject: settle(reject) };
      try {
        this.post(request);
      } catch (e) {
        this.current.reject(new KilnError(`the job's arguments cannot be sent to its ${this.noun}: ${errorMessage(e)}`));
      }
    });
  }

  /**
   * Resolves once the thread or process is ready; rejects if it died starting, or with the
   * signal's reason if the job is aborted meanwhile (the executor, still starting, is kept).
   */
  private startedOrAborted(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    let onAbort: () => void = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return Promise.race([this.started, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
  }

  /** Ends the thread or process now (SIGKILL, `terminate()`), whatever it is doing. */
  end(): void {
    if (!this.alive) return;
    this.alive = false;
    this.kill();
  }

  protected abstract readonly noun: string;
  protected abstract post(request: RunRequest): void;
  protected abstract kill(): void;

  /** Subclasses hand every message from the thread or process here. */
  protected onMessage(message: FromExecutor): void {
    const current = this.current;
    switch (message.type) {
      case 'ready':
        this.startedOk();
        return;
      case 'started':
        current?.started();
        return;
      case 'progress':
        try {
          current?.ctx.progress(message.value);
        } catch (e) {
          current?.ctx.logger.warn('progress from the isolated job was refused', { error: errorMessage(e) });
        }
        return;
      case 'log':
        current?.ctx.logger[message.level](message.message, message.details);
        return;
      case 'done':
        current?.resolve(JSON.parse(message.result));
        return;
      case 'failed':
        if (message.retire) this.end();
        current?.reject(rethrown(message.thrown));
        return;
      case 'crash':
        this.crashed(message.thrown.kind === 'error' ? `an uncaught ${message.thrown.type}: ${message.thrown.message}` : `an uncaught throw of ${message.thrown.kind === 'value' ? String(message.thrown.value) : message.thrown.message}`);
        return;
    }
  }

  private crashReason: string | undefined;

  /**
   * The thread or process died (or is about to, with this reason): the job it ran fails with an
   * `IsolatedJobCrashError`, and it takes no more jobs. The first reason given is kept.
   */
  protected crashed(reason: string): void {
    this.crashReason ??= reason;
    // Make sure it is gone (a process that reported its uncaught error exits by itself).
    this.end();
    const error = new IsolatedJobCrashError(`The job's ${this.noun} died: ${this.crashReason}`);
    this.startFailed(error);
    this.current?.reject(error);
  }
}
