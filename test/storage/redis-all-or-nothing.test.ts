/**
 * Redis `createJobs` (and so `enqueueMany`) is all-or-nothing for any number of jobs (issue #11):
 * one script call, which checks every id before its first write, and which Redis refuses at its
 * first write, or lets finish, when `maxmemory` is reached. Run on a private redis-server whose
 * `maxmemory` the test sets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { JobClient, KilnError, StorageFullError, defineJob, silentLogger } from '../../src/index.js';
import { newJob } from '../../src/storage/conformance/index.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import { PrivateRedis, redisServerAvailable } from '../fixtures/redis-helpers.js';

const JOBS = 5_000;
const job = defineJob({ name: 'redis-all-or-nothing', run: (_: number) => {} });

async function usedMemory(admin: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
}

// Under CI a missing redis-server binary fails (PrivateRedis.start throws) instead of skipping.
describe('redis: createJobs is all-or-nothing for any size', { skip: !redisServerAvailable() && !process.env['CI'] && 'no redis-server binary' }, () => {
  let server: PrivateRedis;
  let admin: Redis;
  let storage: RedisStorage;

  before(async () => {
    server = await PrivateRedis.start();
    admin = new Redis(server.url);
    storage = new RedisStorage(server.url, { prefix: 'aon:', logger: silentLogger });
    await storage.migrate();
  });
  after(async () => {
    await storage?.close();
    await admin?.quit();
    await server?.kill();
  });

  it(`${JOBS + 1} jobs of which one id exists already: a KilnError, and none of the others is written`, async () => {
    const existing = newJob();
    await storage.createJobs([existing], { now: Date.now() });
    const keys = await admin.dbsize();
    const jobs = Array.from({ length: JOBS }, () => newJob());
    jobs.splice(JOBS / 2, 0, { ...newJob(), id: existing.id });
    await assert.rejects(storage.createJobs(jobs, { now: Date.now() }), (e: unknown) => {
      assert.ok(e instanceof KilnError, String(e));
      assert.match(e.message, new RegExp(`job ${existing.id} already exists`));
      return true;
    });
    assert.equal(await admin.dbsize(), keys, 'not one key written');
    assert.equal((await storage.statistics()).states.enqueued, 1);
    await admin.flushall();
    await storage.migrate();
  });

  it(`enqueueMany of ${JOBS} jobs as maxmemory is reached: every job written, or a StorageFullError and none`, async () => {
    const client = new JobClient({ storage, logger: silentLogger });
    const outcomes: string[] = [];
    // The limit at, and 1 to 4 MB above, what Redis uses: the batch's own size (its argument
    // counts too) decides where it falls; split into chunks, the first ones were written.
    for (const room of [0, 1_000_000, 2_000_000, 4_000_000]) {
      await admin.flushall();
      await storage.migrate();
      await admin.config('SET', 'maxmemory', String((await usedMemory(admin)) + room));
      try {
        const ids = await client.enqueueMany(job, Array.from({ length: JOBS }, (_, i) => i));
        assert.equal(ids.length, JOBS);
        outcomes.push('all');
      } catch (e) {
        assert.ok(e instanceof StorageFullError, `expected a StorageFullError, got ${String(e)}`);
        assert.equal(e.storage, 'RedisStorage(prefix aon)');
        assert.match(e.message, /^RedisStorage\(prefix aon\) is full: OOM command not allowed/);
        outcomes.push('none');
      } finally {
        await admin.config('SET', 'maxmemory', '0');
      }
      const stored = (await storage.statistics()).states.enqueued;
      assert.equal(stored, outcomes.at(-1) === 'all' ? JOBS : 0, `with ${room} bytes of room: ${stored} jobs stored`);
    }
    assert.equal(outcomes[0], 'none', 'a Redis already at maxmemory writes nothing');
  });
});
