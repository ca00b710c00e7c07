/**
 * Micro-benchmark of RedisStorage alone (no engine): createJobs of N jobs, then draining them with
 * fetch(batch) + transition(batch → succeeded) loops — one loop, four loops sharing one storage
 * (one auto-pipelined connection, as one server process), and four loops on four storages (four
 * connections, as four processes).
 *
 *   KILN_BENCH_REDIS_URL=redis://127.0.0.1:6379 node --import tsx bench/redis-storage-micro.ts [jobs=20000] [batch=100]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { silentLogger } from '../src/logger.js';
import type { NewJob } from '../src/storage/contract/index.js';
import { RedisStorage } from '../src/storage/redis/index.js';
import { deleteKeys } from '../test/fixtures/redis-helpers.js';

const url = process.env['KILN_BENCH_REDIS_URL'] ?? process.env['KILN_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const total = Number(process.argv[2] ?? 20_000);
const batch = Number(process.argv[3] ?? 100);
const now = Date.now();

function jobs(): NewJob[] {
  return Array.from({ length: total }, (_, i) => ({
    id: randomUUID(),
    name: 'noop',
    queue: 'default',
    args: JSON.stringify({ i }),
    state: { name: 'enqueued', reason: 'bench', at: now },
    createdAt: now,
    parameters: {},
  }));
}

async function drainLoop(storage: RedisStorage, serverId: string): Promise<number> {
  let done = 0;
  for (;;) {
    const got = await storage.fetch({ queues: ['default'], max: batch, serverId, leaseMs: 30_000, now });
    if (got.length === 0) return done;
    const ok = await storage.transition(
      got.map((j) => ({
        id: j.id,
        expectStates: ['processing' as const],
        expectServerId: serverId,
        to: { name: 'succeeded' as const, data: { latency: 0, duration: 0 }, at: now },
        expireAt: now + 86_400_000,
        result: 'null',
      })),
      now,
    );
    done += ok.filter(Boolean).length;
  }
}

async function round(label: string, loops: number, separateConnections: boolean): Promise<void> {
  const prefix = `kiln-bench-${randomBytes(4).toString('hex')}:`;
  const stores = Array.from({ length: separateConnections ? loops : 1 }, () => new RedisStorage(url, { prefix, logger: silentLogger }));
  try {
    await Promise.all(stores.map((s) => s.migrate()));
    const storage = stores[0]!;
    let t = performance.now();
    await storage.createJobs(jobs(), { now });
    const createMs = performance.now() - t;
    t = performance.now();
    const counts = await Promise.all(
      Array.from({ length: loops }, (_, i) => drainLoop(stores[i % stores.length]!, `bench-${i}`)),
    );
    const drainMs = performance.now() - t;
    const done = counts.reduce((a, b) => a + b, 0);
    if (done !== total) throw new Error(`drained ${done} of ${total}`);
    const stats = await storage.statistics();
    if (stats.states.succeeded !== total) throw new Error(`succeeded count ${stats.states.succeeded}`);
    console.log(
      `${label.padEnd(34)} createJobs ${total}: ${createMs.toFixed(0).padStart(5)} ms (${String(Math.round(total / (createMs / 1000))).padStart(7)} jobs/s)` +
        `   drain: ${drainMs.toFixed(0).padStart(5)} ms (${String(Math.round(total / (drainMs / 1000))).padStart(7)} jobs/s)`,
    );
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    await deleteKeys(url, stores[0]!.keys.pattern);
  }
}

console.log(`RedisStorage micro-benchmark: ${total} jobs, batches of ${batch}, ${url}`);
await round('1 loop', 1, false);
await round('4 loops, one storage (1 conn)', 4, false);
await round('4 loops, four storages (4 conns)', 4, true);
