import { storageTargets } from '../fixtures/storage-targets.js';
import { jobLogSuite } from './job-logs.js';
import { waitForSuite } from './wait-for.js';

// One process: no other process can share a memory store, so no cross-process case.
for (const target of storageTargets('memory')) {
  waitForSuite(target);
  jobLogSuite(target);
}
