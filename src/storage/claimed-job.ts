import type { FetchOptions, JobRecord } from './contract/index.js';

/** What a backend reads back of a job it just claimed: every field the claim itself does not set. */
export type UnclaimedFields = Omit<JobRecord, 'state' | 'stateReason' | 'stateData' | 'stateAt' | 'serverId' | 'leaseUntil'>;

/**
 * The record of a job `fetch` just claimed: what the backend read, and the state the claim gives
 * every job (`processing` under `o.serverId` since `o.now`, leased until `o.now + o.leaseMs`, with
 * `{ serverId }` as its data). Postgres and Redis read back only the fields the claim did not
 * set and complete the record here, rather than each spelling that state again.
 */
export function claimedJob(read: UnclaimedFields, o: FetchOptions): JobRecord {
  return {
    ...read,
    state: 'processing',
    stateReason: null,
    stateData: { serverId: o.serverId },
    stateAt: o.now,
    serverId: o.serverId,
    leaseUntil: o.now + o.leaseMs,
  };
}
