import type { Clock } from '../clock.js';
import type { JobContext } from '../jobs/context.js';
import type { Json, JobRecord, StateEntry, Storage } from '../storage/contract/index.js';

/**
 * The state a change is about to put a job in, with its placement. Elect-state filters may
 * replace it (automatic retry turns `failed` into `scheduled`); every replaced candidate is kept in
 * the job's history, as Hangfire does.
 */
export interface CandidateState {
  state: StateEntry;
  /** For `enqueued`: the queue. */
  queue?: string;
  /** For `scheduled`: when due. */
  runAt?: number;
  /** A new attempt number. */
  attempt?: number;
  /** Parameters merged into the job's. */
  parameters?: Record<string, Json>;
}

/** Before a job is created: may change its queue or parameters, or cancel it. */
export interface CreatingContext {
  readonly name: string;
  queue: string;
  readonly args: Json;
  parameters: Record<string, Json>;
  /** The job is not created: `enqueue` rejects with a `JobCreationCanceledError` carrying the reason. */
  cancel(reason: string): void;
}

/** After a job was created (or a unique key matched an existing one). */
export interface CreatedContext {
  readonly jobId: string;
  readonly name: string;
  readonly created: boolean;
}

/**
 * Before a job runs: may cancel the run (the job is then deleted with the reason), or throw
 * (the attempt then fails and the retry policy applies).
 */
export interface PerformingContext {
  readonly job: JobRecord;
  readonly context: JobContext;
  /** The server's storage, for filters that need locks or lookups. */
  readonly storage: Storage;
  /** The server's clock when the run began. */
  readonly now: number;
  /**
   * The server's clock, for filters that keep reading the time (a lock they wait for and renew):
   * every time handed to storage comes from it, never from `Date.now()`, so it agrees with the
   * other servers' and with a test's fake clock.
   */
  readonly clock: Clock;
  cancel(reason: string): void;
}

/** After a job ran: `error` is set when it threw. */
export interface PerformedContext {
  readonly job: JobRecord;
  readonly context: JobContext;
  readonly storage: Storage;
  readonly result?: Json;
  readonly error?: unknown;
}

/** A state change is being decided. `candidate` may be replaced. */
export interface ElectStateContext {
  /** The job as it is now, before the change. */
  readonly job: JobRecord;
  /** The error that caused a `failed` candidate, when there is one. */
  readonly error?: unknown;
  readonly now: number;
  candidate: CandidateState;
}

/** A state change was applied by the storage. */
export interface StateAppliedContext {
  readonly jobId: string;
  readonly oldState: JobRecord['state'] | undefined;
  readonly newState: StateEntry;
}

/**
 * A filter: hooks around job creation, execution and state changes, as Hangfire's client,
 * server, elect-state and apply-state filters. All filters that apply to a job form one pipeline
 * sorted by `order` (default 0; the built-in automatic retry is -1000); ties keep their scope's
 * order, as Hangfire's: global (`configure({ filters })`), then the client's or server's, then
 * the job definition's own, each in the order given. Every hook may be async.
 */
export interface JobFilter {
  /** Shown in logs. */
  readonly name?: string;
  readonly order?: number;
  onCreating?(ctx: CreatingContext): void | Promise<void>;
  onCreated?(ctx: CreatedContext): void | Promise<void>;
  onPerforming?(ctx: PerformingContext): void | Promise<void>;
  onPerformed?(ctx: PerformedContext): void | Promise<void>;
  onStateElection?(ctx: ElectStateContext): void | Promise<void>;
  onStateApplied?(ctx: StateAppliedContext): void | Promise<void>;
}

/** Orders filters: by `order`, then as given (stable sort). */
export function orderFilters(...lists: ReadonlyArray<readonly JobFilter[] | undefined>): JobFilter[] {
  const all = lists.flatMap((l) => l ?? []);
  return all.map((f, i) => ({ f, i })).sort((a, b) => (a.f.order ?? 0) - (b.f.order ?? 0) || a.i - b.i).map((x) => x.f);
}
