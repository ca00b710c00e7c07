/** Lateness of a batch of jobs all due at one instant: start time − due time. */
import { budgetOf, payloads, percentile, sleep, within, withFreshSystem, type Measurement, type Workload } from '../workload.js';

const LEAD_MS = 3000;

export const scheduled: Workload = {
  id: 'scheduled',
  title: 'Scheduled batch due at one instant (lateness)',
  run: (spec, o) =>
    withFreshSystem(spec, async (system) => {
      const lateness: number[] = [];
      let due = 0;
      let all: () => void = () => {};
      const done = new Promise<void>((r) => (all = r));
      const worker = await system.startWorker(o.concurrency, () => {
        lateness.push(Date.now() - due);
        if (lateness.length === o.scheduled) all();
      });
      let note: string | undefined;
      try {
        await sleep(200);
        due = Date.now() + LEAD_MS;
        await system.scheduleBulk(payloads(o.scheduled), due);
        const spare = due - Date.now();
        if (spare < 200) note = `scheduling took until ${-spare} ms after the due time`;
        await within(done, LEAD_MS + budgetOf(spec, o));
      } finally {
        await worker.stop();
      }
      if (lateness.length < o.scheduled) note = `partial: ${lateness.length}/${o.scheduled} started in the time budget`;
      const m = (metric: string, value: number): Measurement => ({ metric, value, unit: 'ms', better: 'lower', ...(note ? { note } : {}) });
      return [m(`${o.scheduled} due at once: lateness p50`, percentile(lateness, 50)), m(`${o.scheduled} due at once: lateness p99`, percentile(lateness, 99))];
    }),
};
