import type { MisfirePolicy } from '../storage/contract/index.js';

/** At most this many missed occurrences are enqueued per pass under `strict`; the rest follow in the next passes. */
export const STRICT_BATCH = 1000;

/**
 * Which occurrences of a recurring job to enqueue now, given its stored `nextExecution`, and the
 * next one to wait for. Missed occurrences (no server was running) follow the misfire policy, as
 * Hangfire's: `relaxed` (default) runs once for any number missed, scheduled at the latest one;
 * `strict` runs once per missed occurrence; `ignorable` runs only if the latest occurrence is no
 * older than `ignorableWindowMs` (two polling intervals), else skips to the next.
 */
export function dueOccurrences(
  next: (after: number) => number | null,
  nextExecution: number,
  now: number,
  misfire: MisfirePolicy,
  ignorableWindowMs: number,
): { run: number[]; nextExecution: number | null } {
  const missed: number[] = [];
  let t: number | null = nextExecution;
  while (t !== null && t <= now) {
    missed.push(t);
    if (misfire === 'strict' && missed.length >= STRICT_BATCH) {
      return { run: missed, nextExecution: next(t) };
    }
    t = next(t);
  }
  if (missed.length === 0) return { run: [], nextExecution: nextExecution };
  const latest = missed[missed.length - 1]!;
  switch (misfire) {
    case 'strict':
      return { run: missed, nextExecution: t };
    case 'ignorable':
      return { run: now - latest <= ignorableWindowMs ? [latest] : [], nextExecution: t };
    default:
      return { run: [latest], nextExecution: t };
  }
}
