import type BetterSqlite3 from 'better-sqlite3';
import { CounterStatements } from './counters.js';
import { EventStatements } from './events.js';
import { JobStatements } from './jobs.js';
import { LivenessStatements } from './liveness.js';
import { LogStatements } from './logs.js';
import { MaintenanceStatements } from './maintenance.js';
import { MonitoringStatements } from './monitoring.js';
import { QueueStatements } from './queues.js';
import { RecurringStatements } from './recurring.js';

/** A prepared statement taking parameters `P` and returning rows `R`. */
export type Statement<P extends unknown[], R = unknown> = BetterSqlite3.Statement<P, R>;

/**
 * Every statement of the backend, prepared once per connection when the file is opened and
 * grouped by the role that runs it (the counters are written by every write transaction).
 * Preparing costs tens of microseconds; a prepared statement runs in a few, which is what makes a
 * 100-job batch one cheap transaction. Preparing them all at open also checks every `INDEXED BY`
 * against the schema at once.
 *
 * Statements that must use a partial index repeat the index's `WHERE` literally (`state =
 * 'enqueued'`, never `state = ?`): SQLite uses a partial index only when it can prove the query's
 * `WHERE` implies the index's. The hot paths also name their index with `INDEXED BY`: without
 * `ANALYZE` statistics the planner may prefer a full scan in rowid order to avoid a sort, and
 * `INDEXED BY` turns that into an error at prepare time instead of a slow scan of a million rows.
 */
export class Statements {
  readonly jobs: JobStatements;
  readonly maintenance: MaintenanceStatements;
  readonly recurring: RecurringStatements;
  readonly queues: QueueStatements;
  readonly monitoring: MonitoringStatements;
  readonly counters: CounterStatements;
  readonly liveness: LivenessStatements;
  readonly events: EventStatements;
  readonly logs: LogStatements;

  constructor(db: BetterSqlite3.Database) {
    this.jobs = new JobStatements(db);
    this.maintenance = new MaintenanceStatements(db);
    this.recurring = new RecurringStatements(db);
    this.queues = new QueueStatements(db);
    this.monitoring = new MonitoringStatements(db);
    this.counters = new CounterStatements(db);
    this.liveness = new LivenessStatements(db);
    this.events = new EventStatements(db);
    this.logs = new LogStatements(db);
  }
}
