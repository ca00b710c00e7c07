/**
 * Translation between the contract's jobs and what the job scripts exchange (the hash layout is
 * in keys.ts): compact JSON going in to `createJobs` (decoded by cjson), flat field/value arrays
 * or pasted-together JSON coming out. What `transition` sends is in transition-arguments.ts.
 *
 * Numbers are sent as decimal strings and JSON values that Redis stores (history entries,
 * parameter values, results) as JSON text, so cjson only ever handles strings: it never re-encodes
 * a user's value (cjson would turn `[]` into `{}` and round numbers to 14 digits).
 */
import { claimedJob } from '../claimed-job.js';
import type { ConcurrencyLimit, FetchOptions, Json, JobRecord, NewJob, RateLimit, StateEntry, StateName } from '../contract/index.js';

/** A job as `createJobs` in `lua/library.ts` reads it. */
interface EncodedJob {
  id: string;
  /** The immutable part of the record, as the `j` field stores it (see `ImmutablePart`). */
  j: string;
  n: string;
  q: string;
  s: StateName;
  /** The first history entry. */
  e: string;
  ra?: string;
  pid?: string;
  p?: string;
  uk?: string;
  uu?: string;
  ln?: string;
  /** Unique mode: 'd' debounce, 't' throttle, absent keep. */
  um?: 'd' | 't';
  /** Flow control (see keys.ts), each absent when the job has none: priority, concurrency key and limit, rate key, max and window. */
  pr?: string;
  ck?: string;
  cl?: string;
  rk?: string;
  rm?: string;
  rp?: string;
}

/**
 * What a job's `j` field holds: the fields of its record that only a debounced call's replacement
 * changes (the args and the flow-control members), and none other does. The replaceable members
 * come last, from `args` on, so `lua/job-creation.ts` swaps them by position; the flow-control
 * members are absent when the job has none (priority 0, no limits).
 */
interface ImmutablePart {
  id: string;
  name: string;
  createdAt: number;
  parentId: string | null;
  uniqueKey: string | null;
  args: string;
  priority?: number;
  concurrency?: ConcurrencyLimit;
  rateLimit?: RateLimit;
}

/** A number as the scripts take it: decimal text, stored as given. */
export const num = (n: number): string => String(n);
/** A stored number that may be absent or '' (null). */
export const optNumber = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));
const optString = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

/**
 * Parameters as the `params` field stores them: a JSON object whose values are the parameters'
 * JSON texts (strings only, so the scripts can merge them with cjson without touching a value).
 * Undefined when there are none.
 */
export function encodeParameters(parameters: { [key: string]: Json } | undefined): string | undefined {
  if (!parameters) return undefined;
  const members: string[] = [];
  for (const [k, v] of Object.entries(parameters)) {
    if (v !== undefined) members.push(`${JSON.stringify(k)}:${JSON.stringify(JSON.stringify(v))}`);
  }
  return members.length > 0 ? `{${members.join(',')}}` : undefined;
}

/** Turns the values of a parsed `params` object from JSON texts into values, in place. */
function parseValues(texts: { [key: string]: unknown }): { [key: string]: Json } {
  // An own `__proto__` key (possible: JSON.parse makes it an own property) is assigned as one.
  for (const k of Object.keys(texts)) texts[k] = JSON.parse(String(texts[k])) as Json;
  return texts as { [key: string]: Json };
}

function decodeParameters(text: string | undefined): { [key: string]: Json } {
  return text === undefined || text === '' ? {} : parseValues(JSON.parse(text) as { [key: string]: unknown });
}

const NON_ASCII = /[^\x00-\x7f]/;

export function encodeNewJob(job: NewJob): EncodedJob {
  const immutable: ImmutablePart = {
    id: job.id,
    name: job.name,
    createdAt: job.createdAt,
    parentId: job.parentId ?? null,
    uniqueKey: job.uniqueKey ?? null,
    args: job.args,
  };
  const e: EncodedJob = {
    id: job.id,
    j: '',
    n: job.name,
    q: job.queue,
    s: job.state.name,
    e: JSON.stringify(job.state),
  };
  if (job.runAt !== undefined && job.runAt !== null) e.ra = num(job.runAt);
  if (job.parentId !== undefined && job.parentId !== null) e.pid = job.parentId;
  const p = encodeParameters(job.parameters);
  if (p !== undefined) e.p = p;
  if (job.uniqueKey !== undefined && job.uniqueKey !== null) e.uk = job.uniqueKey;
  if (job.uniqueUntil !== undefined && job.uniqueUntil !== null) e.uu = num(job.uniqueUntil);
  // Lua's string.lower only knows ASCII: the dashboard's case-insensitive search gets the
  // JavaScript lower case of names that need it.
  if (NON_ASCII.test(job.name)) e.ln = job.name.toLowerCase();
  if (job.uniqueMode === 'debounce') e.um = 'd';
  else if (job.uniqueMode === 'throttle') e.um = 't';
  if (job.priority !== undefined && job.priority !== 0) {
    immutable.priority = job.priority;
    e.pr = num(job.priority);
  }
  if (job.concurrency) {
    immutable.concurrency = { key: job.concurrency.key, limit: job.concurrency.limit };
    e.ck = job.concurrency.key;
    e.cl = num(job.concurrency.limit);
  }
  if (job.rateLimit) {
    immutable.rateLimit = { key: job.rateLimit.key, max: job.rateLimit.max, perMs: job.rateLimit.perMs };
    e.rk = job.rateLimit.key;
    e.rm = num(job.rateLimit.max);
    e.rp = num(job.rateLimit.perMs);
  }
  e.j = JSON.stringify(immutable);
  return e;
}

/** Parameters for `MERGE_PARAMETERS` (the JSON object of JSON texts, `{}` when empty). */
export function mergeArgument(parameters: { [key: string]: Json }): string {
  return encodeParameters(parameters) ?? '{}';
}

/** One claimed job as the fetch script returns it (see `lua/fetch.ts`). */
type ClaimedRow = [ImmutablePart, number, number, number | null, number | null, { [key: string]: unknown } | null, string | null];

/** The records of the jobs a fetch claimed: the stored part from Redis, the new state from the call. */
export function decodeClaimed(reply: unknown, o: FetchOptions): JobRecord[] {
  const rows = JSON.parse(String(reply)) as ClaimedRow[];
  return rows.map(([j, queue, attempt, runAt, expireAt, params, result]) =>
    claimedJob(
      {
        id: j.id,
        name: j.name,
        queue: o.queues[queue - 1] ?? '',
        args: j.args,
        createdAt: j.createdAt,
        attempt,
        parameters: params === null ? {} : parseValues(params),
        runAt,
        parentId: j.parentId,
        expireAt,
        result,
        uniqueKey: j.uniqueKey,
        priority: j.priority ?? 0,
        concurrency: j.concurrency ?? null,
        rateLimit: j.rateLimit ?? null,
      },
      o,
    ),
  );
}

/** Field/value pairs, as HGETALL and the scripts' records return them. */
export function pairs(flat: unknown): Map<string, string> {
  const m = new Map<string, string>();
  if (!Array.isArray(flat)) return m;
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(String(flat[i]), String(flat[i + 1]));
  return m;
}

/** A stored job with its sequence number (creation order), which the contract does not show. */
export interface SequencedRecord {
  record: JobRecord;
  seq: number;
}

/** A record as the scripts return it: the job hash without `hist`, plus `cur`, its last entry. */
export function decodeJob(flat: unknown): SequencedRecord {
  const m = pairs(flat);
  const j = JSON.parse(m.get('j') ?? '{}') as ImmutablePart;
  const cur = JSON.parse(m.get('cur') ?? '{}') as StateEntry;
  const record: JobRecord = {
    id: j.id,
    name: j.name,
    queue: m.get('queue') ?? '',
    args: j.args,
    state: (m.get('state') ?? 'enqueued') as StateName,
    stateReason: cur.reason ?? null,
    stateData: cur.data ?? null,
    createdAt: j.createdAt,
    stateAt: cur.at,
    attempt: Number(m.get('attempt') ?? 1),
    parameters: decodeParameters(m.get('params')),
    runAt: optNumber(m.get('runAt')),
    parentId: j.parentId,
    serverId: optString(m.get('serverId')),
    leaseUntil: optNumber(m.get('leaseUntil')),
    expireAt: optNumber(m.get('expireAt')),
    result: m.get('result') ?? null,
    uniqueKey: j.uniqueKey,
    priority: j.priority ?? 0,
    concurrency: j.concurrency ?? null,
    rateLimit: j.rateLimit ?? null,
  };
  return { record, seq: Number(m.get('seq') ?? 0) };
}

/** The stored history text: JSON entries joined by newlines. */
export function decodeHistory(text: string): StateEntry[] {
  return text === '' ? [] : (JSON.parse(`[${text.replaceAll('\n', ',')}]`) as StateEntry[]);
}
