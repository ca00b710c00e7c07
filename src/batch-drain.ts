/**
 * How many items a maintenance process hands one storage call: due scheduled jobs, expired
 * leases, expired jobs. Large enough that a backlog of a million costs a thousand round trips,
 * small enough that one call holds a database transaction (or Redis's single thread) for
 * milliseconds, not seconds.
 */
export const MAINTENANCE_BATCH = 1_000;

export interface DrainOptions {
  /** The most items one call may handle. Default `MAINTENANCE_BATCH`. */
  batch?: number;
  /** Stops between batches once aborted (the server is shutting down); the rest waits for the next run. */
  signal?: AbortSignal;
}

/**
 * The one shape of the maintenance processes (watchdog, expiration manager, delayed and recurring
 * schedulers, continuation dispatcher): call a storage operation with a bounded `limit` again and
 * again until a call handles fewer than `limit` items (the backlog is gone), then return the total
 * so the caller can log it and wait for its next run. `step` returns how many items it handled.
 */
export async function drainInBatches(step: (limit: number) => Promise<number>, options: DrainOptions = {}): Promise<number> {
  const limit = options.batch ?? MAINTENANCE_BATCH;
  let total = 0;
  for (;;) {
    const n = await step(limit);
    total += n;
    if (n < limit || options.signal?.aborted) return total;
  }
}
