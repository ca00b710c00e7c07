import { ValidationError, errorMessage } from '../errors.js';
import type { ConcurrencyLimit, Json, RateLimit } from '../storage/contract/index.js';
import { MAX_LIMIT, MAX_RATE_WINDOW_MS } from '../storage/contract/index.js';
import { describe, parseDuration, type Duration } from './duration.js';
import { checkUniqueKey } from './job-options.js';

/**
 * `defineJob({ concurrency })`: at most `limit` jobs of this type processing at once across every
 * server and process, per value of `key` (e.g. per tenant) or, without `key`, in all. Enforced by
 * the storage when a server claims a job: a job over its limit is not claimed; it waits in its
 * queue (no worker slot held, no attempt counted) while jobs of other keys pass it.
 */
export interface ConcurrencyOptions<TArgs> {
  /** A whole number from 1 to 100,000 (`MAX_LIMIT`). */
  limit: number;
  /**
   * The group a job belongs to, from its arguments as enqueued: 1-500 characters, no control
   * characters. Computed once, at enqueue, and stored with the job.
   */
  key?: (args: TArgs) => string;
}

/**
 * `defineJob({ rateLimit })`: at most `max` jobs of this type started in any window of `per`,
 * across every server, per value of `key` or in all. A job over the limit waits in its queue and
 * starts as soon as the window allows; servers wake for it by a timer, not by polling.
 */
export interface RateLimitOptions<TArgs> {
  /** A whole number from 1 to 100,000 (`MAX_LIMIT`). */
  max: number;
  /** The window: `'1s'`, `'1m'` or milliseconds, from 1 ms to 1 day. */
  per: Duration;
  /** As `ConcurrencyOptions.key`. */
  key?: (args: TArgs) => string;
}

/** A job definition's concurrency limit, checked. */
export interface DefinedConcurrency {
  readonly limit: number;
  readonly key: ((args: never) => unknown) | undefined;
}

/** A job definition's rate limit, checked, its window in ms. */
export interface DefinedRateLimit {
  readonly max: number;
  readonly perMs: number;
  readonly key: ((args: never) => unknown) | undefined;
}

function checkCount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw new ValidationError(field, `must be a whole number from 1 to ${MAX_LIMIT}, got ${describe(value)}`);
  }
  return value;
}

function checkKeyFunction(value: unknown, field: string): ((args: never) => unknown) | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new ValidationError(field, `must be a function from the job's arguments to a string, got ${describe(value)}`);
  return value as (args: never) => unknown;
}

function checkObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError(field, 'must be an object');
  return value as Record<string, unknown>;
}

/** Checks `defineJob`'s `concurrency`; every problem names its field. */
export function checkConcurrency(value: unknown, field = 'concurrency'): DefinedConcurrency | undefined {
  if (value === undefined) return undefined;
  const o = checkObject(value, field);
  return Object.freeze({ limit: checkCount(o['limit'], `${field}.limit`), key: checkKeyFunction(o['key'], `${field}.key`) });
}

/** Checks `defineJob`'s `rateLimit`; every problem names its field. */
export function checkRateLimit(value: unknown, field = 'rateLimit'): DefinedRateLimit | undefined {
  if (value === undefined) return undefined;
  const o = checkObject(value, field);
  return Object.freeze({
    max: checkCount(o['max'], `${field}.max`),
    perMs: parseDuration(o['per'], `${field}.per`, { min: 1, max: MAX_RATE_WINDOW_MS }),
    key: checkKeyFunction(o['key'], `${field}.key`),
  });
}

/** What a job definition limits, as `limitsOf` reads it. */
export interface LimitedDefinition {
  readonly name: string;
  readonly concurrency: DefinedConcurrency | undefined;
  readonly rateLimit: DefinedRateLimit | undefined;
}

/**
 * The limits a new job carries, computed once at enqueue from its definition and its arguments
 * (the JSON text about to be stored, parsed: what a key function sees is what the job will
 * get). The group key is the job name, or `<job name>:<key value>` with a key function. A key
 * function that throws or returns something that is not a key is a `ValidationError` naming
 * `concurrency.key` or `rateLimit.key`, and nothing is written.
 */
export function limitsOf(definition: LimitedDefinition, argsText: string): { concurrency?: ConcurrencyLimit; rateLimit?: RateLimit } {
  const { concurrency, rateLimit } = definition;
  if (!concurrency && !rateLimit) return {};
  const args = JSON.parse(argsText) as Json;
  const out: { concurrency?: ConcurrencyLimit; rateLimit?: RateLimit } = {};
  if (concurrency) out.concurrency = { key: groupKey(definition.name, concurrency.key, args, 'concurrency.key'), limit: concurrency.limit };
  if (rateLimit) out.rateLimit = { key: groupKey(definition.name, rateLimit.key, args, 'rateLimit.key'), max: rateLimit.max, perMs: rateLimit.perMs };
  return out;
}

function groupKey(name: string, key: ((args: never) => unknown) | undefined, args: Json, field: string): string {
  if (!key) return name;
  let value: unknown;
  try {
    value = (key as (args: Json) => unknown)(args);
  } catch (error) {
    throw new ValidationError(field, `the key function of job '${name}' threw: ${errorMessage(error)}`);
  }
  return `${name}:${checkUniqueKey(value, `${field} (returned by the key function of job '${name}')`)}`;
}
