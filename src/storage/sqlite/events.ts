import { randomUUID } from 'node:crypto';
import { errorMessage } from '../../errors.js';
import type { JobEvent, JobEventChannel } from '../contract/index.js';
import { JOB_EVENT_LISTENER_TTL_MS } from '../contract/index.js';
import { JobEventListeners } from '../job-event-listeners.js';
import { decodeJobEvent } from '../job-event-wire.js';
import type { SqliteContext } from './context.js';
import { DataVersionWatcher } from './data-version.js';
import { FileChannel } from './file-channel.js';
import { EVENT_RETENTION_MS } from './statements/events.js';

/** The most events read in one query; a reader loops until it has caught up. */
const READ_BATCH = 500;

/** Commits in this process that wrote job events, to every reader on the same file. */
const writes = new FileChannel<void>();

/** Tells the job-event readers in this process on the file `key` that a commit wrote events. */
export function jobEventsWritten(key: string): void {
  writes.send(key, undefined);
}

/**
 * Job events on SQLite, across the processes of one host, through the file itself:
 *
 * - Announcement: while this instance has subscribers, it holds a row in `kiln_event_listeners`
 *   with the host time it lapses, refreshed every third of `JOB_EVENT_LISTENER_TTL_MS`. Every
 *   write transaction that could publish reads that table once (`WriteBatch.publishing`) and
 *   writes events only while a row is live. The announcement is made in the same transaction that
 *   reads the newest event's number, so the reader starts exactly after the last write that could
 *   not know about it.
 * - Events: rows of `kiln_events`, written by the transaction that made the change (in its order),
 *   numbered by an `AUTOINCREMENT` key. SQLite has one writer at a time, so numbers follow commit
 *   order and a reader never sees one before an earlier one.
 * - Reading: after a commit in this process (told through an in-process channel), and when
 *   `PRAGMA data_version` moves (another process committed; polled every `pollIntervalMs` while
 *   subscribed), the instance reads the events after the last number it saw and hands them to its
 *   subscribers. A missing number (pruned before it was read) or an announcement that lapsed
 *   (the process was blocked for longer than the TTL) is reported as a gap.
 * - Pruning: each refresh deletes lapsed announcements and events older than `EVENT_RETENTION_MS`;
 *   so does a writer every 1,024 events, so a busy drain that someone listens to does not grow the
 *   table between two refreshes.
 */
export class SqliteJobEvents implements JobEventChannel {
  private readonly listeners: JobEventListeners;
  private id: string | undefined;
  private last = 0;
  private watcher: DataVersionWatcher | undefined;
  private leaveChannel: (() => void) | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readScheduled = false;

  constructor(private readonly ctx: SqliteContext) {
    this.listeners = new JobEventListeners(ctx.logger);
  }

  async subscribeJobEvents(onEvent: (event: JobEvent) => void, onGap?: () => void): Promise<() => Promise<void>> {
    const remove = this.listeners.add(onEvent, onGap);
    try {
      if (this.id === undefined) this.start();
    } catch (error) {
      remove();
      throw error;
    }
    return async () => {
      remove();
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Withdraws the announcement and stops reading: the storage is closing. */
  close(): void {
    this.listeners.clear();
    this.stop();
  }

  /** Announces this instance and starts reading after the newest event. */
  private start(): void {
    const { db, s, tx, key } = this.ctx.open();
    const id = randomUUID();
    tx.immediate(() => {
      s.events.announce.run(id, Date.now() + JOB_EVENT_LISTENER_TTL_MS);
      this.last = s.events.lastEvent.get() ?? 0;
    });
    this.id = id;
    this.leaveChannel = writes.join(key, () => this.readSoon());
    const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.watcher = new DataVersionWatcher(() => dataVersion.get() ?? 0, this.ctx.options.pollIntervalMs, () => this.readSoon(), this.ctx.logger, 'job event');
    this.watcher.start();
    this.refreshTimer = setInterval(() => this.refresh(), JOB_EVENT_LISTENER_TTL_MS / 3);
    this.refreshTimer.unref();
  }

  private stop(): void {
    const id = this.id;
    if (id === undefined) return;
    this.id = undefined;
    this.watcher?.stop();
    this.leaveChannel?.();
    clearInterval(this.refreshTimer);
    try {
      const { s } = this.ctx.open();
      s.events.withdraw.run(id);
      this.prune(Date.now());
    } catch (error) {
      // Closed or unwritable: the announcement lapses by itself.
      this.ctx.logger.debug('could not withdraw a job event announcement', { error: errorMessage(error) });
    }
  }

  /** Reads on a microtask: several commits in one turn cost one read, after the writer's call returned. */
  private readSoon(): void {
    if (this.readScheduled) return;
    this.readScheduled = true;
    queueMicrotask(() => {
      this.readScheduled = false;
      if (this.id !== undefined) this.read();
    });
  }

  private read(): void {
    try {
      const { s } = this.ctx.open();
      for (;;) {
        const rows = s.events.eventsAfter.all(this.last, READ_BATCH);
        for (const row of rows) {
          if (row.seq !== this.last + 1) this.listeners.gap();
          this.last = row.seq;
          const event = decodeJobEvent(row.payload);
          if (event) this.listeners.deliver(event);
        }
        if (rows.length < READ_BATCH || this.id === undefined) return;
      }
    } catch (error) {
      // Busy or briefly unreadable: the next commit or poll reads again from the same place.
      this.ctx.logger.warn('reading SQLite job events failed; retrying at the next change', { error: errorMessage(error) });
    }
  }

  /** Keeps the announcement alive; re-announces (a gap) if it lapsed while the process was blocked. */
  private refresh(): void {
    const id = this.id;
    if (id === undefined) return;
    try {
      const { s, tx } = this.ctx.open();
      const now = Date.now();
      const lapsed = tx.immediate(() => {
        const extended = s.events.refresh.run(now + JOB_EVENT_LISTENER_TTL_MS, id, now).changes > 0;
        if (!extended) s.events.announce.run(id, now + JOB_EVENT_LISTENER_TTL_MS);
        this.prune(now);
        return !extended;
      });
      if (lapsed) {
        this.ctx.logger.warn('this process stopped announcing its job event listener for too long; events may have been missed');
        this.listeners.gap();
      }
    } catch (error) {
      this.ctx.logger.warn('refreshing the SQLite job event announcement failed; retrying', { error: errorMessage(error) });
    }
  }

  private prune(now: number): void {
    const { s } = this.ctx.open();
    s.events.pruneListeners.run(now);
    s.events.pruneEvents.run(now - EVENT_RETENTION_MS);
  }
}
