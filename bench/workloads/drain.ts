/** Drain throughput: a backlog of no-op jobs run by one worker process at the workload's concurrency. */
import { databaseCpuMs } from '../services.js';
import { StartCounter, budgetOf, payloads, settle, withFreshSystem, type Measurement, type Workload } from '../workload.js';

/** Enqueues `n` jobs in bulk calls of at most `chunk`. */
export async function enqueueBacklog(system: { enqueueBulk(p: ReturnType<typeof payloads>): Promise<void> }, n: number, chunk = 20_000): Promise<void> {
  for (let i = 0; i < n; i += chunk) await system.enqueueBulk(payloads(Math.min(chunk, n - i), i));
}

export const drain: Workload = {
  id: 'drain',
  title: 'Drain of pre-enqueued jobs, one process',
  run: (spec, o) =>
    withFreshSystem(spec, async (system) => {
      await enqueueBacklog(system, o.jobs);
      const counter = new StartCounter(o.jobs, budgetOf(spec, o));
      const db0 = databaseCpuMs(spec.backend);
      const cpu0 = process.cpuUsage();
      const worker = await system.startWorker(o.concurrency, counter.handler);
      await counter.done;
      const cpu = process.cpuUsage(cpu0);
      const dbMs = databaseCpuMs(spec.backend) - db0;
      await worker.stop();
      const out: Measurement = { metric: `drain ${o.jobs} (c=${o.concurrency})`, value: counter.rate(), unit: 'jobs/s', better: 'higher' };
      const partial = counter.partialNote();
      if (partial) out.note = partial;
      else {
        const left = await settle(system);
        if (left > 0) out.note = `${left} jobs not completed in storage after the drain`;
      }
      // CPU of this (the worker's) process from start to the last job, per job: what the framework
      // itself costs, next to what the database costs (on a 2-core machine both compete).
      const perJob = (cpu.user + cpu.system) / Math.max(1, counter.count);
      const cpuRows: Measurement[] = [{ metric: 'drain: worker process CPU per job', value: perJob, unit: 'µs', better: 'lower' }];
      if (spec.backend !== 'sqlite') {
        cpuRows.push({ metric: 'drain: database server CPU per job', value: (dbMs * 1000) / Math.max(1, counter.count), unit: 'µs', better: 'lower' });
      }
      return [out, ...cpuRows];
    }),
};
