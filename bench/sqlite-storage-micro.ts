/**
 * Micro-benchmark of SqliteStorage alone (no engine): how long createJobs of N jobs takes in one
 * call, and how long it takes to drain them with fetch + transition-to-succeeded in batches.
 *
 *   node --import tsx bench/sqlite-storage-micro.ts [jobs=20000] [batch=100]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewJob } from '../src/storage/contract/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';

const total = Number(process.argv[2] ?? 20_000);
const batch = Number(process.argv[3] ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-'));
const storage = new SqliteStorage(join(dir, 'kiln.db'));

try {
  await storage.migrate();
  const now = Date.now();
  const jobs: NewJob[] = Array.from({ length: total }, (_, i) => ({
    id: randomUUID(),
    name: 'noop',
    queue: 'default',
    args: JSON.stringify({ i }),
    state: { name: 'enqueued', reason: 'bench', at: now },
    createdAt: now,
    parameters: {},
  }));

  let t = performance.now();
  await storage.createJobs(jobs, { now });
  const createMs = performance.now() - t;

  t = performance.now();
  let done = 0;
  for (;;) {
    const got = await storage.fetch({ queues: ['default'], max: batch, serverId: 'bench', leaseMs: 30_000, now });
    if (got.length === 0) break;
    const ok = await storage.transition(
      got.map((j) => ({
        id: j.id,
        expectStates: ['processing' as const],
        expectServerId: 'bench',
        to: { name: 'succeeded' as const, data: { latency: 0, duration: 0 }, at: now },
        expireAt: now + 86_400_000,
        result: 'null',
      })),
      now,
    );
    done += ok.filter(Boolean).length;
  }
  const drainMs = performance.now() - t;
  if (done !== total) throw new Error(`drained ${done} of ${total}`);
  const stats = await storage.statistics();
  if (stats.states.succeeded !== total) throw new Error(`succeeded count ${stats.states.succeeded}`);

  console.log(`createJobs ${total}: ${createMs.toFixed(0)} ms (${Math.round(total / (createMs / 1000))} jobs/s)`);
  console.log(
    `fetch+transition ${total} in batches of ${batch}: ${drainMs.toFixed(0)} ms (${Math.round(total / (drainMs / 1000))} jobs/s)`,
  );
} finally {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}
