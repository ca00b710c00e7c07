/**
 * Every error Kiln throws on purpose is a KilnError, so callers can tell them from their own:
 * `ValidationError`, `JobCreationCanceledError`, `DuplicateJobError`, `StorageFullError`, and
 * `waitFor`'s `JobFailedError`, `JobNotFoundError` and `WaitTimeoutError` below,
 * `NonRetryableError` (states/automatic-retry.ts), `LockTimeoutError`
 * (states/disable-concurrent-execution.ts), and the reason a running job's `ctx.signal` is
 * aborted with. What passes through unchanged is not Kiln's: errors of the database drivers
 * (pg, ioredis, better-sqlite3) and whatever job code throws.
 */
export class KilnError extends Error {
  override name = 'KilnError';
}

/**
 * Bad input to a public entry point. `field` names what was wrong (`args.to`, `options.delay`,
 * `queue`), so the message can be shown to the person who made the call. Nothing was written.
 */
export class ValidationError extends KilnError {
  override name = 'ValidationError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** A client filter canceled the creation of a job; nothing was written. */
export class JobCreationCanceledError extends KilnError {
  override name = 'JobCreationCanceledError';
  constructor(
    readonly jobName: string,
    readonly reason: string,
  ) {
    super(`creation of job '${jobName}' was canceled by a filter: ${reason}`);
  }
}

/** A unique key matched an active job and `onDuplicate: 'throw'` was asked for; nothing was written. */
export class DuplicateJobError extends KilnError {
  override name = 'DuplicateJobError';
  constructor(
    readonly uniqueKey: string,
    readonly existingJobId: string,
  ) {
    super(`a job with unique key ${JSON.stringify(uniqueKey)} is already active: ${existingJobId}`);
  }
}

/**
 * The storage has no room left for a write: Postgres's disk is full (SQLSTATE 53100), Redis has
 * reached its `maxmemory` (`OOM command not allowed`), SQLite's file cannot grow (`SQLITE_FULL`).
 * `storage` names which one (`PostgresStorage(schema kiln)`, `RedisStorage(prefix kiln)`,
 * `SqliteStorage(/srv/kiln.db)`); the driver's error is the `cause`. The call wrote nothing (each
 * is one transaction or one script). The server treats it as transient: a job's completion waits
 * and is written once there is room again, it never fails the job (see `isTransientStorageError`).
 */
export class StorageFullError extends KilnError {
  override name = 'StorageFullError';
  constructor(
    readonly storage: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${storage} is full: ${detail}`, options);
  }
}

/**
 * What `JobClient.waitFor` rejects with when the job ended without success: `failed` (its retries
 * ran out, or it could not be retried) with the error its last attempt recorded, or `deleted`
 * (by someone, a filter, or its retry policy) with the last failure before that, if any.
 */
export class JobFailedError extends KilnError {
  override name = 'JobFailedError';
  constructor(
    readonly jobId: string,
    /** The state the job ended in. */
    readonly state: 'failed' | 'deleted',
    /** The reason of that state, as the job's history has it. */
    readonly reason: string | null,
    /** The error of the last failed attempt: absent for a job deleted without failing. */
    readonly error: ErrorDescription | undefined,
  ) {
    super(`job ${jobId} ${state === 'failed' ? 'failed' : 'was deleted'}${reason ? `: ${reason}` : ''}`);
  }
}

/** `JobClient.waitFor` was given the id of a job that does not exist (never did, or expired). */
export class JobNotFoundError extends KilnError {
  override name = 'JobNotFoundError';
  constructor(readonly jobId: string) {
    super(`no job ${jobId}: it never existed, or it expired after its retention`);
  }
}

/** `JobClient.waitFor` gave up after its `timeout`; the job goes on. */
export class WaitTimeoutError extends KilnError {
  override name = 'WaitTimeoutError';
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
  ) {
    super(`job ${jobId} did not finish within ${timeoutMs} ms`);
  }
}

/** What Kiln records of a thrown value: never throws, whatever was thrown. */
export interface ErrorDescription {
  /** `Error.name`, or the kind of value thrown (`string`, `null`, `object`, ...). */
  type: string;
  message: string;
  /** The stack when the value had one, else empty. */
  stack: string;
}

/** The longest message kept from a thrown value; longer ones are cut with a marker. */
const MAX_MESSAGE = 4000;

/**
 * The one way Kiln turns an unknown thrown value into text. Jobs throw anything: strings,
 * `null`, objects without a prototype, objects whose `toString` or `message` getter throws,
 * errors whose `name` is not a string. Describing them must never throw in turn, or the runner
 * would leave the job `processing` forever.
 */
export function describeError(value: unknown): ErrorDescription {
  try {
    if (value instanceof Error) {
      return {
        type: safeText(() => value.name, 'Error') || 'Error',
        message: clip(safeText(() => value.message, '(a message that could not be read)')),
        stack: clip(safeText(() => value.stack ?? '', ''), 16_000),
      };
    }
    if (value === null || value === undefined) return { type: String(value), message: String(value), stack: '' };
    if (typeof value === 'object') {
      const message = safeText(() => {
        const m = (value as { message?: unknown }).message;
        return typeof m === 'string' ? m : JSON.stringify(value) ?? Object.prototype.toString.call(value);
      }, Object.prototype.toString.call(value));
      return { type: 'object', message: clip(message), stack: '' };
    }
    return { type: typeof value, message: clip(safeText(() => String(value), `(a ${typeof value})`)), stack: '' };
  } catch {
    return { type: 'unknown', message: '(a thrown value that could not be described)', stack: '' };
  }
}

/** A thrown value's message, for logs: `describeError(value).message`. */
export function errorMessage(value: unknown): string {
  return describeError(value).message;
}

function safeText(read: () => unknown, fallback: string): string {
  try {
    const v = read();
    return typeof v === 'string' ? v : fallback;
  } catch {
    return fallback;
  }
}

function clip(text: string, max = MAX_MESSAGE): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
