import { maxArgsBytes } from '../config.js';
import { ValidationError } from '../errors.js';
import type { Json, UniqueMode } from '../storage/contract/index.js';
import { MAX_PRIORITY, MIN_PRIORITY } from '../storage/contract/index.js';
import { parametersFrom } from './args.js';
import { checkTime, describe, parseDuration, timeAfter, type Duration } from './duration.js';
import { checkQueueName } from './names.js';

/** Options of `enqueue`, `schedule` and `continueWith`. */
export interface EnqueueOptions {
  /** Overrides the job definition's queue. */
  queue?: string;
  /**
   * Extra parameters stored with the job, shown in the dashboard and given as `ctx.parameters`.
   * Plain JSON, at most `maxArgsBytes` (512 KiB by default) like the arguments.
   */
  parameters?: Record<string, Json>;
  /**
   * Unique jobs: while a job with this key is enqueued, scheduled, awaiting or processing, no
   * second one is created and its id is returned instead. Enforced by the storage, race-free.
   * 1-500 characters, no control characters (U+0000-U+001F, U+007F-U+009F: backends use some as
   * separators, and none belongs in a key people read) and no lone surrogates.
   */
  uniqueKey?: string;
  /** How long the unique key blocks at most (default: as long as the job is active). */
  uniqueFor?: Duration;
  /**
   * Debounce (with `uniqueKey`, `enqueue` only): the job starts this long after the *last* call
   * with its key. The first call creates it, scheduled one delay ahead; each later call while it
   * has not started replaces its arguments (and priority and limits) with the new ones and pushes
   * its start to one delay after that call, resolving to the same id. Once it started, the next
   * call creates a new job. One rebuild per burst of edits.
   */
  debounce?: Duration;
  /**
   * Throttle (with `uniqueKey`): the first call of a window creates the job; every other call
   * with its key within `throttle` of it is dropped and resolves to the first job's id, even if
   * that job already finished. The next call after the window creates a new one.
   */
  throttle?: Duration;
  /**
   * Priority within the job's queue: a whole number from -100 to 100, higher first, FIFO among
   * equals. Default: the job definition's `priority`, else 0. Queues keep the order the server
   * lists them in whatever the priorities.
   */
  priority?: number;
  /**
   * What a unique key that matches an active job does: `'existing'` (default) resolves to that
   * job's id, as a deduplicating enqueue should; `'throw'` rejects with a `DuplicateJobError`
   * carrying it, for callers that must know nothing new was created.
   */
  onDuplicate?: 'existing' | 'throw';
  /** Create the job inside the application's own transaction (Postgres: a `pg` client in BEGIN). */
  tx?: unknown;
}

/** When a scheduled job becomes due: after a delay, or at a time. */
export type ScheduleWhen = { delay: Duration } | { at: Date | number };

export interface CheckedEnqueueOptions {
  queue: string | undefined;
  parameters: Record<string, Json>;
  uniqueKey: string | undefined;
  uniqueForMs: number | undefined;
  onDuplicate: 'existing' | 'throw';
  uniqueMode: UniqueMode;
  /** `debounce` or `throttle`, in ms, when given. */
  windowMs: number | undefined;
  priority: number | undefined;
  tx: unknown;
}

export function checkEnqueueOptions(options: EnqueueOptions | undefined): CheckedEnqueueOptions {
  const none: CheckedEnqueueOptions = {
    queue: undefined,
    parameters: {},
    uniqueKey: undefined,
    uniqueForMs: undefined,
    onDuplicate: 'existing',
    uniqueMode: 'keep',
    windowMs: undefined,
    priority: undefined,
    tx: undefined,
  };
  if (options === undefined) return none;
  if (typeof options !== 'object' || options === null) throw new ValidationError('options', 'must be an object');
  const queue = options.queue === undefined ? undefined : checkQueueName(options.queue, 'options.queue');
  const parameters = options.parameters === undefined ? {} : parametersFrom(options.parameters, 'options.parameters', maxArgsBytes());
  const key = options.uniqueKey;
  if (key !== undefined) checkUniqueKey(key, 'options.uniqueKey');
  const uniqueForMs = options.uniqueFor === undefined ? undefined : parseDuration(options.uniqueFor, 'options.uniqueFor');
  if (uniqueForMs !== undefined && key === undefined) throw new ValidationError('options.uniqueFor', 'needs options.uniqueKey');
  const onDuplicate = options.onDuplicate ?? 'existing';
  if (onDuplicate !== 'existing' && onDuplicate !== 'throw') throw new ValidationError('options.onDuplicate', `must be 'existing' or 'throw', got ${describe(onDuplicate)}`);
  if (options.onDuplicate !== undefined && key === undefined) throw new ValidationError('options.onDuplicate', 'needs options.uniqueKey');
  const { uniqueMode, windowMs } = checkUniqueMode(options, key, uniqueForMs);
  const priority = options.priority === undefined ? undefined : checkPriority(options.priority, 'options.priority');
  return { queue, parameters, uniqueKey: key, uniqueForMs, onDuplicate, uniqueMode, windowMs, priority, tx: options.tx };
}

/** `debounce` and `throttle`: modes of a unique key, one at a time, each with its window. */
function checkUniqueMode(options: EnqueueOptions, key: string | undefined, uniqueForMs: number | undefined): { uniqueMode: UniqueMode; windowMs: number | undefined } {
  const { debounce, throttle } = options;
  if (debounce === undefined && throttle === undefined) return { uniqueMode: 'keep', windowMs: undefined };
  const field = debounce !== undefined ? 'options.debounce' : 'options.throttle';
  if (debounce !== undefined && throttle !== undefined) throw new ValidationError('options.debounce', 'give either debounce or throttle, not both');
  if (key === undefined) throw new ValidationError(field, 'needs options.uniqueKey: the calls that share a key are debounced or throttled together');
  if (uniqueForMs !== undefined) throw new ValidationError('options.uniqueFor', `does not go with ${field.slice(8)}, which sets how long the key holds`);
  const windowMs = parseDuration(debounce ?? throttle, field, { min: 1 });
  return { uniqueMode: debounce !== undefined ? 'debounce' : 'throttle', windowMs };
}

/** Throws unless `value` is a priority (see `MIN_PRIORITY`): a whole number from -100 to 100. */
export function checkPriority(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_PRIORITY || value > MAX_PRIORITY) {
    throw new ValidationError(field, `must be a whole number from ${MIN_PRIORITY} to ${MAX_PRIORITY} (higher runs first), got ${describe(value)}`);
  }
  return value;
}

/** Control characters (C0, DEL, C1) and UTF-16 surrogates that are not part of a pair. */
const UNSAFE_KEY = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Throws unless `key` is a unique key every backend stores as given (see `EnqueueOptions.uniqueKey`). */
export function checkUniqueKey(key: unknown, field: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 500) {
    throw new ValidationError(field, `must be a string of 1-500 characters, got ${describe(key)}`);
  }
  const bad = UNSAFE_KEY.exec(key);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new ValidationError(field, `must not contain control characters or lone surrogates; found U+${code} at index ${bad.index}`);
  }
  return key;
}

/**
 * Resolves a `{ delay }` or `{ at }` to epoch ms. `at` is a Date or epoch ms within the range of
 * a Date; a fractional ms is rounded (as JavaScript's own `new Date(1.5)` does, to the ms). A
 * delay must keep the time within that range too.
 */
export function resolveWhen(when: ScheduleWhen | undefined, now: number, field = 'when'): number {
  if (typeof when !== 'object' || when === null) throw new ValidationError(field, "must be { delay: '10m' } or { at: Date }");
  if ('delay' in when && 'at' in when) throw new ValidationError(field, 'give either delay or at, not both');
  if ('delay' in when) return timeAfter(now, parseDuration(when.delay, `${field}.delay`), `${field}.delay`);
  if ('at' in when) return checkTime(when.at, `${field}.at`);
  throw new ValidationError(field, "must be { delay: '10m' } or { at: Date }");
}
