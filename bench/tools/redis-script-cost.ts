/**
 * Redis server time per job of RedisStorage's hot scripts (fetch, transition to succeeded),
 * measured with INFO commandstats around each phase, and the Redis commands each phase runs per
 * job inside its script. Evidence for where a Redis drain spends the server's one thread.
 *
 *   node --import tsx bench/tools/redis-script-cost.ts [jobs=20000] [batch=100] [listen]
 *
 * With `listen`, a job-event listener is subscribed throughout, so the scripts build and publish
 * every job's events (what a drain costs while someone watches it).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { silentLogger } from '../../src/index.js';
import { newJobId } from '../../src/jobs/ids.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import type { JobRecord, NewJob } from '../../src/storage/contract/index.js';
import { REDIS_URL, deleteRedisKeys } from '../services.js';

const total = Number(process.argv[2] ?? 20_000);
const batch = Number(process.argv[3] ?? 100);
const listen = process.argv[4] === 'listen';
const ns = randomBytes(4).toString('hex');
const storage = new RedisStorage(REDIS_URL, { prefix: `kcost_${ns}:`, logger: silentLogger });
const admin = new Redis(REDIS_URL);

async function stats(): Promise<Map<string, { calls: number; usec: number }>> {
  const text = await admin.info('commandstats');
  return new Map([...text.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)].map((m) => [m[1]!, { calls: Number(m[2]), usec: Number(m[3]) }]));
}

async function phase(name: string, work: () => Promise<void>): Promise<void> {
  const before = await stats();
  await work();
  const after = await stats();
  const rows: string[] = [];
  let scripts = 0;
  for (const [cmd, a] of after) {
    const b = before.get(cmd) ?? { calls: 0, usec: 0 };
    const calls = a.calls - b.calls;
    if (calls <= 0 || cmd === 'info') continue;
    if (cmd === 'evalsha' || cmd === 'eval') scripts += a.usec - b.usec;
    else rows.push(`${cmd} ${(calls / total).toFixed(2)}/job`);
  }
  console.log(`${name.padEnd(10)} ${(scripts / total).toFixed(2)} µs of Redis time per job (scripts); inside: ${rows.join(', ')}`);
}

let heard = 0;
try {
  await storage.migrate();
  const unsubscribe = listen ? await storage.subscribeJobEvents(() => heard++) : undefined;
  const now = Date.now();
  const jobs: NewJob[] = Array.from({ length: total }, (_, i) => ({
    id: newJobId(now),
    name: 'noop',
    queue: 'default',
    args: JSON.stringify({ i }),
    state: { name: 'enqueued', reason: 'Enqueued by the client', at: now },
    createdAt: now,
    parameters: {},
  }));
  await phase('create', async () => {
    for (let i = 0; i < total; i += 2000) await storage.createJobs(jobs.slice(i, i + 2000), { now });
  });
  const fetched: JobRecord[] = [];
  await phase('fetch', async () => {
    for (;;) {
      const got = await storage.fetch({ queues: ['default'], max: batch, serverId: 's', leaseMs: 30_000, now: Date.now() });
      if (got.length === 0) break;
      fetched.push(...got);
    }
  });
  await phase('complete', async () => {
    for (let i = 0; i < fetched.length; i += batch) {
      const at = Date.now();
      await storage.transition(
        fetched.slice(i, i + batch).map((j) => ({ id: j.id, expectStates: ['processing'], expectServerId: 's', to: { name: 'succeeded', reason: 'Completed', at, data: { duration: 0 } }, expireAt: at + 86_400_000, result: 'null' })),
        at,
      );
    }
  });
  if (unsubscribe) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    await unsubscribe();
    console.log(`listening: ${heard} job events heard`);
  }
} finally {
  await storage.close();
  admin.disconnect();
  await deleteRedisKeys(`{kcost_${ns}}:*`);
}
