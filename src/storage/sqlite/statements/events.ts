import type BetterSqlite3 from 'better-sqlite3';
import type { Statement } from './index.js';

/**
 * How long written events are kept, in ms of host time. Every listening process reads them within
 * `pollIntervalMs` (25 ms by default); one 10 s behind (its event loop blocked) is told of a gap
 * and reads again what it waits for, which is cheaper than keeping a busy drain's events longer.
 */
export const EVENT_RETENTION_MS = 10_000;

/** A writer prunes old events each time the event numbers cross a multiple of this. */
export const PRUNE_EVERY = 1024;

/** The statements of job events: announcements of listeners, the events table, its pruning. */
export class EventStatements {
  /** Whether an announcement is live at the given host time: the one read a write makes before it builds events. */
  readonly listening: Statement<[now: number], number>;
  readonly insertEvent: Statement<[writtenAt: number, payload: string]>;
  readonly announce: Statement<[id: string, until: number]>;
  /** Extends a live announcement; changes nothing when it has lapsed (or was pruned). */
  readonly refresh: Statement<[until: number, id: string, now: number]>;
  readonly withdraw: Statement<[id: string]>;
  readonly pruneListeners: Statement<[now: number]>;
  readonly pruneEvents: Statement<[before: number]>;
  /** The number of the newest event ever written (0 before the first). */
  readonly lastEvent: Statement<[], number>;
  readonly eventsAfter: Statement<[seq: number, limit: number], { seq: number; payload: string }>;

  constructor(db: BetterSqlite3.Database) {
    this.listening = db.prepare<[number], number>(`SELECT 1 FROM kiln_event_listeners WHERE until > ? LIMIT 1`).pluck();
    this.insertEvent = db.prepare(`INSERT INTO kiln_events (written_at, payload) VALUES (?, ?)`);
    this.announce = db.prepare(
      `INSERT INTO kiln_event_listeners (id, until) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET until = excluded.until`,
    );
    this.refresh = db.prepare(`UPDATE kiln_event_listeners SET until = ? WHERE id = ? AND until > ?`);
    this.withdraw = db.prepare(`DELETE FROM kiln_event_listeners WHERE id = ?`);
    this.pruneListeners = db.prepare(`DELETE FROM kiln_event_listeners WHERE until <= ?`);
    this.pruneEvents = db.prepare(`DELETE FROM kiln_events WHERE written_at < ?`);
    this.lastEvent = db
      .prepare<[], number>(`SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'kiln_events'), 0)`)
      .pluck();
    this.eventsAfter = db.prepare(`SELECT seq, payload FROM kiln_events WHERE seq > ? ORDER BY seq LIMIT ?`);
  }
}
