// CPU-heavy jobs in worker threads (`isolation: 'worker'`): the server's event loop stays free
// while they compute, and a job that never ends is stopped hard at its timeout.
// Run: node --import tsx examples/cpu-heavy.ts (worker threads inherit --import tsx).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BackgroundJobServer, JobClient, silentLogger } from '../src/index.js';
import { MemoryStorage } from '../src/storage/memory/index.js';
import { countPrimes, runaway } from './cpu-heavy-jobs.js';

const storage = new MemoryStorage();
const client = new JobClient({ storage });
const server = new BackgroundJobServer({ storage, jobs: [countPrimes, runaway], workerCount: 4, logger: silentLogger });
await server.start();

const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const ids = await client.enqueueMany(countPrimes, [{ below: 1_000_000 }, { below: 2_000_000 }]);
const stuck = await client.enqueue(runaway, null);
const done = async (id: string) => ['succeeded', 'failed'].includes((await client.get(id))?.state ?? '');
while (!(await done(stuck)) || !(await done(ids[0]!)) || !(await done(ids[1]!))) await new Promise((r) => setTimeout(r, 20));
lag.disable();

for (const id of ids) {
  const job = await client.get(id);
  console.log(`${job?.name} ${job?.state}: ${job?.result} (progress ${JSON.stringify(job?.parameters['progress'])})`);
}
console.log(`runaway ${(await client.get(stuck))?.state}: ${(await client.get(stuck))?.stateReason}`);
console.log(`longest pause of the server's event loop meanwhile: ${Math.round(lag.max / 1e6)} ms`);
await server.dispose();
