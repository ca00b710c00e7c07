/**
 * What a saturated concurrency key's backlog costs a fetch: `backlog` jobs of one key with a limit
 * of 1 (one running), then plain jobs behind them; times fetches that must pass over the whole
 * backlog to reach the plain jobs, and plain fetches of the same size for comparison.
 *
 *   node --import tsx bench/tools/limited-backlog.ts [sqlite|postgres|redis] [backlog=10000] [fetches=50]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/index.js';
import { newJobId } from '../../src/jobs/ids.js';
import type { NewJob, Storage } from '../../src/storage/contract/index.js';
import { PostgresStorage } from '../../src/storage/postgres/index.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import { SqliteStorage } from '../../src/storage/sqlite/index.js';
import { PG_URL, REDIS_URL, deleteRedisKeys, dropSchema } from '../services.js';

const backend = process.argv[2] ?? 'redis';
const backlog = Number(process.argv[3] ?? 10_000);
const fetches = Number(process.argv[4] ?? 50);
const tag = `kback_${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'kiln-backlog-'));
const storage: Storage =
  backend === 'postgres'
    ? new PostgresStorage(PG_URL, { schema: tag, logger: silentLogger })
    : backend === 'sqlite'
      ? new SqliteStorage(join(dir, 'kiln.db'))
      : new RedisStorage(REDIS_URL, { prefix: `${tag}:`, logger: silentLogger });
const now = Date.now();
const job = (extra: Partial<NewJob> = {}): NewJob => ({
  id: newJobId(),
  name: 'probe',
  queue: 'default',
  args: '{}',
  state: { name: 'enqueued', at: now },
  createdAt: now,
  parameters: {},
  ...extra,
});

async function time(label: string, n: number, work: () => Promise<unknown>): Promise<void> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await work();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`${label.padEnd(44)} ${(ms / n).toFixed(2)} ms per fetch`);
}

try {
  await storage.migrate();
  const limited = Array.from({ length: backlog + 1 }, () => job({ concurrency: { key: 'busy', limit: 1 } }));
  for (let i = 0; i < limited.length; i += 5000) await storage.createJobs(limited.slice(i, i + 5000), { now });
  // One of the key runs: the rest of its backlog is over the limit.
  await storage.fetch({ queues: ['default'], max: 1, serverId: 's', leaseMs: 600_000, now });
  await storage.createJobs(Array.from({ length: fetches * 10 }, () => job()), { now });
  console.log(backend);
  await time(`past ${backlog} saturated jobs, 10 plain a fetch`, fetches, () =>
    storage.fetch({ queues: ['default'], max: 10, serverId: 's', leaseMs: 600_000, now }),
  );
  await storage.createJobs(Array.from({ length: fetches * 10 }, () => job({ queue: 'plain' })), { now });
  await time('plain queue, 10 a fetch', fetches, () => storage.fetch({ queues: ['plain'], max: 10, serverId: 's', leaseMs: 600_000, now }));
} finally {
  await storage.close();
  if (backend === 'postgres') await dropSchema(tag);
  if (backend === 'redis') await deleteRedisKeys(`${tag}:*`);
  rmSync(dir, { recursive: true, force: true });
}
