import { drainInBatches } from '../batch-drain.js';
import type { Clock } from '../clock.js';
import type { Json, JobRecord, StateName, Storage, TransitionChange } from '../storage/contract/index.js';
import type { CandidateState } from './filters.js';
import type { StateMachine } from './state-machine.js';

/** When a continuation runs: after its parent succeeded (default), was deleted, or either. */
export type ContinuationCondition = 'succeeded' | 'finished' | 'deleted';

export const CONTINUATION_CONDITIONS: readonly ContinuationCondition[] = ['succeeded', 'finished', 'deleted'];

/** Awaiting jobs per batch: each becomes one change of a single `transition` call. */
const BATCH = 500;

/**
 * Moves continuations on once their parent settled, as Hangfire's ContinuationsSupport: to
 * their queue when the condition holds (with the parent's result as the `parentResult`
 * parameter), to `deleted` with the reason when it can no longer hold (the parent was deleted
 * but the continuation waits for success, or the parent is gone). Compare-and-set from
 * `awaiting`, so any number of servers and clients may do it at once.
 */
export async function resolveContinuations(storage: Storage, states: StateMachine, clock: Clock, signal?: AbortSignal): Promise<number> {
  let moved = 0;
  await drainInBatches(
    async (limit) => {
      const ready = await storage.awaitingReady(limit);
      if (ready.length === 0) return 0;
      const changes: TransitionChange[] = ready.map((r) => states.change(r.job.id, decide(r.job, r.parentState, r.parentResult, clock.now()), { states: ['awaiting'] }));
      const applied = await states.apply(changes);
      moved += applied.filter(Boolean).length;
      return ready.length;
    },
    { batch: BATCH, signal },
  );
  return moved;
}

function decide(job: JobRecord, parentState: StateName | null, parentResult: string | null, now: number): CandidateState {
  const parent = job.parentId ?? '(none)';
  if (parentState === null) {
    return { state: { name: 'deleted', reason: `Parent job ${parent} no longer exists`, at: now } };
  }
  const on = (job.stateData?.['on'] as ContinuationCondition | undefined) ?? 'succeeded';
  const holds = on === 'finished' || on === parentState;
  if (!holds) {
    return {
      state: { name: 'deleted', reason: `Parent job ${parent} was ${parentState}; this continuation runs only when it is ${on}`, at: now },
    };
  }
  const parameters: Record<string, Json> = { parentId: parent, parentState };
  if (parentResult !== null) parameters['parentResult'] = JSON.parse(parentResult) as Json;
  return { state: { name: 'enqueued', reason: `Parent job ${parent} ${parentState}`, at: now }, parameters };
}
