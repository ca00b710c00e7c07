/**
 * The ceiling a backend gives the engine: drains N jobs with the storage alone, `loops` loops of
 * fetch(batch) → transition(batch → succeeded), optionally pipelined (the next fetch is sent
 * while the previous batch's completion is being written). No job code, no engine.
 *
 *   node --import tsx bench/tools/storage-pipeline.ts postgres [jobs=20000] [batch=50] [loops=1] [pipelined=1] [listen=0]
 *
 * With `listen=1`, another storage on the same store subscribes to job events for the drain (the
 * cost of publishing them), and the events it heard are counted.
 */
import { randomBytes } from 'node:crypto';
import { silentLogger } from '../../src/index.js';
import { PostgresStorage } from '../../src/storage/postgres/index.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import { SqliteStorage } from '../../src/storage/sqlite/index.js';
import type { NewJob, Storage, TransitionChange } from '../../src/storage/contract/index.js';
import { PG_URL, REDIS_URL, deleteRedisKeys, dropSchema } from '../services.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newJobId } from '../../src/jobs/ids.js';

const [backend = 'postgres', jobsArg = '20000', batchArg = '50', loopsArg = '1', pipeArg = '1', listenArg = '0'] = process.argv.slice(2);
const total = Number(jobsArg);
const batch = Number(batchArg);
const loops = Number(loopsArg);
const pipelined = pipeArg === '1';
const ns = randomBytes(4).toString('hex');
let storage: Storage;
let listener: Storage | undefined;
let cleanup: () => Promise<void>;
if (backend === 'postgres') {
  storage = new PostgresStorage(PG_URL, { schema: `kpipe_${ns}` });
  if (listenArg === '1') listener = new PostgresStorage(PG_URL, { schema: `kpipe_${ns}` });
  cleanup = () => dropSchema(`kpipe_${ns}`);
} else if (backend === 'redis') {
  storage = new RedisStorage(REDIS_URL, { prefix: `kpipe_${ns}:`, logger: silentLogger });
  cleanup = () => deleteRedisKeys(`{kpipe_${ns}}:*`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'kpipe-'));
  storage = new SqliteStorage(join(dir, 'k.db'));
  cleanup = async () => rmSync(dir, { recursive: true, force: true });
}
await storage.migrate();
try {
  const now = Date.now();
  for (let i = 0; i < total; i += 10_000) {
    const jobs: NewJob[] = Array.from({ length: Math.min(10_000, total - i) }, (_, k) => ({
      id: newJobId(now),
      name: 'noop',
      queue: 'default',
      args: JSON.stringify({ i: i + k }),
      state: { name: 'enqueued', reason: 'Enqueued by the client', at: now },
      createdAt: now,
      parameters: {},
    }));
    await storage.createJobs(jobs, { now });
  }
  const complete = (ids: string[], server: string): TransitionChange[] => {
    const at = Date.now();
    return ids.map((id) => ({ id, expectStates: ['processing'], expectServerId: server, to: { name: 'succeeded', reason: 'Completed', at, data: { duration: 0 } }, expireAt: at + 86_400_000, result: 'null' }));
  };
  let heard = 0;
  const unsubscribe = listener ? await listener.subscribeJobEvents(() => heard++) : undefined;
  const t = performance.now();
  let done = 0;
  let fetchMs = 0;
  let writeMs = 0;
  let calls = 0;
  await Promise.all(
    Array.from({ length: loops }, async (_, l) => {
      const server = `s${l}`;
      let writing: Promise<unknown> = Promise.resolve();
      for (;;) {
        const f0 = performance.now();
        const got = await storage.fetch({ queues: ['default'], max: batch, serverId: server, leaseMs: 30_000, now: Date.now() });
        fetchMs += performance.now() - f0;
        if (got.length === 0) break;
        done += got.length;
        calls++;
        const w0 = performance.now();
        const w = storage.transition(complete(got.map((j) => j.id), server), Date.now()).then(() => (writeMs += performance.now() - w0));
        if (pipelined) {
          await writing;
          writing = w;
        } else await w;
      }
      await writing;
    }),
  );
  const ms = performance.now() - t;
  await unsubscribe?.();
  const events = listener ? `, ${heard} events heard` : '';
  console.log(`${backend} batch ${batch} loops ${loops} ${pipelined ? 'pipelined' : 'serial'}: ${Math.round((done * 1000) / ms)} jobs/s; per call: fetch ${(fetchMs / calls).toFixed(2)} ms, transition ${(writeMs / calls).toFixed(2)} ms${events}`);
} finally {
  await listener?.close();
  await storage.close();
  await cleanup();
}
