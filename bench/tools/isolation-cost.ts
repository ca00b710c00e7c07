/**
 * What isolation costs per job: a drain of no-op jobs on a MemoryStorage (no database in the
 * way) run inline, in worker threads (`isolation: 'worker'`) and in child processes
 * (`isolation: 'process'`), with the pools warmed up first (starting a thread or a process is a
 * one-off cost, reported apart). Kiln from dist/ (`npm run build` first).
 *
 *   node --import tsx bench/tools/isolation-cost.ts [jobs=5000] [concurrency=8] [rounds=3]
 *
 * Prints jobs/s and this process's CPU per job (all its threads, so a worker thread's work is in
 * it; a child process's is not) for each mode, per round, and the medians.
 */
import type * as Kiln from '../../src/index.js';
import { child, inline, worker } from './isolation-jobs.js';

const kiln = (await import(new URL('../../dist/index.js', import.meta.url).href)) as typeof Kiln;
const jobs = Number(process.argv[2] ?? 5_000);
const concurrency = Number(process.argv[3] ?? 8);
const rounds = Number(process.argv[4] ?? 3);

type Definition = typeof inline;

async function drain(definition: Definition, n: number): Promise<{ rate: number; cpuPerJobUs: number; warmMs: number }> {
  const storage = new kiln.MemoryStorage();
  const client = new kiln.JobClient({ storage, logger: kiln.silentLogger });
  const server = new kiln.BackgroundJobServer({
    storage,
    jobs: [definition],
    workerCount: concurrency,
    pollInterval: 10,
    isolation: { poolSize: concurrency },
    logger: kiln.silentLogger,
  });
  await server.start();
  const done = async (count: number) => {
    while ((await storage.statistics()).states.succeeded < count) await new Promise((r) => setTimeout(r, 5));
  };
  // Warm-up: one job per slot starts every thread or process of the pool.
  const w0 = performance.now();
  await client.enqueueMany(definition, Array.from({ length: concurrency }, (_, i) => i));
  await done(concurrency);
  const warmMs = performance.now() - w0;
  await client.enqueueMany(definition, Array.from({ length: n }, (_, i) => i));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await done(concurrency + n);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await server.dispose();
  return { rate: (n / ms) * 1000, cpuPerJobUs: (cpu.user + cpu.system) / n, warmMs };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const results = new Map<string, Array<Awaited<ReturnType<typeof drain>>>>();
for (let round = 1; round <= rounds; round++) {
  for (const [label, definition] of [['inline', inline], ['worker', worker], ['process', child]] as const) {
    const r = await drain(definition, jobs);
    (results.get(label) ?? results.set(label, []).get(label)!).push(r);
    console.log(`round ${round} ${label.padEnd(7)} ${r.rate.toFixed(0).padStart(6)} jobs/s, ${r.cpuPerJobUs.toFixed(1).padStart(6)} µs CPU/job in this process, warm-up ${r.warmMs.toFixed(0)} ms`);
  }
}
const base = median(results.get('inline')!.map((r) => r.cpuPerJobUs));
for (const [label, rs] of results) {
  const rate = median(rs.map((r) => r.rate));
  const cpu = median(rs.map((r) => r.cpuPerJobUs));
  console.log(`median ${label.padEnd(7)} ${rate.toFixed(0).padStart(6)} jobs/s, ${cpu.toFixed(1).padStart(6)} µs CPU/job (+${(cpu - base).toFixed(1)} µs vs inline), ${(1e6 / rate).toFixed(0)} µs wall/job at c=${concurrency}`);
}
