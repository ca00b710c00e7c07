import { ValidationError } from '../errors.js';
import type { Json } from '../storage/contract/index.js';
import { toJsonText } from './args.js';
import { describe, parseDuration, type Duration } from './duration.js';
import { checkQueueName } from './names.js';

/** Options of `enqueue`, `schedule` and `continueWith`. */
export interface EnqueueOptions {
  /** Overrides the job definition's queue. */
  queue?: string;
  /** Extra parameters stored with the job, shown in the dashboard and given as `ctx.parameters`. */
  parameters?: Record<string, Json>;
  /**
   * Unique jobs: while a job with this key is enqueued, scheduled, awaiting or processing, no
   * second one is created and its id is returned instead. Enforced by the storage, race-free.
   */
  uniqueKey?: string;
  /** How long the unique key blocks at most (default: as long as the job is active). */
  uniqueFor?: Duration;
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
  tx: unknown;
}

export function checkEnqueueOptions(options: EnqueueOptions | undefined): CheckedEnqueueOptions {
  if (options === undefined) return { queue: undefined, parameters: {}, uniqueKey: undefined, uniqueForMs: undefined, onDuplicate: 'existing', tx: undefined };
  if (typeof options !== 'object' || options === null) throw new ValidationError('options', 'must be an object');
  const queue = options.queue === undefined ? undefined : checkQueueName(options.queue, 'options.queue');
  let parameters: Record<string, Json> = {};
  if (options.parameters !== undefined) {
    if (typeof options.parameters !== 'object' || options.parameters === null || Array.isArray(options.parameters)) {
      throw new ValidationError('options.parameters', 'must be an object');
    }
    parameters = JSON.parse(toJsonText(options.parameters, 'options.parameters')) as Record<string, Json>;
  }
  const key = options.uniqueKey;
  if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > 500)) {
    throw new ValidationError('options.uniqueKey', `must be a string of 1-500 characters, got ${describe(key)}`);
  }
  const uniqueForMs = options.uniqueFor === undefined ? undefined : parseDuration(options.uniqueFor, 'options.uniqueFor');
  if (uniqueForMs !== undefined && key === undefined) throw new ValidationError('options.uniqueFor', 'needs options.uniqueKey');
  const onDuplicate = options.onDuplicate ?? 'existing';
  if (onDuplicate !== 'existing' && onDuplicate !== 'throw') throw new ValidationError('options.onDuplicate', `must be 'existing' or 'throw', got ${describe(onDuplicate)}`);
  if (options.onDuplicate !== undefined && key === undefined) throw new ValidationError('options.onDuplicate', 'needs options.uniqueKey');
  return { queue, parameters, uniqueKey: key, uniqueForMs, onDuplicate, tx: options.tx };
}

/** Resolves a `{ delay }` or `{ at }` to epoch ms. */
export function resolveWhen(when: ScheduleWhen | undefined, now: number, field = 'when'): number {
  if (typeof when !== 'object' || when === null) throw new ValidationError(field, "must be { delay: '10m' } or { at: Date }");
  if ('delay' in when && 'at' in when) throw new ValidationError(field, 'give either delay or at, not both');
  if ('delay' in when) return now + parseDuration(when.delay, `${field}.delay`);
  if ('at' in when) {
    const at = when.at instanceof Date ? when.at.getTime() : when.at;
    if (typeof at !== 'number' || !Number.isFinite(at)) throw new ValidationError(`${field}.at`, `must be a valid Date or epoch ms, got ${describe(when.at)}`);
    return at;
  }
  throw new ValidationError(field, "must be { delay: '10m' } or { at: Date }");
}
