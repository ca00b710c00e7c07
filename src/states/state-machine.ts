import type { Clock } from '../clock.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JobRecord, StateEntry, StateName, Storage, TransitionChange } from '../storage/contract/index.js';
import type { CandidateState, ElectStateContext, JobFilter } from './filters.js';

/** How long final jobs are kept before the expiration manager deletes them. */
export interface Retention {
  /** Default 1 day, as Hangfire. */
  succeeded: number;
  /** Default 1 day, as Hangfire. */
  deleted: number;
}

export const DEFAULT_RETENTION: Retention = { succeeded: 86_400_000, deleted: 86_400_000 };

/**
 * Every state change goes through here: elect-state filters may replace the candidate (each
 * replaced candidate is kept in the history), then the storage applies the change with a
 * compare-and-set on the expected state, then apply-state filters hear about it.
 */
export class StateMachine {
  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly retention: Retention = DEFAULT_RETENTION,
  ) {}

  /** Runs the elect-state filters and builds the compare-and-set change for `job`. */
  async elect(
    job: JobRecord,
    candidate: CandidateState,
    expect: { states: StateName[]; serverId?: string },
    filters: readonly JobFilter[],
    error?: unknown,
  ): Promise<TransitionChange> {
    const now = this.clock.now();
    const ctx: ElectStateContext = { job, error, now, candidate };
    const passedThrough: StateEntry[] = [];
    for (const filter of filters) {
      if (!filter.onStateElection) continue;
      const before = ctx.candidate;
      try {
        // Most filters decide synchronously (the retry filter does): await only a thenable.
        const pending: unknown = filter.onStateElection(ctx);
        if (typeof (pending as PromiseLike<void> | undefined)?.then === 'function') await pending;
      } catch (e) {
        this.logger.error(`elect-state filter ${filter.name ?? '(anonymous)'} threw; its choice is ignored`, { error: errorMessage(e) });
        ctx.candidate = before;
      }
      if (ctx.candidate !== before) passedThrough.push(before.state);
    }
    return this.change(job.id, ctx.candidate, expect, passedThrough);
  }

  /** The change for a candidate without filters (client actions, maintenance). */
  change(
    id: string,
    candidate: CandidateState,
    expect: { states: StateName[]; serverId?: string },
    passedThrough: StateEntry[] = [],
  ): TransitionChange {
    const to = candidate.state;
    const change: TransitionChange = { id, expectStates: expect.states, to };
    if (expect.serverId !== undefined) change.expectServerId = expect.serverId;
    if (passedThrough.length > 0) change.passedThrough = passedThrough;
    if (candidate.queue !== undefined) change.queue = candidate.queue;
    if (candidate.runAt !== undefined) change.runAt = candidate.runAt;
    if (candidate.attempt !== undefined) change.attempt = candidate.attempt;
    if (candidate.parameters !== undefined) change.parameters = candidate.parameters;
    if (to.name === 'succeeded') change.expireAt = to.at + this.retention.succeeded;
    if (to.name === 'deleted') change.expireAt = to.at + this.retention.deleted;
    return change;
  }

  /** Applies changes in one storage call; tells apply-state filters about the ones that applied. */
  async apply(changes: TransitionChange[], filters: readonly JobFilter[] = []): Promise<boolean[]> {
    if (changes.length === 0) return [];
    const applied = await this.storage.transition(changes, this.clock.now());
    const listeners = filters.filter((f) => f.onStateApplied);
    if (listeners.length > 0) {
      for (let i = 0; i < changes.length; i++) {
        if (!applied[i]) continue;
        const c = changes[i]!;
        for (const f of listeners) {
          try {
            await f.onStateApplied!({ jobId: c.id, oldState: c.expectStates.length === 1 ? c.expectStates[0] : undefined, newState: c.to });
          } catch (e) {
            this.logger.error(`apply-state filter ${f.name ?? '(anonymous)'} threw`, { error: errorMessage(e), jobId: c.id });
          }
        }
      }
    }
    return applied;
  }
}
