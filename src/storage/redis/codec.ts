/**
 * Translation between the contract's objects and what the Lua scripts exchange: compact JSON
 * going in (decoded by cjson), flat field/value arrays coming out.
 *
 * Numbers are sent as decimal strings and JSON values that Redis stores (state data, parameter
 * values, history entries) as JSON text, so cjson only ever handles strings: it never re-encodes
 * a user's value (cjson would turn `[]` into `{}` and round numbers to 14 digits).
 */
import { hourBucket } from '../buckets.js';
import type {
  Json,
  JobRecord,
  NewJob,
  RecurringJobRecord,
  StateEntry,
  StateName,
  TransitionChange,
} from '../storage.js';

/** A job as `createJobs` in `lua/library.ts` reads it. */
interface EncodedJob {
  id: string;
  n: string;
  q: string;
  a: string;
  s: StateName;
  r?: string;
  d?: string;
  sa: string;
  e: string;
  c: string;
  ra?: string;
  pid?: string;
  p?: Array<[string, string]>;
  uk?: string;
  uu?: string;
  ln?: string;
}

/** A history entry as the transition script reads it. */
interface EncodedEntry {
  n: StateName;
  j: string;
  at: string;
  r?: string;
  d?: string;
  /** The UTC hour of `at`, for succeeded / failed entries (counted in the hourly statistics). */
  hb?: string;
}

/** A change as the transition script reads it. */
interface EncodedChange {
  id: string;
  es: StateName[];
  sv?: string;
  pt?: EncodedEntry[];
  to: EncodedEntry;
  q?: string;
  ra?: string;
  ex?: string;
  att?: string;
  p?: Array<[string, string]>;
  res?: string;
}

const num = (n: number): string => String(n);

/**
 * How a job hash stores nullable values (see `createJobs` in lua/library.ts): '' is null, so
 * every state change is one HSET; a reason is stored behind a '=' so that an empty reason stays
 * distinct from none.
 */
const storedReason = (reason: string): string => `=${reason}`;
const readReason = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v.slice(1));
const optNumber = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));
const optString = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

function encodeParameters(parameters: { [key: string]: Json } | undefined): Array<[string, string]> | undefined {
  if (!parameters) return undefined;
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(parameters)) {
    if (v !== undefined) out.push([k, JSON.stringify(v)]);
  }
  return out.length > 0 ? out : undefined;
}

function encodeEntry(s: StateEntry): EncodedEntry {
  const e: EncodedEntry = { n: s.name, j: JSON.stringify(s), at: num(s.at) };
  if (s.reason !== undefined && s.reason !== null) e.r = storedReason(s.reason);
  if (s.data) e.d = JSON.stringify(s.data);
  if (s.name === 'succeeded' || s.name === 'failed') e.hb = num(hourBucket(s.at));
  return e;
}

const NON_ASCII = /[^\x00-\x7f]/;

export function encodeNewJob(job: NewJob): EncodedJob {
  const e: EncodedJob = {
    id: job.id,
    n: job.name,
    q: job.queue,
    a: job.args,
    s: job.state.name,
    sa: num(job.state.at),
    e: JSON.stringify(job.state),
    c: num(job.createdAt),
  };
  if (job.state.reason !== undefined && job.state.reason !== null) e.r = storedReason(job.state.reason);
  if (job.state.data) e.d = JSON.stringify(job.state.data);
  if (job.runAt !== undefined && job.runAt !== null) e.ra = num(job.runAt);
  if (job.parentId !== undefined && job.parentId !== null) e.pid = job.parentId;
  const p = encodeParameters(job.parameters);
  if (p) e.p = p;
  if (job.uniqueKey !== undefined && job.uniqueKey !== null) e.uk = job.uniqueKey;
  if (job.uniqueUntil !== undefined && job.uniqueUntil !== null) e.uu = num(job.uniqueUntil);
  // Lua's string.lower only knows ASCII: the dashboard's case-insensitive search gets the
  // JavaScript lower case of names that need it.
  if (NON_ASCII.test(job.name)) e.ln = job.name.toLowerCase();
  return e;
}

export function encodeChange(c: TransitionChange): EncodedChange {
  const e: EncodedChange = { id: c.id, es: c.expectStates, to: encodeEntry(c.to) };
  if (c.expectServerId !== undefined) e.sv = c.expectServerId;
  if (c.passedThrough && c.passedThrough.length > 0) e.pt = c.passedThrough.map(encodeEntry);
  if (c.queue !== undefined) e.q = c.queue;
  if (c.runAt !== undefined && c.runAt !== null) e.ra = num(c.runAt);
  if (c.expireAt !== undefined && c.expireAt !== null) e.ex = num(c.expireAt);
  if (c.attempt !== undefined) e.att = num(c.attempt);
  const p = encodeParameters(c.parameters);
  if (p) e.p = p;
  if (c.result !== undefined) e.res = c.result;
  return e;
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

export function decodeJob(flat: unknown): SequencedRecord {
  const m = pairs(flat);
  const parameters: { [key: string]: Json } = {};
  for (const [k, v] of m) {
    if (k.startsWith('p:')) parameters[k.slice(2)] = JSON.parse(v) as Json;
  }
  const data = m.get('data');
  const record: JobRecord = {
    id: m.get('id') ?? '',
    name: m.get('name') ?? '',
    queue: m.get('queue') ?? '',
    args: m.get('args') ?? '',
    state: (m.get('state') ?? 'enqueued') as StateName,
    stateReason: readReason(m.get('reason')),
    stateData: data === undefined || data === '' ? null : (JSON.parse(data) as { [key: string]: Json }),
    createdAt: Number(m.get('createdAt')),
    stateAt: Number(m.get('stateAt')),
    attempt: Number(m.get('attempt') ?? 1),
    parameters,
    runAt: optNumber(m.get('runAt')),
    parentId: m.get('parentId') ?? null,
    serverId: optString(m.get('serverId')),
    leaseUntil: optNumber(m.get('leaseUntil')),
    expireAt: optNumber(m.get('expireAt')),
    result: m.get('result') ?? null,
    uniqueKey: m.get('uniqueKey') ?? null,
  };
  return { record, seq: Number(m.get('seq') ?? 0) };
}

/** The stored history text: JSON entries joined by commas. */
export function decodeHistory(text: string): StateEntry[] {
  return text === '' ? [] : (JSON.parse(`[${text}]`) as StateEntry[]);
}

/** Field/value pairs of a recurring definition's hash, `null`s left out. */
export function encodeRecurring(r: RecurringJobRecord): string[] {
  const out = [
    'name', r.name,
    'queue', r.queue,
    'args', r.args,
    'cron', r.cron,
    'timeZone', r.timeZone,
    'misfire', r.misfire,
    'paused', r.paused ? '1' : '0',
    'createdAt', num(r.createdAt),
  ];
  if (r.nextExecution !== null) out.push('nextExecution', num(r.nextExecution));
  if (r.lastExecution !== null) out.push('lastExecution', num(r.lastExecution));
  if (r.lastJobId !== null) out.push('lastJobId', r.lastJobId);
  if (r.error !== null) out.push('error', r.error);
  return out;
}

export function decodeRecurring(id: string, flat: unknown): RecurringJobRecord {
  const m = pairs(flat);
  return {
    id,
    name: m.get('name') ?? '',
    queue: m.get('queue') ?? '',
    args: m.get('args') ?? '',
    cron: m.get('cron') ?? '',
    timeZone: m.get('timeZone') ?? '',
    misfire: (m.get('misfire') ?? 'relaxed') as RecurringJobRecord['misfire'],
    nextExecution: optNumber(m.get('nextExecution')),
    lastExecution: optNumber(m.get('lastExecution')),
    lastJobId: m.get('lastJobId') ?? null,
    paused: m.get('paused') === '1',
    createdAt: Number(m.get('createdAt')),
    error: m.get('error') ?? null,
  };
}
