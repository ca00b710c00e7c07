/** Drain throughput: a backlog of no-op jobs run by one worker process at the workload's concurrency. */
import { databaseCpuMs } from '../services.js';
import { LIMITED_KEYS, PER_KEY_LIMIT, type System, type SystemSpec } from '../system.js';
import { StartCounter, budgetOf, payloads, settle, withFreshSystem, type BenchOptions, type Measurement, type Workload } from '../workload.js';

/** Enqueues `n` jobs in bulk calls of at most `chunk`. */
export async function enqueueBacklog(system: { enqueueBulk(p: ReturnType<typeof payloads>): Promise<void> }, n: number, chunk = 20_000): Promise<void> {
  for (let i = 0; i < n; i += chunk) await system.enqueueBulk(payloads(Math.min(chunk, n - i), i));
}

/**
 * Enqueues a backlog with `enqueue`, then drains it with one worker at the workload's
 * concurrency: the start rate, and the CPU per job of the worker process and the database.
 */
export function drainOf(
  spec: SystemSpec,
  o: BenchOptions,
  label: string,
  enqueue: (system: System) => Promise<void>,
  what = `${o.jobs}`,
): Promise<Measurement[]> {
  return withFreshSystem(spec, async (system) => {
    await enqueue(system);
    const counter = new StartCounter(o.jobs, budgetOf(spec, o));
    const db0 = databaseCpuMs(spec.backend);
    const cpu0 = process.cpuUsage();
    const worker = await system.startWorker(o.concurrency, counter.handler);
    await counter.done;
    const cpu = process.cpuUsage(cpu0);
    const dbMs = databaseCpuMs(spec.backend) - db0;
    await worker.stop();
    const out: Measurement = { metric: `drain ${what} (c=${o.concurrency})`, value: counter.rate(), unit: 'jobs/s', better: 'higher' };
    const partial = counter.partialNote();
    if (partial) out.note = partial;
    else {
      const left = await settle(system);
      if (left > 0) out.note = `${left} jobs not completed in storage after the drain`;
    }
    // CPU of this (the worker's) process from start to the last job, per job: what the framework
    // itself costs, next to what the database costs (on a 2-core machine both compete).
    const perJob = (cpu.user + cpu.system) / Math.max(1, counter.count);
    const cpuRows: Measurement[] = [{ metric: `${label}: worker process CPU per job`, value: perJob, unit: 'µs', better: 'lower' }];
    if (spec.backend !== 'sqlite') {
      cpuRows.push({ metric: `${label}: database server CPU per job`, value: (dbMs * 1000) / Math.max(1, counter.count), unit: 'µs', better: 'lower' });
    }
    return [out, ...cpuRows];
  });
}

export const drain: Workload = {
  id: 'drain',
  title: 'Drain of pre-enqueued jobs, one process',
  run: (spec, o) => drainOf(spec, o, 'drain', (system) => enqueueBacklog(system, o.jobs)),
};

/**
 * The same drain with a per-key concurrency limit on every job: `LIMITED_KEYS` keys (job i has
 * key i mod 100), at most `PER_KEY_LIMIT` running per key. Only systems that offer such limits
 * without a paid edition run it (Kiln); for the others it reports nothing.
 */
export const drainLimited: Workload = {
  id: 'drain-limited',
  title: `Drain with a per-key concurrency limit (${LIMITED_KEYS} keys, ${PER_KEY_LIMIT} at once per key), one process`,
  run: async (spec, o) => {
    if (!spec.limits) return [];
    const enqueue = async (system: System) => {
      for (let i = 0; i < o.jobs; i += 20_000) await system.enqueueBulkLimited!(payloads(Math.min(20_000, o.jobs - i), i));
    };
    return drainOf(spec, o, 'drain-limited', enqueue, `${o.jobs} over ${LIMITED_KEYS} keys, ${PER_KEY_LIMIT} per key at once`);
  },
};
