import { ValidationError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The latest epoch millisecond a JavaScript `Date` can hold (+275760-09-13), and minus it the
 * earliest. Every time Kiln stores lies within ±MAX_TIME, so every backend, the dashboard and
 * `new Date(t)` can read it back.
 */
export const MAX_TIME = 8.64e15;

/**
 * The longest delay Node's timers keep: 2³¹−1 ms (about 24.8 days). A longer one is turned into
 * 1 ms with only a warning, so a duration that drives a timer (a poll interval, a job timeout,
 * a shutdown timeout) is refused past it rather than firing at once.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The longest duration accepted: half the range of a Date (about 137,000 years), so that now plus
 * any duration (a delay, a retention, a unique key's lifetime) is still a time a Date can hold.
 */
export const MAX_DURATION_MS = MAX_TIME / 2;

/** A duration: milliseconds, or a string like `'500ms'`, `'30s'`, `'10m'`, `'2h'`, `'1d'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

/** The bounds of a duration, in ms. */
export interface DurationLimits {
  /** Default 0. */
  min?: number;
  /** Default `MAX_DURATION_MS`; `MAX_TIMER_MS` for durations that drive a timer. */
  max?: number;
}

/**
 * Parses a duration to whole milliseconds, or throws a ValidationError naming `field`. A
 * fractional number of ms is rounded (computed delays like `1.5 * 60_000` are common and a
 * sub-millisecond part means nothing to a job server); NaN, Infinity, negative values and values
 * past `max` are refused.
 */
export function parseDuration(value: unknown, field: string, limits: DurationLimits = {}): number {
  const { min = 0, max = MAX_DURATION_MS } = limits;
  let ms: number | undefined;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new ValidationError(field, `must be a finite number of milliseconds >= 0, got ${value}`);
    ms = Math.round(value);
  } else if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
    if (m) ms = Math.round(Number(m[1]) * UNITS[m[2]!]!);
  }
  if (ms === undefined || !Number.isFinite(ms)) {
    throw new ValidationError(field, `must be milliseconds or a string like '30s', '10m', '2h', '1d'; got ${describe(value)}`);
  }
  if (ms < min) throw new ValidationError(field, `must be at least ${min} ms, got ${ms}`);
  if (ms > max) throw new ValidationError(field, `must be at most ${max} ms${limitNote(max)}, got ${describe(value)}`);
  return ms;
}

/**
 * Checks an epoch-ms time (a `Date` or a number) given by a caller: whole ms (a fraction is
 * rounded), within the range a `Date` holds (±MAX_TIME). Throws a ValidationError naming `field`.
 */
export function checkTime(value: unknown, field: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new ValidationError(field, `must be a valid Date or epoch ms, got ${describe(value)}`);
  const rounded = Math.round(ms);
  if (Math.abs(rounded) > MAX_TIME) throw new ValidationError(field, `must be within ±${MAX_TIME} epoch ms (the range of a Date), got ${describe(value)}`);
  return rounded;
}

/** `now + ms`, checked to stay within the range of a Date; the ValidationError names `field`. */
export function timeAfter(now: number, ms: number, field: string): number {
  const at = now + ms;
  if (at > MAX_TIME) throw new ValidationError(field, `${ms} ms from now is past the latest time a Date can hold (epoch ms ${MAX_TIME})`);
  return at;
}

function limitNote(max: number): string {
  if (max === MAX_TIMER_MS) return ' (2³¹−1, the longest timer Node keeps; a longer one would fire at once)';
  if (max === MAX_DURATION_MS) return ' (half the range of a Date, about 137,000 years)';
  return '';
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'symbol' || value === undefined) return String(value);
  if (typeof value === 'function') return 'a function';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : `Date(${value.toISOString()})`;
  try {
    return String(JSON.stringify(value) ?? value);
  } catch {
    return typeof value;
  }
}
