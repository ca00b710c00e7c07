import { concurrencyLimitCases } from './concurrency-limits.js';
import { eventCases } from './events.js';
import { describeCases } from './describe.js';
import { fetchCases } from './fetch.js';
import type { ConformanceTarget } from './harness.js';
import { hostileTextCases } from './hostile-text.js';
import { interruptionCases } from './interruptions.js';
import { jobCases } from './jobs.js';
import { leaseCases } from './leases.js';
import { lifecycleCases } from './lifecycle.js';
import { livenessCases } from './liveness.js';
import { limitUsageCases } from './limit-usage.js';
import { logCases } from './logs.js';
import { monitoringCases } from './monitoring.js';
import { priorityCases } from './priority.js';
import { queueControlCases } from './queue-control.js';
import { rateLimitCases } from './rate-limits.js';
import { recurringCases } from './recurring.js';
import { transitionCases } from './transitions.js';
import { uniqueModeCases } from './unique-modes.js';

export type { ConformanceStore, ConformanceTarget, RemoteHolder } from './harness.js';
export { T0, claimAll, complete, newJob } from './harness.js';

/**
 * Registers the whole conformance suite for one backend. A backend is correct when all of it
 * passes; every backend runs the same cases (as River's driver suite and Oban's engine tests do).
 */
export function runConformance(target: ConformanceTarget): void {
  jobCases(target);
  fetchCases(target);
  transitionCases(target);
  leaseCases(target);
  interruptionCases(target);
  lifecycleCases(target);
  recurringCases(target);
  monitoringCases(target);
  livenessCases(target);
  hostileTextCases(target);
  // Flow control (DESIGN.md §9).
  priorityCases(target);
  queueControlCases(target);
  concurrencyLimitCases(target);
  rateLimitCases(target);
  uniqueModeCases(target);
  limitUsageCases(target);
  eventCases(target);
  logCases(target);
  describeCases(target);
}
