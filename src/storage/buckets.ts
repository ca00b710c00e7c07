/** Time buckets shared by every backend's statistics: UTC hours, summed into UTC days. */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Start of the UTC hour containing `at`. */
export function hourBucket(at: number): number {
  return Math.floor(at / HOUR_MS) * HOUR_MS;
}

/** Start of the UTC day containing `at`. */
export function dayBucket(at: number): number {
  return Math.floor(at / DAY_MS) * DAY_MS;
}

/**
 * The hours a timeline from `from` to `to` covers: from the start of `from`'s bucket to the end
 * of `to`'s bucket (exclusive). Backends read their hourly counters in this range.
 */
export function timelineRange(unit: 'hour' | 'day', from: number, to: number): { start: number; end: number } {
  return unit === 'hour'
    ? { start: hourBucket(from), end: hourBucket(to) + HOUR_MS }
    : { start: dayBucket(from), end: dayBucket(to) + DAY_MS };
}

/**
 * Turns per-hour counts into a dense series of `unit` buckets from `from` to `to` (inclusive),
 * so charts get a point for every bucket, empty ones included.
 */
export function denseTimeline(
  unit: 'hour' | 'day',
  from: number,
  to: number,
  hours: Iterable<{ at: number; succeeded: number; failed: number }>,
): Array<{ at: number; succeeded: number; failed: number }> {
  const size = unit === 'hour' ? HOUR_MS : DAY_MS;
  const bucket = unit === 'hour' ? hourBucket : dayBucket;
  const sums = new Map<number, { succeeded: number; failed: number }>();
  for (const h of hours) {
    const b = bucket(h.at);
    const s = sums.get(b) ?? { succeeded: 0, failed: 0 };
    s.succeeded += h.succeeded;
    s.failed += h.failed;
    sums.set(b, s);
  }
  const out: Array<{ at: number; succeeded: number; failed: number }> = [];
  for (let at = bucket(from); at <= to; at += size) {
    const s = sums.get(at);
    out.push({ at, succeeded: s?.succeeded ?? 0, failed: s?.failed ?? 0 });
  }
  return out;
}

/** States that block a second job with the same unique key. */
export const ACTIVE_STATES = ['enqueued', 'scheduled', 'awaiting', 'processing'] as const;
