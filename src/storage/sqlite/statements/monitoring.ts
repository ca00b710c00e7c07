import type BetterSqlite3 from 'better-sqlite3';
import type { StateName } from '../../contract/index.js';
import type { ServerRow } from '../rows.js';
import type { Statement } from './index.js';

type Value = string | number | null;

/**
 * The statements of the monitoring views. Counts come from the maintained counters, never from
 * counting `kiln_jobs`: better-sqlite3 is synchronous, and counting a million rows would block
 * the event loop of the server hosting the dashboard.
 */
export class MonitoringStatements {
  readonly stateCounts: Statement<[], { state: StateName; n: number }>;
  readonly stateCount: Statement<[StateName], number>;
  readonly stateQueueCount: Statement<[StateName, string], number>;
  readonly queueCounts: Statement<[], { queue: string; state: 'enqueued' | 'processing'; n: number }>;
  readonly queueHeads: Statement<[], { queue: string; enqueuedAt: number }>;
  readonly totals: Statement<[], { name: string; n: number }>;
  readonly hours: Statement<[number, number], { at: number; succeeded: number; failed: number }>;
  readonly listServers: Statement<[], ServerRow>;
  readonly countServers: Statement<[], number>;
  readonly countRecurring: Statement<[], number>;
  readonly runningByKey: Statement<[], { key: string; lim: number; n: number }>;
  readonly waitingByKey: Statement<[queue: string], { key: string; lim: number; n: number }>;
  readonly rateUsage: Statement<[], { key: string; lim: number; per_ms: number; waiting: number }>;

  private readonly dynamic = new Map<string, Statement<Value[], unknown>>();

  constructor(private readonly db: BetterSqlite3.Database) {
    db.function('kiln_search', { deterministic: true }, (id: unknown, name: unknown, search: unknown) =>
      matchesSearch(String(id), String(name), String(search)) ? 1 : 0,
    );
    this.stateCounts = db.prepare(`SELECT state, sum(n) AS n FROM kiln_counts GROUP BY state`);
    this.stateCount = db.prepare<[StateName], number>(`SELECT coalesce(sum(n), 0) FROM kiln_counts WHERE state = ?`).pluck();
    this.stateQueueCount = db
      .prepare<[StateName, string], number>(`SELECT coalesce(sum(n), 0) FROM kiln_counts WHERE state = ? AND queue = ?`)
      .pluck();
    this.queueCounts = db.prepare(`SELECT queue, state, n FROM kiln_counts WHERE state IN ('enqueued', 'processing') AND n > 0`);
    // The queues come from the counters; each head is the first entry of the fetch index.
    this.queueHeads = db.prepare(
      `SELECT c.queue AS queue,
              (SELECT j.state_at FROM kiln_jobs j INDEXED BY kiln_jobs_enqueued
                WHERE j.state = 'enqueued' AND j.queue = c.queue ORDER BY j.seq LIMIT 1) AS enqueuedAt
         FROM kiln_counts c WHERE c.state = 'enqueued' AND c.n > 0`,
    );
    this.totals = db.prepare(`SELECT name, n FROM kiln_totals`);
    this.hours = db.prepare(`SELECT hour AS at, succeeded, failed FROM kiln_hours WHERE hour >= ? AND hour < ?`);
    this.listServers = db.prepare(`SELECT * FROM kiln_servers ORDER BY started_at, rowid`);
    this.countServers = db.prepare<[], number>(`SELECT count(*) FROM kiln_servers`).pluck();
    this.countRecurring = db.prepare<[], number>(`SELECT count(*) FROM kiln_recurring`).pluck();
    // Job groups: the running from the index of running keys, the waiting from each queue's
    // range of limited enqueued jobs (never the whole table).
    this.runningByKey = db.prepare(
      `SELECT concurrency_key AS key, max(concurrency_limit) AS lim, count(*) AS n FROM kiln_jobs INDEXED BY kiln_jobs_running_keys
       WHERE concurrency_key IS NOT NULL AND state = 'processing' GROUP BY concurrency_key`,
    );
    this.waitingByKey = db.prepare(
      `SELECT concurrency_key AS key, max(concurrency_limit) AS lim, count(*) AS n FROM kiln_jobs INDEXED BY kiln_jobs_enqueued
       WHERE state = 'enqueued' AND queue = ? AND limited = 1 AND concurrency_key IS NOT NULL GROUP BY concurrency_key`,
    );
    // max() makes SQLite read rate_per_ms from the row with the largest rate_max.
    this.rateUsage = db.prepare(
      `SELECT rate_key AS key, max(rate_max) AS lim, rate_per_ms AS per_ms, sum(state = 'enqueued') AS waiting
       FROM kiln_jobs INDEXED BY kiln_jobs_rate
       WHERE rate_key IS NOT NULL AND state IN ('enqueued', 'processing') GROUP BY rate_key`,
    );
  }

  /** A statement built at run time (the dashboard's filtered lists), prepared once per distinct text. */
  dynamicStatement<R>(sql: string): Statement<Value[], R> {
    let stmt = this.dynamic.get(sql);
    if (!stmt) {
      stmt = this.db.prepare<Value[], unknown>(sql);
      this.dynamic.set(sql, stmt);
    }
    return stmt as Statement<Value[], R>;
  }
}

/** The dashboard's search, exactly as MemoryStorage does it: an id prefix or a name substring. */
function matchesSearch(id: string, name: string, search: string): boolean {
  const needle = search.toLowerCase();
  return id.startsWith(needle) || name.toLowerCase().includes(needle);
}
