import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { KilnError, ValidationError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { T0, newJob, runConformance } from '../../src/storage/conformance/index.js';
import { keyLayout } from '../../src/storage/redis/keys.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import { deleteKeys } from '../fixtures/redis-helpers.js';
import { RemoteHolders, withParam } from '../fixtures/remote-holder.js';
import { serviceUrl } from '../support/services.js';

const url = serviceUrl('KILN_TEST_REDIS_URL');

if (url) {
  runConformance({
    name: 'redis',
    async open() {
      // A prefix of its own per store: tests run side by side on one Redis without seeing each other.
      const prefix = `kiln-t-${randomBytes(6).toString('hex')}:`;
      const stores: RedisStorage[] = [];
      const connect = async () => {
        const store = new RedisStorage(url, { prefix });
        stores.push(store);
        await store.migrate();
        return store;
      };
      const storage = await connect();
      const holders = new RemoteHolders(withParam(url, 'prefix', prefix));
      // Counts what the scripts publish on the job-event channel, without announcing itself.
      const raw = new Redis(url);
      let published = 0;
      await raw.subscribe(storage.keys.jobEventChannel);
      raw.on('message', (_channel: string, message: string) => (published += message.split('\n').length));
      return {
        storage,
        connect,
        holdElsewhere: (serverId) => holders.hold(serverId),
        async eventsPublished() {
          // Answered after every message published before it.
          await raw.ping();
          return published;
        },
        async destroy() {
          raw.disconnect();
          await holders.killAll();
          await Promise.all(stores.map((s) => s.close()));
          await deleteKeys(url, storage.keys.pattern);
        },
      };
    },
  });
}

if (url) {
  describe('redis: options', () => {
    it('hash-tags every key with the prefix and rejects prefixes that would break the tag', () => {
      const keys = keyLayout('app-1:');
      assert.equal(keys.key('job:x'), '{app-1}:job:x');
      assert.equal(keys.channel, 'app-1:events');
      assert.throws(() => keyLayout('a{b}:'), /must not contain/);
      assert.throws(() => keyLayout(':'), /must not be empty/);
    });

    it('rejects a bad option or connection with a ValidationError naming it', () => {
      const field = (f: string) => (e: unknown) => e instanceof ValidationError && e.field === f;
      assert.throws(() => new RedisStorage(url, { prefix: 'a*b:' }), field('options.prefix'));
      assert.throws(() => new RedisStorage(url, { prefix: 7 as unknown as string }), field('options.prefix'));
      assert.throws(() => new RedisStorage(url, { logger: { warn() {} } as unknown as Logger }), field('options.logger'));
      assert.throws(() => new RedisStorage(url, null as unknown as {}), field('options'));
      assert.throws(() => new RedisStorage(6379 as unknown as string), field('connection'));
    });

    it('loads ioredis when a storage is constructed, not when the backend is imported', () => {
      const probe = `
        import { createRequire } from 'node:module';
        const require = createRequire(process.cwd() + '/');
        const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/ioredis/'));
        const { RedisStorage } = await import('./src/storage/redis/index.ts');
        const imported = loaded();
        const storage = new RedisStorage(process.argv[1], { prefix: 'kiln-t-load:' });
        const constructed = loaded();
        await storage.close();
        console.log(JSON.stringify({ imported, constructed }));`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe, url], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(child.status, 0, child.stderr);
      assert.deepEqual(JSON.parse(child.stdout.trim().split('\n').pop() ?? ''), { imported: false, constructed: true });
    });

    it('rejects ids repeated in a call or already stored, writing nothing of the call', async () => {
      const storage = new RedisStorage(url, { prefix: `kiln-t-${randomBytes(6).toString('hex')}:` });
      const admin = new Redis(url);
      const keys = async () => (await admin.keys(storage.keys.pattern)).length;
      try {
        const twice = newJob();
        await assert.rejects(
          storage.createJobs([twice, { ...twice }], { now: T0 }),
          (e: unknown) => e instanceof ValidationError && e.field === 'jobs' && /appears twice/.test(e.message),
        );
        assert.equal(await keys(), 0);
        const stored = newJob();
        await storage.createJobs([stored], { now: T0 });
        const before = await keys();
        const fresh = newJob();
        await assert.rejects(
          storage.createJobs([fresh, { ...stored }], { now: T0 }),
          (e: unknown) => e instanceof KilnError && e.message === `job ${stored.id} already exists`,
        );
        assert.equal(await keys(), before);
        assert.equal(await storage.getJob(fresh.id), null);
      } finally {
        await storage.close();
        await deleteKeys(url, storage.keys.pattern);
        await admin.quit();
      }
    });

    it('refuses a transaction handle rather than pretending to join it', async () => {
      const storage = new RedisStorage(url, { prefix: `kiln-t-${randomBytes(6).toString('hex')}:` });
      try {
        await assert.rejects(storage.createJobs([newJob()], { now: T0, tx: {} }), /cannot join a transaction/);
      } finally {
        await storage.close();
      }
    });
  });
}

if (url) {
  describe('redis: the retries index', () => {
    it('is filled by migrate() for retries scheduled before it existed, across several slices', async () => {
      const storage = new RedisStorage(url, { prefix: `kiln-t-${randomBytes(6).toString('hex')}:` });
      const admin = new Redis(url);
      try {
        await storage.migrate();
        // More scheduled jobs than one slice of the fill (1,000), every other one a retry.
        const jobs = Array.from({ length: 2_101 }, () =>
          newJob({ state: { name: 'scheduled', at: T0 }, runAt: T0 + 60_000 }),
        );
        await storage.createJobs(jobs, { now: T0 });
        const retries = jobs.filter((_, i) => i % 2 === 1);
        const applied = await storage.transition(
          retries.map((j) => ({
            id: j.id,
            expectStates: ['scheduled'],
            to: { name: 'scheduled', reason: 'Retry 1 of 10', at: T0 + 1 },
            runAt: T0 + 90_000,
            attempt: 2,
          })),
          T0 + 1,
        );
        assert.ok(applied.every(Boolean));
        const newestFirst = retries.map((j) => j.id).reverse();
        const page = async () => storage.listJobs({ state: 'scheduled', retriesOnly: true, offset: 0, limit: 5 });
        assert.equal((await page()).total, retries.length);

        // A keyspace written by a version without the index: no index, no mark.
        await admin.del(storage.keys.key('retries'), storage.keys.key('retries:indexed'));
        assert.equal((await page()).total, 0);

        await storage.migrate();
        const filled = await page();
        assert.equal(filled.total, retries.length);
        assert.deepEqual(filled.jobs.map((j) => j.id), newestFirst.slice(0, 5));
        assert.equal(await admin.get(storage.keys.key('retries:indexed')), '1');

        // Leaving the scheduled state leaves the index.
        assert.equal(await storage.enqueueDue(T0 + 90_000, 10_000), jobs.length);
        assert.equal((await page()).total, 0);
      } finally {
        await storage.close();
        await deleteKeys(url, storage.keys.pattern);
        await admin.quit();
      }
    });
  });
}
