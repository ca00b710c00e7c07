import { describeCases } from './describe.js';
import { fetchCases } from './fetch.js';
import type { ConformanceTarget } from './harness.js';
import { jobCases } from './jobs.js';
import { leaseCases } from './leases.js';
import { lifecycleCases } from './lifecycle.js';
import { monitoringCases } from './monitoring.js';
import { recurringCases } from './recurring.js';
import { transitionCases } from './transitions.js';

export type { ConformanceStore, ConformanceTarget } from './harness.js';
export { T0, newJob } from './harness.js';

/**
 * Registers the whole conformance suite for one backend. A backend is correct when all of it
 * passes; every backend runs the same cases (as River's driver suite and Oban's engine tests do).
 */
export function runConformance(target: ConformanceTarget): void {
  jobCases(target);
  fetchCases(target);
  transitionCases(target);
  leaseCases(target);
  lifecycleCases(target);
  recurringCases(target);
  monitoringCases(target);
  describeCases(target);
}
