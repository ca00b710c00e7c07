import { KilnError } from '../errors.js';
import type { JobEventChannel, JobLogStore } from './contract/index.js';

/**
 * The job-event and job-log roles of a backend that does not implement them yet: every call
 * rejects with a `KilnError` that names the backend and the role. The Postgres and Redis
 * backends hold these until their implementations land (issue #15); the conformance suite's
 * `events` and `logs` cases fail for them meanwhile, as they should.
 */
export function unimplementedEvents(backend: string): JobEventChannel {
  return { subscribeJobEvents: () => missing(backend, 'job events') };
}

export function unimplementedLogs(backend: string): JobLogStore {
  return { appendJobLogs: () => missing(backend, 'job logs'), jobLogs: () => missing(backend, 'job logs') };
}

function missing(backend: string, role: string): Promise<never> {
  return Promise.reject(new KilnError(`${backend} does not implement ${role} yet`));
}
