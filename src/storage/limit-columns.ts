import type { JobRecord } from './contract/index.js';

/**
 * A job's limits as `JobRecord` holds them, from the columns a SQL backend stores them in (the
 * concurrency key and limit, the rate key, max and window; a key that is null means no limit of
 * that kind). Shared by the Postgres and SQLite row decoders.
 */
export function limitsFromColumns(
  concurrencyKey: string | null,
  concurrencyLimit: number | null,
  rateKey: string | null,
  rateMax: number | null,
  ratePerMs: number | null,
): Pick<JobRecord, 'concurrency' | 'rateLimit'> {
  return {
    concurrency: concurrencyKey === null ? null : { key: concurrencyKey, limit: concurrencyLimit! },
    rateLimit: rateKey === null ? null : { key: rateKey, max: rateMax!, perMs: ratePerMs! },
  };
}
