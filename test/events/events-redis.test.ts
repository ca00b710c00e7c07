import { storageTargets } from '../fixtures/storage-targets.js';
import { crossProcessSuite } from './cross-process.js';
import { jobLogSuite } from './job-logs.js';
import { processTarget } from './process-targets.js';
import { waitForSuite } from './wait-for.js';

for (const target of processTarget('redis')) crossProcessSuite(target);
for (const target of storageTargets('redis')) {
  waitForSuite(target);
  jobLogSuite(target);
}
