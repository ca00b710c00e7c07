/**
 * Where Kiln reads the time. Tests pass a fake one; everything else uses `systemClock`.
 *
 * The clock rule: every time handed to storage or compared with a stored one (creation, due
 * times, leases, heartbeats, lock expiry, cron occurrences) comes from the injected clock, so
 * servers, clients and a test's fake clock agree. Only local waits (timers, throttles, shutdown
 * budgets) use `Date.now()` and `setTimeout`, which measure real elapsed time.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
