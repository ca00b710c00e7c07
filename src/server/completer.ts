import type { Logger } from '../logger.js';
import type { StateMachine } from '../states/state-machine.js';
import type { JobFilter } from '../states/filters.js';
import type { TransitionChange } from '../storage/contract/index.js';

/** Batches written at the same time at most. */
const MAX_IN_FLIGHT = 2;

interface Pending {
  change: TransitionChange;
  filters: readonly JobFilter[];
  /** Absent for `push`ed changes: nobody waits for them. */
  resolve: ((applied: boolean) => void) | undefined;
}

/**
 * Batches the state changes that end job runs, so one storage round trip acknowledges many jobs
 * (as River's batched completer). A batch is written once the event loop has turned twice (see
 * `flushSoon`), or when `maxBatch` (default 500) changes wait. A batch that fails is retried with
 * back-off until it is written or the server gives up at shutdown: a completed job is never
 * forgotten (if the process dies first, its lease expires and it runs again — at least once).
 */
export class Completer {
  private pending: Pending[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private scheduled = false;
  private failures = 0;
  private draining: Promise<void> | undefined;
  /** The earliest deadline a caller of `flush` gave; Infinity while none waits. */
  private deadline = Infinity;

  constructor(
    private readonly states: StateMachine,
    private readonly logger: Logger,
    /** Told about every batch written, for wake-ups (continuations of finished parents). */
    private readonly onWritten: (changes: TransitionChange[], applied: boolean[]) => void = () => {},
    private readonly maxBatch = 500,
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
    return this.pending.map((p) => p.change.id);
  }

  /** Queues a change; resolves with whether it applied once it is written. */
  complete(change: TransitionChange, filters: readonly JobFilter[]): Promise<boolean> {
    return new Promise((resolve) => this.add({ change, filters, resolve }));
  }

  /** Queues a change nobody waits for (a job run's end: the slot is already free). No promise is made. */
  push(change: TransitionChange, filters: readonly JobFilter[]): void {
    this.add({ change, filters, resolve: undefined });
  }

  private add(p: Pending): void {
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
    try {
      // Usually every change of a batch has the same filters (one job type): one storage call.
      const first = batch[0]!.filters;
      const groups =
        batch.every((p) => p.filters === first) || batch.every((p) => p.filters.every((f) => !f.onStateApplied))
          ? [batch]
          : groupByFilters(batch);
      for (const group of groups) {
        const changes = group.map((p) => p.change);
        const applied = await this.states.apply(changes, group[0]!.filters);
        for (let i = 0; i < group.length; i++) group[i]!.resolve?.(applied[i] === true);
        this.onWritten(changes, applied);
      }
      this.failures = 0;
    } catch (e) {
      this.pending.unshift(...batch);
      this.failures++;
      const delay = Math.min(100 * 2 ** (this.failures - 1), 5000);
      this.logger.warn(`writing ${batch.length} job completion(s) failed, retrying in ${delay} ms`, { error: String(e) });
      await new Promise((r) => setTimeout(r, delay));
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
