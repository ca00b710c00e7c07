import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { T0, newJob, runConformance } from '../../src/storage/conformance/index.js';
import { keyLayout } from '../../src/storage/redis/keys.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import { deleteKeys } from '../fixtures/redis-helpers.js';
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
      return {
        storage,
        connect,
        async destroy() {
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
