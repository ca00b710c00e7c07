/**
 * A full storage fails no job (issue #11): while Redis is at its `maxmemory` (a private
 * redis-server, for real) or Postgres reports its disk full (SQLSTATE 53100, raised by a trigger
 * of the test on completions), the completer keeps the jobs' completions and writes them again
 * after its back-off; once there is room every job is `succeeded`, none `failed`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { BackgroundJobServer, JobClient, defineJob, silentLogger, type Storage } from '../../src/index.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import { openPostgresStore } from '../fixtures/postgres-store.js';
import { PrivateRedis, redisServerAvailable } from '../fixtures/redis-helpers.js';
import { recordingLogger } from '../support/recording-logger.js';
import { serviceUrl } from '../support/services.js';
import { deferred, waitFor } from '../support/wait.js';

const RUNNING = 20;
let gate = deferred();
const gated = defineJob({
  name: 'storage-full-gated',
  retry: { attempts: 0 },
  run: async (n: number) => {
    await gate.promise;
    return n;
  },
});

/** Jobs run, the storage fills before they end, then it has room again. */
async function completionsWaitForRoom(storage: Storage, fill: () => Promise<unknown>, free: () => Promise<unknown>): Promise<void> {
  gate = deferred();
  const logger = recordingLogger();
  const server = new BackgroundJobServer({ storage, jobs: [gated], workerCount: RUNNING, pollInterval: 20, logger });
  try {
    await server.start();
    const ids = await new JobClient({ storage, logger: silentLogger }).enqueueMany(gated, Array.from({ length: RUNNING }, (_, i) => i));
    await waitFor('every job running', async () => (await storage.statistics()).states.processing === RUNNING);
    await fill();
    gate.resolve();
    const refused = await waitFor('a completion refused as the storage is full', () =>
      logger.lines.find((l) => l.startsWith('writing ') && l.includes('job completion(s) failed') && l.includes('is full')),
    );
    assert.match(refused, /retrying in \d+ ms/);
    await free();
    const jobs = await waitFor('every job ended', async () => {
      const all = await Promise.all(ids.map((id) => storage.getJob(id)));
      return all.every((j) => j?.state === 'succeeded' || j?.state === 'failed') ? all : undefined;
    }, 30_000);
    assert.deepEqual(
      jobs.map((j) => `${j!.state}${j!.state === 'failed' ? `: ${j!.stateReason}` : ''}`),
      ids.map(() => 'succeeded'),
      'no job failed because the storage was full',
    );
    assert.deepEqual(jobs.map((j) => j!.result), ids.map((_, i) => String(i)));
  } finally {
    gate.resolve();
    await server.dispose();
  }
}

describe('a full storage fails no job: completions wait for room', () => {
  it('redis at maxmemory (OOM)', { skip: !redisServerAvailable() && !process.env['CI'] && 'no redis-server binary' }, async () => {
    const redis = await PrivateRedis.start();
    const admin = new Redis(redis.url);
    const storage = new RedisStorage(redis.url, { logger: silentLogger });
    try {
      await completionsWaitForRoom(
        storage,
        () => admin.config('SET', 'maxmemory', '1'),
        () => admin.config('SET', 'maxmemory', '0'),
      );
    } finally {
      await storage.close();
      await admin.quit();
      await redis.kill();
    }
  });

  const url = serviceUrl('KILN_TEST_PG_URL');
  it('postgres disk full (53100)', { skip: !url && 'KILN_TEST_PG_URL is not set' }, async () => {
    const store = await openPostgresStore(url!);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const s = `"${store.schema}"`;
    try {
      await admin.query(`
        CREATE TABLE ${s}.disk_full (on_completion boolean);
        CREATE FUNCTION ${s}.disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM ${s}.disk_full) THEN
            RAISE EXCEPTION 'could not extend file "base/1/2": No space left on device' USING ERRCODE = 'disk_full';
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER disk_full BEFORE UPDATE ON ${s}.jobs FOR EACH ROW WHEN (NEW.state = 'succeeded')
          EXECUTE FUNCTION ${s}.disk_full();`);
      await completionsWaitForRoom(
        store.storage,
        () => admin.query(`INSERT INTO ${s}.disk_full VALUES (true)`),
        () => admin.query(`DELETE FROM ${s}.disk_full`),
      );
    } finally {
      await admin.end();
      await store.destroy();
    }
  });
});
