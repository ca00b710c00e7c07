/**
 * The sliding window of a rate limit, as the contract defines it (see `FetchOptions`), for the
 * backends that compute it in JavaScript (memory, SQLite). A start at `t` is counted at `now`
 * while `t > now - perMs`, so a full window reopens at its `max`-th most recent start + `perMs`.
 * Postgres and Redis compute the same in SQL and Lua.
 */

/** How many of `starts` are counted at `now`. */
export function startsInWindow(starts: readonly number[], now: number, perMs: number): number {
  let n = 0;
  for (const t of starts) if (t > now - perMs) n++;
  return n;
}

/**
 * When a window of `max` per `perMs` that is full at `now` reopens: its `max`-th most recent
 * start + `perMs`. Null when it is not full at `now`.
 */
export function windowReopensAt(starts: readonly number[], now: number, max: number, perMs: number): number | null {
  const counted = starts.filter((t) => t > now - perMs).sort((a, b) => b - a);
  if (counted.length < max) return null;
  return counted[max - 1]! + perMs;
}

/** The earlier of two times, either possibly null (nothing to wait for). */
export function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
