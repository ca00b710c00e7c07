import { ValidationError } from '../../errors.js';
import { hourBucket } from '../buckets.js';
import type { NewJob, StateEntry, StateName, TransitionChange } from '../contract/index.js';
import { pgJson } from './storable-text.js';

/**
 * Postgres's wire format for batches: how a list of jobs or of changes travels to one function
 * call as one parameter per column, unnested together in SQL (arrays cost Postgres a fraction of
 * what `json_to_recordset` does: measured 0.08 vs 0.52 ms per 100 changes).
 *
 * Most columns travel as one text joined by U+001E and are split by `string_to_array`, so nothing
 * is quoted on this side or unquoted on the other (node-pg's array quoting was 5% of a drain's
 * CPU): the JSON texts (history entries, state data, parameters, results), which never contain
 * that character unescaped, with `''` for null (no JSON text is empty); and the ids, states,
 * server ids and queue names, which the engine makes and which are checked not to contain it,
 * with U+001F for null. Numbers go as array literals built here. Only the reasons, free text, go
 * as a quoted array.
 *
 * What Postgres refuses is made storable here (see `storable-text.ts`): the JSON texts bound for
 * `jsonb` (state data, parameters) and the history entries (so an entry reads as its state's
 * columns do) with `pgJson`; every other text by `PostgresContext.run`. Arguments and results
 * are `text` columns and keep their JSON escapes exactly.
 */

/** The separator of the texts that carry one column of a batch. */
const SEPARATOR = '\x1e';
/** The stand-in for null among names. */
const NULL_MARK = '\x1f';

/**
 * Joins names for `string_to_array(text, E'\x1e', E'\x1f')`. `field` names them in the
 * `ValidationError` thrown for a name that holds either mark, since it would be cut in two.
 */
export function joinNames(values: (string | null)[], field: string): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v != null && (v.includes(SEPARATOR) || v.includes(NULL_MARK))) {
      const problem = `${JSON.stringify(v)} contains U+001E or U+001F, which the Postgres storage cannot carry`;
      throw new ValidationError(field, problem);
    }
    out += (i === 0 ? '' : SEPARATOR) + (v ?? NULL_MARK);
  }
  return out;
}

/** An array literal of numbers, `{1,NULL,3}`: what node-pg would send, without quoting each one. */
export function numberArray(values: (number | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) out += (i === 0 ? '' : ',') + (values[i] ?? 'NULL');
  return out + '}';
}

/**
 * `JSON.stringify(entry)` for a history entry whose data is already JSON text: the state data is
 * stringified once for its column and pasted here, not a second time (a worker's completions are
 * most of what a drain sends).
 */
export function entryJson(entry: StateEntry, data: string | undefined): string {
  let out = `{"name":${JSON.stringify(entry.name)}`;
  if (entry.reason !== undefined) out += `,"reason":${JSON.stringify(entry.reason)}`;
  if (data !== undefined) out += `,"data":${data}`;
  return `${out},"at":${JSON.stringify(entry.at)}}`;
}

/**
 * Jobs without unique keys as `insert_jobs` takes them: one text or array per column. A JSON
 * text cut at U+001E could not happen (JSON never holds it unescaped); names and ids are checked.
 */
export function newJobColumns(jobs: NewJob[]): unknown[] {
  const n = jobs.length;
  const ids: string[] = new Array(n);
  const names: string[] = new Array(n);
  const queues: string[] = new Array(n);
  const args: string[] = new Array(n);
  const states: string[] = new Array(n);
  const reasons: (string | null)[] = new Array(n);
  const data: string[] = new Array(n);
  const created: number[] = new Array(n);
  const at: number[] = new Array(n);
  const runAt: (number | null)[] = new Array(n);
  const parents: (string | null)[] = new Array(n);
  const parameters: string[] = new Array(n);
  const entries: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const j = jobs[i]!;
    const d = j.state.data === undefined ? undefined : JSON.stringify(j.state.data);
    ids[i] = j.id;
    names[i] = j.name;
    queues[i] = j.queue;
    args[i] = j.args;
    states[i] = j.state.name;
    reasons[i] = j.state.reason ?? null;
    data[i] = d ?? '';
    created[i] = j.createdAt;
    at[i] = j.state.at;
    runAt[i] = j.runAt ?? null;
    parents[i] = j.parentId ?? null;
    parameters[i] = Object.keys(j.parameters).length === 0 ? '' : JSON.stringify(j.parameters);
    entries[i] = entryJson(j.state, d);
  }
  if (args.some((a) => a.includes(SEPARATOR))) {
    throw new ValidationError('args', 'contains U+001E, which the Postgres storage cannot carry');
  }
  return [
    joinNames(ids, 'id'),
    joinNames(names, 'name'),
    joinNames(queues, 'queue'),
    args.join(SEPARATOR),
    joinNames(states, 'state.name'),
    reasons,
    pgJson(data.join(SEPARATOR)),
    numberArray(created),
    numberArray(at),
    numberArray(runAt),
    joinNames(parents, 'parentId'),
    pgJson(parameters.join(SEPARATOR)),
    pgJson(entries.join(SEPARATOR)),
    ...flowColumns(jobs),
  ];
}

/**
 * The priority and limits of a batch as `insert_jobs` takes them: six nulls when no job of the
 * batch has any (the plain batch sends nothing more), else one text or array per column.
 */
export function flowColumns(jobs: NewJob[]): unknown[] {
  if (!jobs.some((j) => (j.priority !== undefined && j.priority !== 0) || j.concurrency || j.rateLimit)) {
    return [null, null, null, null, null, null];
  }
  return [
    numberArray(jobs.map((j) => j.priority ?? 0)),
    joinNames(
      jobs.map((j) => j.concurrency?.key ?? null),
      'concurrency.key',
    ),
    numberArray(jobs.map((j) => j.concurrency?.limit ?? null)),
    joinNames(
      jobs.map((j) => j.rateLimit?.key ?? null),
      'rateLimit.key',
    ),
    numberArray(jobs.map((j) => j.rateLimit?.max ?? null)),
    numberArray(jobs.map((j) => j.rateLimit?.perMs ?? null)),
  ];
}

/**
 * Jobs of a batch with unique keys, as `create_jobs` takes them: one JSON array. `i` is each
 * job's position, which the function reports back for the jobs a key turned away.
 */
export function keyedJobsJson(jobs: NewJob[]): string {
  return jsonbText(
    jobs.map((j, i) => ({
      i,
      id: j.id,
      name: j.name,
      queue: j.queue,
      args: j.args,
      state: j.state,
      createdAt: j.createdAt,
      runAt: j.runAt,
      parentId: j.parentId,
      parameters: j.parameters,
      uniqueKey: j.uniqueKey,
      uniqueUntil: j.uniqueUntil,
      uniqueMode: j.uniqueMode,
      priority: j.priority,
      ck: j.concurrency?.key,
      cl: j.concurrency?.limit,
      rk: j.rateLimit?.key,
      rm: j.rateLimit?.max,
      rp: j.rateLimit?.perMs,
    })),
  );
}

/** A value as JSON text that `jsonb` (or `json` read field by field) takes: see `pgJson`. */
export function jsonbText(value: unknown): string {
  return pgJson(JSON.stringify(value));
}

/**
 * A batch of changes as `transition_jobs` takes them: one array per field (see the top of this
 * file). The history entries arrive as the text to append and the counters as each change's
 * successes and failures in the UTC hour `hb`, so the statement does no JSON work beyond storing
 * the state data.
 */
export class ChangeColumns {
  /** Position of each row in the caller's list of changes. */
  readonly positions: number[] = [];
  private readonly ids: string[] = [];
  /** Expected states, joined by commas. */
  private readonly expect: string[] = [];
  private readonly serverIds: (string | null)[] = [];
  /** The entries of `passedThrough` and `to`, as JSON texts joined by commas. */
  private readonly entries: string[] = [];
  private readonly names: StateName[] = [];
  private readonly reasons: (string | null)[] = [];
  private readonly data: string[] = [];
  private readonly at: number[] = [];
  private readonly queues: (string | null)[] = [];
  private readonly runAt: (number | null)[] = [];
  private readonly expireAt: (number | null)[] = [];
  private readonly attempts: (number | null)[] = [];
  private readonly parameters: string[] = [];
  private readonly results: string[] = [];
  private readonly succeeded: number[] = [];
  private readonly failed: number[] = [];
  private readonly hours: (number | null)[] = [];

  add(c: TransitionChange, position: number): void {
    const to = c.to;
    this.positions.push(position);
    this.ids.push(c.id);
    this.expect.push(c.expectStates.join(','));
    this.serverIds.push(c.expectServerId ?? null);
    this.names.push(to.name);
    this.reasons.push(to.reason ?? null);
    const data = to.data === undefined ? undefined : JSON.stringify(to.data);
    this.data.push(data ?? '');
    this.at.push(to.at);
    let entries = '';
    let succeeded = 0;
    let failed = 0;
    let hourOf: number | undefined;
    for (const entry of c.passedThrough ?? []) {
      entries += JSON.stringify(entry) + ',';
      if (entry.name === 'succeeded') succeeded++;
      else if (entry.name === 'failed') failed++;
      else continue;
      hourOf ??= entry.at;
    }
    this.entries.push(entries + entryJson(to, data));
    if (to.name === 'succeeded') succeeded++;
    else if (to.name === 'failed') failed++;
    // Counted in the hour of "to" when it counts, else of the first counted entry: the entries
    // of one change are made at one moment, so they share it.
    if (to.name === 'succeeded' || to.name === 'failed') hourOf = to.at;
    this.succeeded.push(succeeded);
    this.failed.push(failed);
    this.hours.push(hourOf === undefined ? null : hourBucket(hourOf));
    this.queues.push(c.queue ?? null);
    this.runAt.push(c.runAt ?? null);
    this.expireAt.push(c.expireAt ?? null);
    this.attempts.push(c.attempt ?? null);
    this.parameters.push(c.parameters === undefined ? '' : JSON.stringify(c.parameters));
    this.results.push(c.result ?? '');
  }

  /** The statement's parameters before `now` and `reacquire`, in its order. */
  values(): unknown[] {
    return [
      joinNames(this.ids, 'id'),
      joinNames(this.expect, 'expectStates'),
      joinNames(this.serverIds, 'expectServerId'),
      pgJson(this.entries.join(SEPARATOR)),
      joinNames(this.names, 'to.name'),
      this.reasons,
      pgJson(this.data.join(SEPARATOR)),
      numberArray(this.at),
      joinNames(this.queues, 'queue'),
      numberArray(this.runAt),
      numberArray(this.expireAt),
      numberArray(this.attempts),
      pgJson(this.parameters.join(SEPARATOR)),
      this.results.join(SEPARATOR),
      numberArray(this.succeeded),
      numberArray(this.failed),
      numberArray(this.hours),
    ];
  }
}
