/** Enqueue throughput: one bulk call, and one-by-one awaited calls. */
import { budgetOf, payloads, withFreshSystem, type Workload } from '../workload.js';

export const enqueueBulk: Workload = {
  id: 'enqueue-bulk',
  title: 'Bulk enqueue (each system\'s bulk API, one call)',
  run: (spec, o) =>
    withFreshSystem(spec, async (system) => {
      const jobs = payloads(o.jobs);
      const t = performance.now();
      await system.enqueueBulk(jobs);
      const ms = performance.now() - t;
      return [{ metric: `enqueue ${o.jobs} in bulk`, value: (o.jobs * 1000) / ms, unit: 'jobs/s', better: 'higher' }];
    }),
};

export const enqueueOne: Workload = {
  id: 'enqueue-one',
  title: 'One-by-one awaited enqueue',
  run: (spec, o) =>
    withFreshSystem(spec, async (system) => {
      for (let i = 0; i < 20; i++) await system.enqueueOne({ i: -1 - i }); // warm-up: connections, prepared statements
      const budget = budgetOf(spec, o);
      const t = performance.now();
      let n = 0;
      while (n < o.oneByOne && performance.now() - t < budget) await system.enqueueOne({ i: n++ });
      const ms = performance.now() - t;
      const note = n < o.oneByOne ? `partial: ${n}/${o.oneByOne} in the time budget` : undefined;
      return [{ metric: `enqueue ${o.oneByOne} one by one`, value: (n * 1000) / ms, unit: 'jobs/s', better: 'higher', ...(note ? { note } : {}) }];
    }),
};
