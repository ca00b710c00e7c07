import type BetterSqlite3 from 'better-sqlite3';
import type { Statement } from './index.js';

/** A `kiln_queues` row: a queue that is paused or limited. */
export interface QueueRow {
  queue: string;
  paused: number;
  concurrency: number | null;
  rate_max: number | null;
  rate_per_ms: number | null;
}

/** `kiln_rate_starts.scope`: a job rate key, or a queue. */
export const RATE_KEY = 0;
export const RATE_QUEUE = 1;
export type RateScope = typeof RATE_KEY | typeof RATE_QUEUE;

/**
 * The statements of queue control and of the rate windows: queue settings, the log of starts,
 * and the reads `nextRateSlot` and the dashboard's limit view make.
 */
export class QueueStatements {
  readonly allSettings: Statement<[], QueueRow>;
  readonly settingsOf: Statement<[string], QueueRow>;
  readonly putSettings: Statement<[QueueRow]>;
  readonly dropSettings: Statement<[string]>;
  readonly processingIn: Statement<[string], number>;
  readonly enqueuedIn: Statement<[string], number>;
  readonly countStarts: Statement<[scope: RateScope, key: string, after: number], number>;
  /** The `offset + 1`-th most recent start counted after `after`: where a full window reopens from. */
  readonly nthRecentStart: Statement<[scope: RateScope, key: string, after: number, offset: number], number>;
  readonly addStart: Statement<[scope: RateScope, key: string, at: number]>;
  readonly pruneStarts: Statement<[scope: RateScope, key: string, upTo: number]>;
  readonly hasOldStarts: Statement<[upTo: number], unknown>;
  readonly pruneOldStarts: Statement<[upTo: number, limit: number]>;
  readonly waitingRateKeys: Statement<[string], { key: string; max: number; per_ms: number }>;

  constructor(db: BetterSqlite3.Database) {
    const columns = 'queue, paused, concurrency, rate_max, rate_per_ms';
    this.allSettings = db.prepare(`SELECT ${columns} FROM kiln_queues ORDER BY queue`);
    this.settingsOf = db.prepare(`SELECT ${columns} FROM kiln_queues WHERE queue = ?`);
    this.putSettings = db.prepare(
      `INSERT INTO kiln_queues (${columns}) VALUES (@queue, @paused, @concurrency, @rate_max, @rate_per_ms)
       ON CONFLICT (queue) DO UPDATE SET paused = excluded.paused, concurrency = excluded.concurrency,
         rate_max = excluded.rate_max, rate_per_ms = excluded.rate_per_ms`,
    );
    this.dropSettings = db.prepare(`DELETE FROM kiln_queues WHERE queue = ?`);
    this.processingIn = db
      .prepare<[string], number>(`SELECT coalesce(sum(n), 0) FROM kiln_counts WHERE state = 'processing' AND queue = ?`)
      .pluck();
    this.enqueuedIn = db
      .prepare<[string], number>(`SELECT coalesce(sum(n), 0) FROM kiln_counts WHERE state = 'enqueued' AND queue = ?`)
      .pluck();
    this.countStarts = db
      .prepare<[RateScope, string, number], number>(`SELECT count(*) FROM kiln_rate_starts WHERE scope = ? AND key = ? AND at > ?`)
      .pluck();
    this.nthRecentStart = db
      .prepare<[RateScope, string, number, number], number>(
        `SELECT at FROM kiln_rate_starts WHERE scope = ? AND key = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?`,
      )
      .pluck();
    this.addStart = db.prepare(`INSERT INTO kiln_rate_starts (scope, key, at) VALUES (?, ?, ?)`);
    this.pruneStarts = db.prepare(`DELETE FROM kiln_rate_starts WHERE scope = ? AND key = ? AND at <= ?`);
    // Starts no window counts (older than the longest), of any key: see `SqliteMaintenance.deleteExpired`.
    this.hasOldStarts = db.prepare(`SELECT 1 FROM kiln_rate_starts INDEXED BY kiln_rate_starts_at WHERE at <= ? LIMIT 1`);
    this.pruneOldStarts = db.prepare(
      `DELETE FROM kiln_rate_starts WHERE rowid IN (SELECT rowid FROM kiln_rate_starts INDEXED BY kiln_rate_starts_at WHERE at <= ? LIMIT ?)`,
    );
    this.waitingRateKeys = db.prepare(
      `SELECT DISTINCT rate_key AS key, rate_max AS max, rate_per_ms AS per_ms FROM kiln_jobs INDEXED BY kiln_jobs_enqueued
       WHERE state = 'enqueued' AND queue = ? AND limited = 1 AND rate_key IS NOT NULL`,
    );
  }
}
