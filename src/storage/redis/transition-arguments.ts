/**
 * The arguments of the `TRANSITION` script (lua/transition.ts): changes as plain strings, grouped in
 * runs of consecutive changes that share everything but their id, history entries, expiry and
 * result, so a batch of completions sends 4 arguments per job plus one header.
 *
 * Optional strings that may be empty (server, result) are sent behind a '=', so '' always means
 * absent; the options a completion never has (queue, runAt, attempt, parameters) travel together
 * as one JSON text.
 */
import { hourBucket } from '../buckets.js';
import type { StateEntry, TransitionChange } from '../contract/index.js';
import { encodeParameters, num } from './codec.js';

/** The `hours` field a succeeded / failed entry is counted in, else undefined. */
function hourField(s: StateEntry): string | undefined {
  if (s.name === 'succeeded') return `s:${hourBucket(s.at)}`;
  if (s.name === 'failed') return `f:${hourBucket(s.at)}`;
  return undefined;
}

/** What a run's changes share: expected states, expected server, target state, counters, options. */
type Shared = [string, string, string, string, string];

function shared(c: TransitionChange, now: number): Shared {
  let counts = hourField(c.to) ?? '';
  if (c.passedThrough && c.passedThrough.length > 0) {
    counts = [...c.passedThrough.map(hourField), counts].filter((f) => f !== undefined && f !== '').join(',');
  }
  const options: string[] = [];
  if (c.queue !== undefined) options.push(`"q":${JSON.stringify(c.queue)}`);
  if (c.to.name === 'scheduled') options.push(`"ra":"${num(c.runAt ?? now)}"`);
  if (c.attempt !== undefined) options.push(`"att":"${num(c.attempt)}"`);
  const p = encodeParameters(c.parameters);
  if (p !== undefined) options.push(`"p":${p}`);
  return [
    c.expectStates.join(','),
    c.expectServerId === undefined ? '' : `=${c.expectServerId}`,
    c.to.name,
    counts,
    options.length === 0 ? '' : `{${options.join(',')}}`,
  ];
}

const sameShared = (a: Shared, b: Shared): boolean =>
  a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3] && a[4] === b[4];

/** The history entries a change adds: JSON texts joined by newlines (JSON text has none). */
function history(c: TransitionChange): string {
  const to = JSON.stringify(c.to);
  if (!c.passedThrough || c.passedThrough.length === 0) return to;
  return [...c.passedThrough.map((s) => JSON.stringify(s)), to].join('\n');
}

/** The earliest expireAt among changes, '' if none: when their batch of the expiry log is due. */
function earliestExpiry(changes: TransitionChange[]): string {
  let earliest = Infinity;
  for (const c of changes) {
    if (c.expireAt !== undefined && c.expireAt !== null && c.expireAt < earliest) earliest = c.expireAt;
  }
  return earliest === Infinity ? '' : num(earliest);
}

/** Every argument of one `TRANSITION` call after the key prefix and channel. */
export function transitionArguments(changes: TransitionChange[], now: number): string[] {
  const out = [num(now), earliestExpiry(changes)];
  let run: Shared | undefined;
  let header = 0;
  let size = 0;
  for (const c of changes) {
    const s = shared(c, now);
    if (!run || !sameShared(run, s)) {
      if (run) out[header] = num(size);
      run = s;
      header = out.length;
      size = 0;
      out.push('', ...s);
    }
    size++;
    out.push(
      c.id,
      history(c),
      c.expireAt === undefined || c.expireAt === null ? '' : num(c.expireAt),
      c.result === undefined ? '' : `=${c.result}`,
    );
  }
  if (run) out[header] = num(size);
  return out;
}
