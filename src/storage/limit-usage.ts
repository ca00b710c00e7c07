import type { LimitUsage, LimitUsagePage, LimitUsageQuery } from './contract/index.js';

/**
 * The page `MonitoringApi.limitUsage` answers, from every limit a backend found: ordered as the
 * contract says (queues first, then by key in binary order, concurrency before rate), filtered
 * by `key`, then paged. For the backends that assemble the list in JavaScript (memory, SQLite).
 */
export function pageLimitUsage(all: LimitUsage[], q: LimitUsageQuery): LimitUsagePage {
  const matching = (q.key === undefined ? all : all.filter((l) => l.key === q.key)).sort(
    (a, b) => rank(a.scope) - rank(b.scope) || binary(a.key, b.key) || rank(a.kind) - rank(b.kind),
  );
  return { total: matching.length, limits: matching.slice(Math.max(0, q.offset), Math.max(0, q.offset) + Math.max(0, q.limit)) };
}

const rank = (v: LimitUsage['scope'] | LimitUsage['kind']): number => (v === 'queue' || v === 'concurrency' ? 0 : 1);

/** Binary order, as Postgres's "C" collation and Redis compare (UTF-16 code units here: the same for the BMP). */
export function binary(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
