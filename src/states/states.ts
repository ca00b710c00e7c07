import { STATE_NAMES, type StateName } from '../storage/contract/index.js';

export type { StateName } from '../storage/contract/index.js';
export { STATE_NAMES } from '../storage/contract/index.js';

/**
 * Final states: nothing happens to the job any more, and it expires after its retention
 * (`succeeded`, `deleted`). `failed` is not final: it waits for someone to requeue or delete it
 * and never expires, as in Hangfire.
 */
export const FINAL_STATES: readonly StateName[] = ['succeeded', 'deleted'];

export function isFinal(state: StateName): boolean {
  return FINAL_STATES.includes(state);
}

/** Every state but the given ones, for compare-and-set expectations like "any but deleted". */
export function statesExcept(...excluded: StateName[]): StateName[] {
  return STATE_NAMES.filter((s) => !excluded.includes(s));
}
