import { checkJson } from '../jobs/args.js';
import { MAX_TIME } from '../jobs/duration.js';
import { QUEUE_NAME } from '../jobs/names.js';
import { errorMessage } from '../errors.js';
import { STATE_NAMES, type StateEntry, type TransitionChange } from '../storage/contract/index.js';

/** The most characters of a storage error kept in the reason of a job whose completion could not be stored. */
const MAX_REASON = 500;

/** The largest attempt number every backend stores (a Postgres `integer`). */
const MAX_ATTEMPT = 2 ** 31 - 1;

/**
 * Makes a change that ends a run safe to hand to storage, before it is batched with others: every
 * time a whole number of ms within the range of a Date (a fraction is rounded, in place; an
 * `expireAt` past the range is kept until the end of time), the attempt a whole number, the
 * queue a queue name, parameters and state data plain JSON. Returns what is wrong when the
 * change cannot be made safe (a NaN `runAt` from a filter, a cyclic parameter): the completer
 * then records the job as failed with that reason instead, and the change never reaches storage.
 */
export function makeStorable(change: TransitionChange): string | undefined {
  const at = time(change.to.at, 'the state time');
  if (typeof at === 'string') return at;
  change.to.at = at;
  const problem = entryProblem(change.to, 'the state');
  if (problem) return problem;
  if (change.passedThrough) {
    for (const entry of change.passedThrough) {
      const t = time(entry.at, 'a state passed through');
      if (typeof t === 'string') return t;
      entry.at = t;
      const p = entryProblem(entry, 'a state passed through');
      if (p) return p;
    }
  }
  if (change.runAt !== undefined) {
    const runAt = time(change.runAt, 'runAt');
    if (typeof runAt === 'string') return runAt;
    change.runAt = runAt;
  }
  if (change.expireAt !== undefined && change.expireAt !== null) {
    const e = change.expireAt;
    if (typeof e !== 'number' || Number.isNaN(e)) return `expireAt is ${String(e)}, not a time`;
    change.expireAt = Math.min(MAX_TIME, Math.max(-MAX_TIME, Math.round(e)));
  }
  if (change.attempt !== undefined && (!Number.isInteger(change.attempt) || change.attempt < 1 || change.attempt > MAX_ATTEMPT)) {
    return `attempt is ${String(change.attempt)}, not a whole number from 1 to ${MAX_ATTEMPT}`;
  }
  if (change.queue !== undefined && (typeof change.queue !== 'string' || !QUEUE_NAME.test(change.queue))) {
    return `queue ${storableText(String(change.queue), 100)} is not a queue name`;
  }
  if (change.parameters !== undefined) {
    if (typeof change.parameters !== 'object' || change.parameters === null || Array.isArray(change.parameters)) return 'parameters are not an object';
    const p = jsonProblem(change.parameters, 'parameters');
    if (p) return p;
  }
  return undefined;
}

/**
 * The change that records a job as `failed` because the change that should have ended its run
 * cannot be stored: the same compare-and-set (the job must still be this server's), a short
 * reason made of storable text, nothing else (no result, parameters or placement that could be
 * what the storage refused). Not passed through the retry filter: the job ran, and running it
 * again by itself could repeat what it did; people can requeue it.
 */
export function failedInstead(change: TransitionChange, problem: string, now: number): TransitionChange {
  const reason = `Its completion could not be stored: ${storableText(problem, MAX_REASON)}`;
  const failed: TransitionChange = {
    id: change.id,
    expectStates: change.expectStates,
    to: { name: 'failed', reason, at: now, data: { error: reason, type: 'CompletionNotStored' } },
  };
  if (change.expectServerId !== undefined) failed.expectServerId = change.expectServerId;
  return failed;
}

/**
 * Text every backend stores as given: control characters other than tab and newline (U+0000,
 * which Postgres refuses, first of all) and lone surrogates are written as `\uXXXX` escapes, so
 * a reader still sees what was there; cut to `max` characters.
 */
export function storableText(text: string, max: number): string {
  const clean = text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}

function time(value: unknown, what: string): number | string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${what} is ${String(value)}, not a time`;
  const ms = Math.round(value);
  if (Math.abs(ms) > MAX_TIME) return `${what} (${value}) is outside the range of a Date`;
  return ms;
}

function entryProblem(entry: StateEntry, what: string): string | undefined {
  if (!STATE_NAMES.includes(entry.name)) return `${what} is ${storableText(String(entry.name), 100)}, not a state`;
  if (entry.reason !== undefined && typeof entry.reason !== 'string') return `the reason of ${what} is not text`;
  if (entry.data !== undefined) return jsonProblem(entry.data, `the data of ${what}`);
  return undefined;
}

function jsonProblem(value: unknown, what: string): string | undefined {
  if (flatJson(value)) return undefined;
  try {
    checkJson(value, what);
    return undefined;
  } catch (e) {
    return errorMessage(e);
  }
}

/** The common case without the walk: a plain object of strings, finite numbers, booleans and nulls. */
function flatJson(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== null && typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) return false;
  }
  return true;
}
