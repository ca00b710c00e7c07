import { storageTargets } from '../fixtures/storage-targets.js';
import { hostileJobSuite } from './hostile-jobs.js';

for (const target of storageTargets('postgres')) hostileJobSuite(target);
