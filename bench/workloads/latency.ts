/**
 * Enqueue-to-start latency of an idle server: one job at a time, the clock started before the
 * enqueue call and stopped when the job's handler runs (same process), then a short pause so the
 * server is idle again before the next one.
 */
import { budgetOf, percentile, sleep, withFreshSystem, type Measurement, type Workload } from '../workload.js';

const WARMUP = 20;
const PAUSE_MS = 5;

export const latency: Workload = {
  id: 'latency',
  title: 'Enqueue-to-start latency, idle server',
  run: (spec, o) =>
    withFreshSystem(spec, async (system) => {
      let started: ((at: number) => void) | undefined;
      const worker = await system.startWorker(o.concurrency, () => started?.(performance.now()));
      const samples: number[] = [];
      try {
        await sleep(500);
        // A polling system (pg-boss) takes half its interval per sample: give it a minute and a short warm-up.
        const budget = spec.slow ? Math.max(60_000, budgetOf(spec, o)) : budgetOf(spec, o);
        const warmup = spec.slow ? 2 : WARMUP;
        const begin = performance.now();
        for (let k = 0; k < o.latencySamples + warmup && performance.now() - begin < budget; k++) {
          const start = new Promise<number>((resolve) => (started = resolve));
          const t0 = performance.now();
          await system.enqueueOne({ i: k });
          const t1 = await start;
          if (k >= warmup) samples.push(t1 - t0);
          await sleep(PAUSE_MS);
        }
      } finally {
        await worker.stop();
      }
      const note = samples.length < o.latencySamples ? `${samples.length} samples (time budget)` : undefined;
      const m = (metric: string, p: number): Measurement => ({ metric, value: percentile(samples, p), unit: 'ms', better: 'lower', ...(note ? { note } : {}) });
      return [m('enqueue→start p50', 50), m('enqueue→start p95', 95), m('enqueue→start p99', 99)];
    }),
};
