import { Backoff, type BackoffOptions } from '../backoff.js';
import { systemClock, type Clock } from '../clock.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { StateMachine } from '../states/state-machine.js';
import type { JobFilter } from '../states/filters.js';
import type { JobRecord, TransitionChange } from '../storage/contract/index.js';
import { failedInstead, makeStorable } from './safe-change.js';
import { isTransientStorageError } from './transient-error.js';

/** Batches written at the same time at most. */
const MAX_IN_FLIGHT = 2;

/**
 * The wait before writing again after a transient failure: 100 ms, doubling to 5 s. Shorter than
 * the server loops' (`STORAGE_BACKOFF`): completed jobs hold their leases and slots' worth of
 * backlog until written, so the completer tries again soonest.
 */
export const COMPLETION_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 5_000 };

interface Pending {
  change: TransitionChange;
  filters: readonly JobFilter[];
  /** Absent for `push`ed changes: nobody waits for them. */
  resolve: ((applied: boolean) => void) | undefined;
}

/** What one isolation round learnt (see `Completer.isolate`). */
interface Round {
  /** Some write of the round succeeded: the storage is up. */
  stored: boolean;
  /** A transient error ended the round: the rest waits for the back-off. */
  transient: unknown;
  /** The last error seen, for the log. */
  error: unknown;
  /** Changes to write again after the back-off. */
  retry: Pending[];
  /** Changes that failed alone, and whose failed state failed too. */
  suspects: Pending[];
}

/**
 * Batches the state changes that end job runs, so one storage round trip acknowledges many jobs
 * (as River's batched completer). A batch is written once the event loop has turned twice (see
 * `flushSoon`), or when `maxBatch` (default 500) changes wait.
 *
 * A completion that cannot be written never holds the others hostage:
 * - Before a change is batched it is made storable (`makeStorable`: whole-ms times within the
 *   range of a Date, JSON parameters...); one that cannot be is replaced at once by the job's
 *   `failed` state with the reason.
 * - A batch that fails with a transient error (connection lost, refused or reset, a timeout,
 *   Postgres class 08 / 57P0x / 53, SQLITE_BUSY, Redis's connection closed, a full storage's
 *   `StorageFullError`: see `isTransientStorageError`) is written again after a back-off
 *   (`COMPLETION_BACKOFF`) until it is, or the server gives up at shutdown: a completed job is
 *   never forgotten (if the process dies first, its lease expires and it runs again — at least
 *   once).
 * - A batch that fails with any other error is split in halves, written apart, down to the
 *   change(s) that fail alone; those jobs are recorded `failed` with "Its completion could not be
 *   stored: <the storage's error>" and the rest is written.
 *
 * Poison or outage? A change is poison only when it fails alone *and the storage proves it is
 * up*: its own `failed` state was written, or another write of the same round succeeded. A
 * storage that refuses everything (a revoked grant, a dropped table) therefore fails no job: the
 * round ends, nothing is lost, and the batch is tried again after the back-off. A change whose
 * failed state cannot be written either, while other writes succeed, is given up: it leaves the
 * pending list, so the heartbeat (which renews `pendingIds()`) stops renewing its lease, and the
 * job is recovered and run again by lease expiry — where the `interruptions` bound ends it.
 */
export class Completer {
  private pending: Pending[] = [];
  /** Batches taken from `pending` by a write in flight: their leases must still be renewed. */
  private readonly writing = new Set<Pending[]>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly backoff = new Backoff(COMPLETION_BACKOFF);
  private scheduled = false;
  private draining: Promise<void> | undefined;
  /** The earliest deadline a caller of `flush` gave; Infinity while none waits. */
  private deadline = Infinity;

  constructor(
    private readonly states: StateMachine,
    private readonly logger: Logger,
    /** Told about every batch written, for wake-ups (continuations of finished parents). */
    private readonly onWritten: (changes: TransitionChange[], applied: boolean[]) => void = () => {},
    private readonly maxBatch = 500,
    private readonly clock: Clock = systemClock,
    /**
     * Awaited before each batch when it returns a promise: the server writes the job log lines
     * still buffered, so a job's log is stored before its final state (and its event). Returns
     * undefined when nothing waits, which costs the batch nothing.
     */
    private readonly beforeWrite: () => Promise<void> | undefined = () => undefined,
  ) {}

  /**
   * Resolves at once while fewer than `maxBacklog` (default 10,000) changes wait; otherwise when
   * the backlog has been written. The worker pool awaits it before fetching, so a storage that
   * falls behind slows fetching instead of filling memory.
   */
  backlog(maxBacklog = 10_000): Promise<void> {
    return this.pending.length < maxBacklog ? Promise.resolve() : this.flush();
  }

  /** Ids whose change is not yet written (their leases must still be renewed). */
  pendingIds(): string[] {
    const ids = this.pending.map((p) => p.change.id);
    for (const batch of this.writing) for (const p of batch) ids.push(p.change.id);
    return ids;
  }

  /** Queues a change; resolves with whether it applied once it is written. */
  /**
   * Puts back jobs a stopping server claimed but never started: requeued, their attempt unchanged
   * (not an interruption), written with the other completions.
   */
  requeueUnstarted(jobs: readonly JobRecord[], serverId: string, filters: readonly JobFilter[]): void {
    for (const job of jobs) {
      const change = this.states.change(
        job.id,
        { state: { name: 'enqueued', reason: 'Server shutting down: claimed but not started, requeued', at: this.clock.now() } },
        { states: ['processing'], serverId },
      );
      void this.complete(change, filters);
    }
  }

  complete(change: TransitionChange, filters: readonly JobFilter[]): Promise<boolean> {
    return new Promise((resolve) => this.add({ change, filters, resolve }));
  }

  /** Queues a change nobody waits for (a job run's end: the slot is already free). No promise is made. */
  push(change: TransitionChange, filters: readonly JobFilter[]): void {
    this.add({ change, filters, resolve: undefined });
  }

  private add(p: Pending): void {
    const problem = makeStorable(p.change);
    if (problem !== undefined) {
      this.logger.error(`job ${p.change.id}: the change ending its run cannot be stored (${problem}); recording it as failed instead`, { jobId: p.change.id });
      p.change = failedInstead(p.change, problem, this.clock.now());
    }
    this.pending.push(p);
    if (this.pending.length >= this.maxBatch) void this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSoon, 1);
    }
  }

  /**
   * Writes the pending changes two turns of the event loop after the first one came: the claim
   * that the freed slots trigger leaves first (on a one-connection storage, Redis, it is then
   * served before this batch's completions), and jobs finishing over two turns share one write.
   * Measured on Redis: +15% drain throughput, no change on Postgres and SQLite.
   */
  private readonly flushSoon = (turnsLeft: number): void => {
    if (turnsLeft > 0) {
      setImmediate(this.flushSoon, turnsLeft - 1);
      return;
    }
    this.scheduled = false;
    void this.flush();
  };

  /**
   * Writes everything pending; resolves when the storage has it (or `deadline` passed). Up to
   * `MAX_IN_FLIGHT` batches are written at once, so the next batch does not wait for the previous
   * round trip: the storage stays busy and batches stay large. One drain loop serves every caller:
   * a loop per call piled up while writes lagged behind (a large Redis backlog), each waking on
   * every finished write, and the process spent its time there instead of running jobs.
   */
  flush(deadline = Infinity): Promise<void> {
    this.deadline = Math.min(this.deadline, deadline);
    if (!this.fill()) return Promise.resolve();
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
      this.deadline = Infinity;
    });
    return this.draining;
  }

  /** Starts writes while some are pending and a slot is free; false when the deadline passed. */
  private fill(): boolean {
    while (this.pending.length > 0 && this.inFlight.size < MAX_IN_FLIGHT) {
      if (Date.now() > this.deadline) {
        this.logger.warn(`gave up writing ${this.pending.length} job completion(s) at shutdown; their leases will expire and they will run again`);
        for (const p of this.pending.splice(0)) p.resolve?.(false);
        return false;
      }
      const write: Promise<void> = this.writeBatch().finally(() => this.inFlight.delete(write));
      this.inFlight.add(write);
    }
    return true;
  }

  private async drain(): Promise<void> {
    while (this.inFlight.size > 0) {
      await Promise.race(this.inFlight);
      if (!this.fill()) return;
    }
  }

  private async writeBatch(): Promise<void> {
    const batch = this.pending.splice(0, this.maxBatch);
    this.writing.add(batch);
    try {
      const before = this.beforeWrite();
      if (before) await before;
      // Usually every change of a batch has the same filters (one job type): one storage call.
      const first = batch[0]!.filters;
      const groups =
        batch.every((p) => p.filters === first) || batch.every((p) => p.filters.every((f) => !f.onStateApplied))
          ? [batch]
          : groupByFilters(batch);
      const retry: Pending[] = [];
      let error: unknown;
      for (const group of groups) {
        const round = await this.writeGroup(group);
        retry.push(...round.retry);
        error ??= round.error;
      }
      if (retry.length === 0) {
        const ended = this.backoff.succeed();
        if (ended > 0) this.logger.info(`writing job completions works again after ${ended} failure(s)`);
        return;
      }
      this.pending.unshift(...retry);
      const delay = this.backoff.fail();
      this.logger.warn(`writing ${retry.length} job completion(s) failed (${this.backoff.failures} in a row), retrying in ${delay} ms`, {
        error: errorMessage(error),
      });
      await new Promise((r) => setTimeout(r, delay));
    } finally {
      this.writing.delete(batch);
    }
  }

  /** Writes one group of changes (one set of filters); returns what must wait for the back-off. */
  private async writeGroup(group: Pending[]): Promise<{ retry: Pending[]; error?: unknown }> {
    try {
      await this.apply(group);
      return { retry: [] };
    } catch (e) {
      if (isTransientStorageError(e)) return { retry: group, error: e };
      return this.isolate(group, e);
    }
  }

  /**
   * `group` failed with a non-transient error: bisect it to the change(s) that fail alone, write
   * everything else, record those jobs as failed (see the class comment for the rule that tells
   * poison from an outage). A transient error on the way ends the round: what is left waits for
   * the back-off. Once a change has failed alone and nothing has been stored yet, the storage
   * looks down, so the remaining halves are tried whole rather than split further: an outage
   * costs a few round trips, not one per change.
   */
  private async isolate(group: Pending[], error: unknown): Promise<{ retry: Pending[]; error?: unknown }> {
    const round: Round = { stored: false, transient: undefined, error, retry: [], suspects: [] };
    await this.bisect(group, error, round);
    if (round.suspects.length > 0) {
      if (round.stored) for (const p of round.suspects) this.giveUp(p, round.error);
      else round.retry.push(...round.suspects);
    }
    return { retry: round.retry, error: round.transient ?? round.error };
  }

  private async bisect(part: Pending[], error: unknown, round: Round): Promise<void> {
    if (part.length === 1) return this.failAlone(part[0]!, error, round);
    const mid = part.length >> 1;
    for (const half of [part.slice(0, mid), part.slice(mid)]) {
      if (round.transient !== undefined) {
        round.retry.push(...half);
        continue;
      }
      try {
        await this.apply(half);
        round.stored = true;
      } catch (e) {
        round.error = e;
        if (isTransientStorageError(e)) {
          round.transient = e;
          round.retry.push(...half);
        } else if (half.length > 1 && round.suspects.length > 0 && !round.stored) round.retry.push(...half);
        else await this.bisect(half, e, round);
      }
    }
  }

  /** `p` failed alone with `error`: write the job's failed state instead, or suspect it. */
  private async failAlone(p: Pending, error: unknown, round: Round): Promise<void> {
    const failed = failedInstead(p.change, errorMessage(error), this.clock.now());
    try {
      await this.states.apply([failed], p.filters);
    } catch (e) {
      round.error = e;
      if (isTransientStorageError(e)) {
        round.transient = e;
        round.retry.push(p);
      } else round.suspects.push(p);
      return;
    }
    round.stored = true;
    this.logger.error(`job ${p.change.id}: its completion (${p.change.to.name}) could not be stored; recorded as failed instead`, {
      jobId: p.change.id,
      error: errorMessage(error),
    });
    p.resolve?.(false);
  }

  /** Drops a change nothing can store: its lease is no longer renewed, and lease expiry recovers the job. */
  private giveUp(p: Pending, error: unknown): void {
    this.logger.error(
      `job ${p.change.id}: gave up storing the end of its run (neither its ${p.change.to.name} state nor a failed state could be written, while other writes succeeded); its lease is no longer renewed, so it will be recovered and run again`,
      { jobId: p.change.id, error: errorMessage(error) },
    );
    p.resolve?.(false);
  }

  /** One storage write of `group`; resolves its waiters and tells `onWritten`. */
  private async apply(group: Pending[]): Promise<void> {
    const changes = group.map((p) => p.change);
    const applied = await this.states.apply(changes, group[0]!.filters);
    for (let i = 0; i < group.length; i++) group[i]!.resolve?.(applied[i] === true);
    try {
      this.onWritten(changes, applied);
    } catch (e) {
      this.logger.error('a completion listener threw', { error: errorMessage(e) });
    }
  }
}

function groupByFilters(batch: Pending[]): Pending[][] {
  const groups = new Map<readonly JobFilter[], Pending[]>();
  for (const p of batch) {
    const group = groups.get(p.filters);
    if (group) group.push(p);
    else groups.set(p.filters, [p]);
  }
  return [...groups.values()];
}
