import type BetterSqlite3 from 'better-sqlite3';
import type { StateName } from '../../contract/index.js';
import type { Statement } from './index.js';

/**
 * The maintained counters: jobs per state and queue (`kiln_counts`), lifetime succeeded/failed
 * (`kiln_totals`) and succeeded/failed per hour (`kiln_hours`). Each upsert adds a delta, summed
 * over a whole write transaction by `WriteBatch`.
 */
export class CounterStatements {
  readonly bumpCount: Statement<[StateName, string, number]>;
  readonly bumpTotal: Statement<[string, number]>;
  readonly bumpHour: Statement<[number, number, number]>;

  constructor(db: BetterSqlite3.Database) {
    this.bumpCount = db.prepare(
      `INSERT INTO kiln_counts (state, queue, n) VALUES (?, ?, ?)
       ON CONFLICT (state, queue) DO UPDATE SET n = n + excluded.n`,
    );
    this.bumpTotal = db.prepare(
      `INSERT INTO kiln_totals (name, n) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET n = n + excluded.n`,
    );
    this.bumpHour = db.prepare(
      `INSERT INTO kiln_hours (hour, succeeded, failed) VALUES (?, ?, ?)
       ON CONFLICT (hour) DO UPDATE SET succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed`,
    );
  }
}
