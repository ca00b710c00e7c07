import { KilnError } from '../errors.js';
import type { JobEventChannel, JobLogStore } from './contract/index.js';

/**
 * The job-event and job-log roles of a backend that does not implement them yet. The Postgres and
 * Redis backends hold these until their implementations land (issue #15); the conformance suite's
 * `events` and `logs` cases fail for them meanwhile, as they should.
 *
 * Job events reject with a `KilnError` naming the backend: `client.events` and `waitFor` cannot
 * work, and say why. Job logs behave as a store that keeps none (appended lines are dropped, every
 * log reads empty), so everything that worked before (`client.get`, the dashboard's job page, a
 * server whose jobs log) still works on these backends.
 */
export function unimplementedEvents(backend: string): JobEventChannel {
  return { subscribeJobEvents: () => Promise.reject(new KilnError(`${backend} does not implement job events yet`)) };
}

export const unimplementedLogs: JobLogStore = {
  appendJobLogs: async () => {},
  jobLogs: async () => ({ lines: [], dropped: 0, lastSeq: 0 }),
};
