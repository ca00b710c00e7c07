import type BetterSqlite3 from 'better-sqlite3';
import type { Statement } from './index.js';

/** A mark record: the server and the process holding its mark (see `process-identity.ts`). */
export interface MarkRow {
  server_id: string;
  pid: number;
  start_ticks: number;
  boot_id: string;
  pid_ns: string;
}

/** The statements of liveness: writing, reading and compare-and-delete of mark records (`kiln_liveness`). */
export class LivenessStatements {
  readonly upsertMark: Statement<[MarkRow]>;
  readonly marks: Statement<[], MarkRow>;
  /** Deletes a record only if it still names the same process: the compare-and-set of removal and release. */
  readonly deleteMark: Statement<[string, number, number]>;

  constructor(db: BetterSqlite3.Database) {
    this.upsertMark = db.prepare(
      `INSERT INTO kiln_liveness (server_id, pid, start_ticks, boot_id, pid_ns)
       VALUES (@server_id, @pid, @start_ticks, @boot_id, @pid_ns)
       ON CONFLICT (server_id) DO UPDATE SET pid = excluded.pid, start_ticks = excluded.start_ticks,
         boot_id = excluded.boot_id, pid_ns = excluded.pid_ns`,
    );
    this.marks = db.prepare(`SELECT server_id, pid, start_ticks, boot_id, pid_ns FROM kiln_liveness`);
    this.deleteMark = db.prepare(`DELETE FROM kiln_liveness WHERE server_id = ? AND pid = ? AND start_ticks = ?`);
  }
}
