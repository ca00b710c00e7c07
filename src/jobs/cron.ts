import { Cron } from 'croner';
import { ValidationError } from '../errors.js';

/**
 * A cron schedule, parsed by croner: 5 fields (minute precision) or 6 (seconds first), names
 * such as `@daily` and `@hourly`, and an IANA time zone (default UTC). DST follows croner: a time
 * skipped by spring-forward runs at the first valid time after it; a time that occurs twice at
 * fall-back runs once.
 */
export class CronSchedule {
  private readonly cron: Cron;

  constructor(
    readonly expression: string,
    readonly timeZone: string,
    field = 'cron',
  ) {
    if (typeof expression !== 'string' || expression.trim() === '') throw new ValidationError(field, 'must be a cron expression like "0 3 * * *"');
    checkTimeZone(timeZone, 'timeZone');
    try {
      this.cron = new Cron(expression, { timezone: timeZone, paused: true, mode: '5-or-6-parts' });
    } catch (e) {
      throw new ValidationError(field, `${JSON.stringify(expression)} is not a valid cron expression: ${(e as Error).message}`);
    }
  }

  /** The first occurrence strictly after `after` (epoch ms), or null if there is none. */
  next(after: number): number | null {
    return this.cron.nextRun(new Date(after))?.getTime() ?? null;
  }
}

/** Throws a ValidationError unless `timeZone` is an IANA time zone name this runtime knows. */
export function checkTimeZone(timeZone: unknown, field: string): string {
  if (typeof timeZone !== 'string' || timeZone === '') throw new ValidationError(field, 'must be an IANA time zone such as "Europe/Paris" or "UTC"');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new ValidationError(field, `${JSON.stringify(timeZone)} is not a known IANA time zone`);
  }
  return timeZone;
}
