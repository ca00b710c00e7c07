import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { denseTimeline, timelineRange } from '../buckets.js';
import type {
  CreatedJob,
  CreateOptions,
  FetchOptions,
  JobDetails,
  JobPage,
  JobRecord,
  ListJobsQuery,
  NewJob,
  QueueStatistics,
  RecurringAdvance,
  RecurringJobRecord,
  ServerRecord,
  StateName,
  Storage,
  StorageEvent,
  StorageStatistics,
  TimelinePoint,
  TransitionChange,
  Json,
} from '../contract/index.js';
import { STATE_NAMES } from '../contract/index.js';
import { openConnection } from './connection.js';
import { DataVersionWatcher, broadcast, joinChannel, type EventSink } from './events.js';
import { resolveSqliteOptions, type ResolvedSqliteOptions, type SqliteStorageOptions } from './options.js';
import {
  JOB_COLUMNS,
  parseHistory,
  stateDataText,
  toJobRecord,
  toRecurringRecord,
  toServerRecord,
  type JobRow,
} from './rows.js';
import { migrate } from './schema.js';
import { Statements } from './statements.js';
import { WriteBatch } from './write-batch.js';

/** What exists once the file is open: the connection, its statements and its transactions. */
interface Opened {
  db: BetterSqlite3.Database;
  s: Statements;
  /** Runs a function in `BEGIN IMMEDIATE` (`.immediate`) or `BEGIN DEFERRED` (`.deferred`). */
  tx: BetterSqlite3.Transaction<(work: () => unknown) => unknown>;
  /** The resolved file path: the key of this file's in-process event channel. */
  key: string;
  leaveChannel: () => void;
  watcher: DataVersionWatcher;
}

type Listener = (event: StorageEvent) => void;

/**
 * Kiln's embedded default storage: one SQLite file, shared by every server and client process on
 * the host, through better-sqlite3.
 *
 * Concurrency. SQLite allows one writer at a time. Every operation that writes more than one
 * statement runs in one `BEGIN IMMEDIATE` transaction, which takes the write lock up front
 * (waiting up to `busyTimeoutMs`), so a read inside it can never be stale when its write lands:
 * `fetch` cannot claim a job twice, a unique key cannot be inserted twice, a compare-and-set
 * transition cannot apply twice, across connections and processes. Reads that span several
 * statements run in one deferred (read) transaction, a consistent WAL snapshot.
 *
 * Speed. better-sqlite3 runs statements synchronously in the calling thread, with no round trip:
 * an operation is one transaction of prepared statements (`statements.ts`). `fetch` claims a
 * whole batch per queue with one `UPDATE ... RETURNING`, `transition` applies a whole batch in one
 * transaction, `createJobs` inserts any number of jobs in one. Periodic maintenance calls
 * (`fetch`, `enqueueDue`, `releaseExpiredLeases`, `deleteExpired`, `removeDeadServers`) first
 * look with a read, so an idle server never takes the write lock.
 *
 * Wake-ups. See `events.ts`: precise events between instances in this process, and a `'*'`
 * wake-up when `PRAGMA data_version` shows another process committed.
 *
 * Opening. The file is opened, configured and migrated on first use (or by `migrate()`), so every
 * method works even when called first. `close()` stops the poll timer and closes the connection;
 * any later call fails.
 */
export class SqliteStorage implements Storage {
  /** The absolute path of the database file. */
  readonly path: string;
  private readonly options: ResolvedSqliteOptions;
  private opened: Opened | undefined;
  private closed = false;
  private readonly listeners = new Set<Listener>();
  private readonly sink: EventSink = { deliver: (events) => this.deliver(events) };

  /**
   * @param path The database file, created if missing. Default `./kiln.db`, resolved against the
   *   working directory now, so a later `process.chdir` does not move it. `:memory:` is not
   *   supported: the point of this backend is a file other processes can share.
   */
  constructor(path = './kiln.db', options: SqliteStorageOptions = {}) {
    if (path === ':memory:' || path === '') {
      throw new Error('SqliteStorage needs a file path; use MemoryStorage for a store in memory');
    }
    this.path = resolve(path);
    this.options = resolveSqliteOptions(options);
  }

  private open(): Opened {
    if (this.opened) return this.opened;
    if (this.closed) throw new Error(`SqliteStorage(${this.path}) is closed`);
    const db = openConnection(this.path, this.options);
    try {
      db.function('kiln_search', { deterministic: true }, (id: unknown, name: unknown, search: unknown) =>
        matchesSearch(String(id), String(name), String(search)) ? 1 : 0,
      );
      migrate(db);
      const s = new Statements(db);
      const tx = db.transaction((work: () => unknown) => work());
      const key = realpathSync(this.path);
      const watcher = new DataVersionWatcher(
        () => s.dataVersion.get() ?? 0,
        this.options.pollIntervalMs,
        () => this.deliver([{ type: 'enqueued', queue: '*' }]),
      );
      const leaveChannel = joinChannel(key, this.sink);
      this.opened = { db, s, tx, key, leaveChannel, watcher };
      return this.opened;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Runs `work` in one `BEGIN IMMEDIATE` transaction, writes its counters just before commit, and
   * after the commit sends its wake-ups. If `work` throws, everything rolls back and nothing is sent.
   */
  private write<T>(work: (s: Statements, batch: WriteBatch) => T): T {
    const { s, tx, key } = this.open();
    const batch = new WriteBatch();
    const result = tx.immediate(() => {
      const r = work(s, batch);
      batch.flush(s);
      return r;
    }) as T;
    broadcast(key, batch.events);
    return result;
  }

  /** Runs `work` in one read transaction: one consistent snapshot, no write lock. */
  private read<T>(work: (s: Statements) => T): T {
    const { s, tx } = this.open();
    return tx.deferred(() => work(s)) as T;
  }

  async migrate(): Promise<void> {
    this.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    const opened = this.opened;
    this.opened = undefined;
    if (!opened) return;
    opened.watcher.stop();
    opened.leaveChannel();
    opened.db.close();
  }

  // ---- jobs

  /**
   * Inserts the jobs in one write transaction. `options.tx` is ignored: SQLite has one writer and
   * Kiln owns the connection, so there is no application transaction to join (enqueueing inside an
   * application's own SQLite transaction would need the application to share this connection).
   */
  async createJobs(jobs: NewJob[], options: CreateOptions): Promise<CreatedJob[]> {
    if (jobs.length === 0) return [];
    return this.write((s, batch) => insertJobs(s, batch, jobs, options.now));
  }

  async fetch(o: FetchOptions): Promise<JobRecord[]> {
    if (!(o.max > 0) || o.queues.length === 0) return [];
    const { s } = this.open();
    if (!o.queues.some((q) => s.hasEnqueued.get(q) !== undefined)) return [];
    return this.write((s, batch) => {
      const claimed: JobRecord[] = [];
      const data = { serverId: o.serverId };
      const dataText = JSON.stringify(data);
      const entry = `,${JSON.stringify({ name: 'processing', data, at: o.now })}`;
      const leaseUntil = o.now + o.leaseMs;
      for (const queue of o.queues) {
        const room = o.max - claimed.length;
        if (room <= 0) break;
        const rows = s.claim.all(dataText, o.now, o.serverId, leaseUntil, entry, queue, room);
        if (rows.length === 0) continue;
        // RETURNING has no defined order: restore FIFO.
        rows.sort((a, b) => a.seq - b.seq);
        for (const r of rows) claimed.push(toJobRecord(r));
        batch.count('enqueued', queue, -rows.length);
        batch.count('processing', queue, rows.length);
      }
      return claimed;
    });
  }

  async renewLeases(serverId: string, ids: string[], leaseMs: number, now: number): Promise<string[]> {
    if (ids.length === 0) return [];
    return this.write((s) => {
      const until = now + leaseMs;
      return ids.filter((id) => s.renewLease.run(until, id, serverId).changes === 0);
    });
  }

  async mergeParameters(id: string, serverId: string, parameters: { [key: string]: Json }): Promise<boolean> {
    return this.write((s) => {
      const row = s.heldParameters.get(id, serverId);
      if (!row) return false;
      s.setParameters.run(JSON.stringify({ ...(JSON.parse(row.parameters) as object), ...parameters }), id);
      return true;
    });
  }

  async transition(changes: TransitionChange[], now: number): Promise<boolean[]> {
    if (changes.length === 0) return [];
    return this.write((s, batch) => changes.map((c) => applyChange(s, batch, c, now)));
  }

  async enqueueDue(now: number, limit: number): Promise<number> {
    if (!(limit > 0)) return 0;
    const { s } = this.open();
    if (s.hasDue.get(now) === undefined) return 0;
    return this.write((s, batch) => {
      const reason = 'Scheduled time reached';
      const entry = `,${JSON.stringify({ name: 'enqueued', reason, at: now })}`;
      const rows = s.enqueueDue.all(reason, now, entry, now, limit);
      for (const r of rows) requeued(batch, 'scheduled', r.queue);
      return rows.length;
    });
  }

  async nextDueAt(): Promise<number | null> {
    return this.open().s.nextDue.get()?.run_at ?? null;
  }

  async releaseExpiredLeases(now: number, limit: number): Promise<number> {
    if (!(limit > 0)) return 0;
    const { s } = this.open();
    if (s.hasExpiredLease.get(now) === undefined) return 0;
    return this.write((s, batch) => {
      const rows = s.releaseExpired.all(now, now, now, limit);
      for (const r of rows) requeued(batch, 'processing', r.queue);
      return rows.length;
    });
  }

  /** Deletes expired jobs, longest expired first (`expire_at` order, which its index gives for free). */
  async deleteExpired(now: number, limit: number): Promise<number> {
    if (!(limit > 0)) return 0;
    const { s } = this.open();
    if (s.hasExpired.get(now) === undefined) return 0;
    return this.write((s, batch) => {
      const rows = s.deleteExpired.all(now, limit);
      for (const r of rows) batch.count(r.state, r.queue, -1);
      return rows.length;
    });
  }

  async getJob(id: string): Promise<JobDetails | null> {
    return this.read((s) => {
      const row = s.jobById.get(id);
      if (!row) return null;
      return { ...toJobRecord(row), history: parseHistory(row.history), continuations: s.continuationIds.all(id) };
    });
  }

  async continuationsOf(parentIds: string[]): Promise<JobRecord[]> {
    if (parentIds.length === 0) return [];
    return this.open().s.continuationsOf.all(JSON.stringify(parentIds)).map(toJobRecord);
  }

  async awaitingReady(
    limit: number,
  ): Promise<Array<{ job: JobRecord; parentState: StateName | null; parentResult: string | null }>> {
    if (!(limit > 0)) return [];
    return this.open()
      .s.awaitingReady.all(limit)
      .map((r) => ({ job: toJobRecord(r), parentState: r.parent_state, parentResult: r.parent_result }));
  }

  // ---- servers

  async announceServer(server: ServerRecord): Promise<void> {
    this.open().s.upsertServer.run(
      server.id,
      server.name,
      server.workerCount,
      JSON.stringify(server.queues),
      server.startedAt,
      server.heartbeatAt,
    );
  }

  async heartbeat(serverId: string, now: number): Promise<boolean> {
    return this.open().s.heartbeat.run(now, serverId).changes > 0;
  }

  async removeServer(serverId: string, now: number): Promise<void> {
    this.write((s, batch) => {
      s.deleteServer.run(serverId);
      requeueHeldBy(s, batch, serverId, now);
    });
  }

  async removeDeadServers(heartbeatBefore: number, now: number): Promise<string[]> {
    const { s } = this.open();
    if (s.deadServers.all(heartbeatBefore).length === 0) return [];
    return this.write((s, batch) => {
      // Read again under the write lock: another process may have removed them meanwhile.
      const dead = s.deadServers.all(heartbeatBefore);
      for (const id of dead) {
        s.deleteServer.run(id);
        requeueHeldBy(s, batch, id, now);
      }
      return dead;
    });
  }

  // ---- locks

  async acquireLock(resource: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    return this.open().s.acquireLock.run(resource, owner, now + ttlMs, now).changes > 0;
  }

  async releaseLock(resource: string, owner: string): Promise<void> {
    this.open().s.releaseLock.run(resource, owner);
  }

  // ---- recurring jobs

  async upsertRecurring(job: RecurringJobRecord): Promise<void> {
    this.open().s.upsertRecurring.run(
      job.id,
      job.name,
      job.queue,
      job.args,
      job.cron,
      job.timeZone,
      job.misfire,
      job.nextExecution,
      job.lastExecution,
      job.lastJobId,
      job.paused ? 1 : 0,
      job.createdAt,
      job.error,
    );
  }

  async removeRecurring(id: string): Promise<boolean> {
    return this.open().s.removeRecurring.run(id).changes > 0;
  }

  async setRecurringPaused(id: string, paused: boolean): Promise<boolean> {
    return this.open().s.pauseRecurring.run(paused ? 1 : 0, id).changes > 0;
  }

  async getRecurring(id: string): Promise<RecurringJobRecord | null> {
    const row = this.open().s.getRecurring.get(id);
    return row ? toRecurringRecord(row) : null;
  }

  /** Sorted by id with `localeCompare`, like the in-memory backend (SQL would sort by bytes). */
  async listRecurring(): Promise<RecurringJobRecord[]> {
    return this.open()
      .s.listRecurring.all()
      .map(toRecurringRecord)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async dueRecurring(now: number, limit: number): Promise<RecurringJobRecord[]> {
    if (!(limit > 0)) return [];
    return this.open().s.dueRecurring.all(now, limit).map(toRecurringRecord);
  }

  async advanceRecurring(a: RecurringAdvance, now: number): Promise<boolean> {
    return this.write((s, batch) => {
      const row = s.recurringNext.get(a.id);
      if (!row || row.next_execution !== a.expectNext) return false;
      let lastJobId: string | null = null;
      if (a.jobs.length > 0) {
        const created = insertJobs(s, batch, a.jobs, now);
        lastJobId = created[created.length - 1]!.id;
      }
      s.advanceRecurring.run(a.nextExecution, a.lastExecution, a.error !== undefined ? 1 : 0, a.error ?? null, lastJobId, a.id);
      return true;
    });
  }

  // ---- monitoring

  async statistics(): Promise<StorageStatistics> {
    return this.read((s) => {
      const states = Object.fromEntries(STATE_NAMES.map((name) => [name, 0])) as Record<StateName, number>;
      for (const r of s.stateCounts.all()) states[r.state] = r.n;
      const totals = new Map(s.totals.all().map((r) => [r.name, r.n]));
      return {
        states,
        succeededTotal: totals.get('succeeded') ?? 0,
        failedTotal: totals.get('failed') ?? 0,
        servers: s.countServers.get() ?? 0,
        recurring: s.countRecurring.get() ?? 0,
      };
    });
  }

  async queues(): Promise<QueueStatistics[]> {
    const byQueue = new Map<string, QueueStatistics>();
    for (const r of this.open().s.queueCounts.all()) {
      const q = byQueue.get(r.queue) ?? { queue: r.queue, enqueued: 0, processing: 0 };
      q[r.state] += r.n;
      byQueue.set(r.queue, q);
    }
    return [...byQueue.values()].sort((a, b) => a.queue.localeCompare(b.queue));
  }

  /**
   * A page of one state's jobs, newest first. The total comes from the maintained counts when only
   * state and queue filter; name and search filters count the matching rows.
   */
  async listJobs(q: ListJobsQuery): Promise<JobPage> {
    if (!STATE_NAMES.includes(q.state)) throw new Error(`Unknown job state: ${String(q.state)}`);
    // The state is spelled literally (it is one of STATE_NAMES) so partial indexes can serve it.
    const where = [`state = '${q.state}'`];
    const params: Array<string | number> = [];
    if (q.queue !== undefined) {
      where.push('queue = ?');
      params.push(q.queue);
    }
    if (q.name !== undefined) {
      where.push('name = ?');
      params.push(q.name);
    }
    if (q.search !== undefined) {
      where.push('kiln_search(id, name, ?)');
      params.push(q.search);
    }
    if (q.retriesOnly) where.push('attempt > 1');
    const filter = where.join(' AND ');
    return this.read((s) => {
      let total: number;
      if (q.name === undefined && q.search === undefined && !q.retriesOnly) {
        total = q.queue === undefined ? (s.stateCount.get(q.state) ?? 0) : (s.stateQueueCount.get(q.state, q.queue) ?? 0);
      } else {
        const count = s.dynamicStatement<number>(`SELECT count(*) FROM kiln_jobs WHERE ${filter}`).pluck();
        total = count.get(...params) ?? 0;
      }
      const page = s.dynamicStatement<JobRow>(
        `SELECT ${JOB_COLUMNS} FROM kiln_jobs WHERE ${filter} ORDER BY seq DESC LIMIT ? OFFSET ?`,
      );
      const jobs = page.all(...params, Math.max(0, q.limit), Math.max(0, q.offset)).map(toJobRecord);
      return { total, jobs };
    });
  }

  async listServers(): Promise<ServerRecord[]> {
    return this.open().s.listServers.all().map(toServerRecord);
  }

  async timeline(unit: 'hour' | 'day', from: number, to: number): Promise<TimelinePoint[]> {
    const { start, end } = timelineRange(unit, from, to);
    return denseTimeline(unit, from, to, this.open().s.hours.all(start, end));
  }

  // ---- wake-ups

  /**
   * Subscribes to wake-ups: precise events from every `SqliteStorage` on this file in this process,
   * and `{ type: 'enqueued', queue: '*' }` within about `pollIntervalMs` of another process's
   * commit (see `events.ts`). The `data_version` poll runs only while someone is subscribed.
   */
  async subscribe(listener: (event: StorageEvent) => void): Promise<() => Promise<void>> {
    const { watcher } = this.open();
    this.listeners.add(listener);
    watcher.start();
    return async () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.opened?.watcher.stop();
    };
  }

  private deliver(events: readonly StorageEvent[]): void {
    for (const listener of this.listeners) {
      // Delivered on a microtask, like a notification from a database would be; a listener that
      // throws does not keep the others from hearing the event.
      queueMicrotask(() => {
        if (!this.listeners.has(listener)) return;
        for (const event of events) listener(event);
      });
    }
  }
}

/** Inserts jobs inside the caller's write transaction, honouring unique keys. */
function insertJobs(s: Statements, batch: WriteBatch, jobs: NewJob[], now: number): CreatedJob[] {
  const out: CreatedJob[] = [];
  for (const job of jobs) {
    if (job.uniqueKey !== undefined && job.uniqueKey !== null) {
      // Race-free: the write lock is held, so no other writer can insert between this read and the insert.
      const existing = s.activeWithKey.get(job.uniqueKey, now);
      if (existing) {
        out.push({ id: existing.id, created: false });
        continue;
      }
    }
    try {
      s.insertJob.run(
        job.id,
        job.name,
        job.queue,
        job.args,
        job.state.name,
        job.state.reason ?? null,
        stateDataText(job.state),
        job.createdAt,
        job.state.at,
        JSON.stringify(job.parameters),
        job.runAt ?? null,
        job.parentId ?? null,
        job.uniqueKey ?? null,
        job.uniqueUntil ?? null,
        JSON.stringify(job.state),
      );
    } catch (error) {
      if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new Error(`job ${job.id} already exists`, { cause: error });
      }
      throw error;
    }
    batch.count(job.state.name, job.queue, 1);
    if (job.state.name === 'enqueued') batch.enqueued(job.queue);
    out.push({ id: job.id, created: true });
  }
  return out;
}

/** One compare-and-set change inside the caller's write transaction; mirrors MemoryStorage. */
function applyChange(s: Statements, batch: WriteBatch, c: TransitionChange, now: number): boolean {
  const row = s.changeRow.get(c.id);
  if (!row || !c.expectStates.includes(row.state)) return false;
  if (c.expectServerId !== undefined && (row.state !== 'processing' || row.server_id !== c.expectServerId)) return false;
  let history = '';
  for (const entry of c.passedThrough ?? []) history += `,${JSON.stringify(entry)}`;
  history += `,${JSON.stringify(c.to)}`;
  const queue = c.queue ?? row.queue;
  const keepsLease = c.to.name === 'processing';
  const parameters = c.parameters
    ? JSON.stringify(Object.assign(JSON.parse(row.parameters) as object, c.parameters))
    : null;
  s.applyChange.run(
    c.to.name,
    c.to.reason ?? null,
    stateDataText(c.to),
    c.to.at,
    queue,
    c.to.name === 'scheduled' ? (c.runAt ?? now) : null,
    c.expireAt ?? null,
    c.attempt ?? null,
    parameters,
    c.result ?? null,
    keepsLease ? row.server_id : null,
    keepsLease ? row.lease_until : null,
    history,
    row.seq,
  );
  changed(batch, c, row.state, row.queue, queue);
  return true;
}

/** Counts, statistics and wake-ups of one applied change. */
function changed(batch: WriteBatch, c: TransitionChange, from: StateName, fromQueue: string, queue: string): void {
  for (const entry of c.passedThrough ?? []) batch.stat(entry.name, entry.at);
  batch.stat(c.to.name, c.to.at);
  batch.count(from, fromQueue, -1);
  batch.count(c.to.name, queue, 1);
  if (from === 'processing' && c.expectServerId === undefined) batch.aborted(c.id);
  if (c.to.name === 'enqueued') batch.enqueued(queue);
}

/** Puts every job `serverId` holds back in its queue (server stopped or declared dead). */
function requeueHeldBy(s: Statements, batch: WriteBatch, serverId: string, now: number): void {
  const reason = `Server ${serverId} stopped or timed out`;
  const entry = `,${JSON.stringify({ name: 'enqueued', reason, at: now })}`;
  for (const r of s.requeueHeld.all(reason, now, entry, serverId)) requeued(batch, 'processing', r.queue);
}

/** Counts and announces one job moved from `from` back to `enqueued` in `queue`. */
function requeued(batch: WriteBatch, from: StateName, queue: string): void {
  batch.count(from, queue, -1);
  batch.count('enqueued', queue, 1);
  batch.enqueued(queue);
}

/** The dashboard's search, exactly as MemoryStorage does it: an id prefix or a name substring. */
function matchesSearch(id: string, name: string, search: string): boolean {
  const needle = search.toLowerCase();
  return id.startsWith(needle) || name.toLowerCase().includes(needle);
}
